"""The deploy path of a real environment, rehearsed against the emulator:
bootstrap the state bucket, init with the S3 backend (S3-native locking),
plan to a file and apply exactly that plan, as the CodeBuild buildspecs do."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud.deploy import deploy_dry_run  # noqa: E402 (after the sys.path entry above)


def test_dev_deploys_from_a_saved_plan_with_remote_state(tmp_path: Path) -> None:
    report = deploy_dry_run("dev", REPO, tmp_path, progress=lambda line: print(line, flush=True))
    print(report.describe())
    # Exactly what moto lacks is left out: Chatbot, CodeConnections, CodeStar
    # Notifications, and what refers to them.
    assert report.skipped == [
        "aws_chatbot_slack_channel_configuration.alerts",
        "aws_codeconnections_connection.github",
        "aws_codepipeline.delivery",
        "aws_codestarnotifications_notification_rule.delivery_failed",
        "aws_iam_role_policy.delivery_pipeline",
    ]
    assert len(report.applied) >= 70
    for address in (
        "aws_dynamodb_table.orders",
        "aws_sfn_state_machine.pipeline",
        "aws_codebuild_project.delivery_apply",
    ):
        assert address in report.applied
    assert report.state_object == "s3://auction-orders-terraform-state-eu-west-1/auction/dev/terraform.tfstate"
