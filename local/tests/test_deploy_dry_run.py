"""The deploy path of a real environment, rehearsed against the emulator:
bootstrap the state bucket, init with the S3 backend (S3-native locking),
plan to a file and apply exactly that plan, as the CodeBuild buildspecs do."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud.deploy import deploy_dry_run, resources  # noqa: E402


def test_dev_deploys_from_a_saved_plan_with_remote_state(tmp_path: Path) -> None:
    report = deploy_dry_run("dev", REPO, tmp_path, progress=lambda line: print(line, flush=True))
    print(report.describe())
    # dev names no Slack channel until the workspace is authorized, and
    # delivery lives in its own configuration: the whole of dev is applied.
    assert report.skipped == []
    assert sorted(report.applied) == sorted(resources(REPO / "terraform" / "dev"))
    for address in ("aws_dynamodb_table.orders", "aws_sfn_state_machine.pipeline"):
        assert address in report.applied
    assert report.state_object == "s3://auction-orders-terraform-state-eu-west-1/auction/dev/terraform.tfstate"
