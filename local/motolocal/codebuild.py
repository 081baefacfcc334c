"""CodeBuild projects fed by CodePipeline, as AWS accepts them.

moto 5.2.5 demands a `location` for every project source and artifact, but
AWS takes none for the `CODEPIPELINE` type (the pipeline hands the input
over) nor for `NO_SOURCE`. The delivery configuration's projects are all
CODEPIPELINE, so the promotion rehearsal could not create them. The location
checks are skipped for those types; every other check stays moto's.
"""

from __future__ import annotations

from typing import Any

from moto.codebuild import responses

from .patching import replace

NO_LOCATION_TYPES = {"CODEPIPELINE", "NO_SOURCE"}


def _location_optional_for_pipeline_types(original: Any) -> Any:
    def validate(params: dict[str, Any], *args: Any) -> None:
        if params.get("type") in NO_LOCATION_TYPES and not params.get("location"):
            params = {**params, "location": "(given by CodePipeline)"}
        original(params, *args)

    return validate


def install() -> None:
    # moto's handlers look these module functions up at call time.
    for check in ("_validate_required_params_source", "_validate_required_params_artifacts"):
        replace(responses, check, _location_optional_for_pipeline_types)
