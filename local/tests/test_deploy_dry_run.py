"""The deploy path, rehearsed against the emulator as the delivery pipeline
runs it: bootstrap the state bucket, build once, then for each environment
in order plan to a file (remote state, S3-native locking) and apply exactly
that plan; prod's approved plan, rewritten after approval, is refused with
a clear message and the untampered one applied."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud.deploy import resources  # noqa: E402
from localcloud.promotion import rehearse_promotion  # noqa: E402


def test_dev_then_prod_from_one_artifact_and_a_tampered_plan_is_refused(tmp_path: Path) -> None:
    report = rehearse_promotion(REPO, tmp_path, progress=lambda line: print(line, flush=True))
    print(report.describe())
    assert report.stages == ["Source", "Build", "Plan-dev", "Apply-dev", "Plan-prod", "Approve-prod", "Apply-prod"]
    assert list(report.applied) == ["delivery", "dev", "prod"]
    for env in ("dev", "prod"):
        # No Slack ids yet and delivery in its own configuration: the whole
        # environment is applied.
        assert report.skipped[env] == []
        assert report.applied[env] == sorted(resources(REPO / "terraform" / env))
        bucket = "s3://auction-orders-terraform-state-eu-west-1"
        assert report.state_objects[env] == f"{bucket}/auction/{env}/terraform.tfstate"
    # The administrator's delivery apply: everything but what needs
    # CodeConnections (the pipeline, its role's policy, the notification rule).
    assert report.skipped["delivery"] == [
        "aws_codeconnections_connection.github",
        "aws_codepipeline.delivery",
        "aws_codestarnotifications_notification_rule.delivery",
        "aws_iam_role_policy.delivery_pipeline",
    ]
    for address in (
        "aws_iam_policy.dev_boundary",
        "aws_iam_policy.prod_boundary",
        "aws_iam_role.prod_deploy_apply",
        "aws_codebuild_project.prod_deploy_apply",
    ):
        assert address in report.applied["delivery"]
    assert len(report.digests["prod"]) == 64 and report.digests["prod"] != report.digests["dev"]
    assert "REFUSING TO APPLY" in report.refused
    assert report.digests["prod"] in report.refused, "the refusal names the approved digest"
    assert "Nothing was applied" in report.refused
