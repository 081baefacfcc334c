"""CodeBuild projects fed by CodePipeline are created as AWS creates them
(motolocal/codebuild.py): no source or artifact location for the
CODEPIPELINE and NO_SOURCE types; every other check stays moto's."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import Launcher, create_role

ENVIRONMENT = {
    "type": "ARM_CONTAINER",
    "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
    "computeType": "BUILD_GENERAL1_SMALL",
}


def create_project(launcher: Launcher, name: str, source: dict[str, Any], artifacts: dict[str, Any]) -> Any:
    return launcher.client("codebuild").create_project(
        name=name,
        source=source,
        artifacts=artifacts,
        environment=ENVIRONMENT,
        serviceRole=create_role(launcher, f"{name}-role"),
    )


@pytest.mark.parametrize("source_type", ["CODEPIPELINE", "NO_SOURCE"])
def test_a_project_without_locations_for_pipeline_types_is_created(launcher: Launcher, source_type: str) -> None:
    answer = create_project(
        launcher,
        f"delivery-{source_type.lower().replace('_', '-')}",
        {"type": source_type, "buildspec": ".codebuild/build.yml"},
        {"type": "CODEPIPELINE" if source_type == "CODEPIPELINE" else "NO_ARTIFACTS"},
    )
    project = answer["project"]
    assert project["source"]["type"] == source_type
    described = launcher.client("codebuild").batch_get_projects(names=[project["name"]])["projects"]
    assert [p["name"] for p in described] == [project["name"]]


def test_other_source_types_still_need_a_location(launcher: Launcher) -> None:
    with pytest.raises(ClientError) as raised:
        create_project(launcher, "needs-location", {"type": "S3"}, {"type": "NO_ARTIFACTS"})
    assert "location" in str(raised.value).lower()
