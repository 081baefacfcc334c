"""The deploy path of a real environment, rehearsed against the emulator:
bootstrap the state bucket, init with the S3 backend (S3-native locking),
plan to a file and apply exactly that plan, as the CodeBuild buildspecs do."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))
sys.path.insert(0, str(REPO / "tools"))

from iam_check.policies import load  # noqa: E402
from ledger_compare import UNEXERCISED, compare, summary  # noqa: E402
from localcloud.deploy import account_of, deploy_dry_run, resources  # noqa: E402
from motolocal.ledger import read  # noqa: E402


def test_dev_deploys_from_a_saved_plan_with_remote_state(tmp_path: Path) -> None:
    report = deploy_dry_run("dev", REPO, tmp_path, progress=lambda line: print(line, flush=True))
    print(report.describe())
    # dev names no Slack channel until the workspace is authorized, and
    # delivery lives in its own configuration: the whole of dev is applied.
    assert report.skipped == []
    assert sorted(report.applied) == sorted(resources(REPO / "terraform" / "dev"))
    for address in ("aws_dynamodb_table.orders", "aws_sfn_state_machine.pipeline"):
        assert address in report.applied
    # Planned as the plan role and applied as the apply role with IAM
    # enforced (the run fails on any AccessDenied); their ledger agrees with
    # their policies both ways.
    # The next Plan stage (the plan role reading everything it manages)
    # replaces nothing; moto reports a few in-place updates of its own.
    assert report.second_plan.startswith("No changes") or (
        "0 to add" in report.second_plan and "0 to destroy" in report.second_plan
    ), report.second_plan
    assert report.ledger is not None
    ledger = read(report.ledger)
    print(summary(ledger))
    delivery = load(REPO / "terraform" / "delivery", account=account_of(REPO / "terraform" / "dev"))
    deploy_roles = [r for r in delivery.roles.values() if r.name in ("auction-dev-deploy-plan", "auction-dev-deploy-apply")]
    problems = compare(deploy_roles, "dev", ledger, tomllib.loads(UNEXERCISED.read_text()))
    assert not problems, "\n".join(problems)
    # The state bucket of dev's account (tfgen env.rs), which the emulator plays.
    assert report.state_object == "s3://auction-terraform-state-111111111111-eu-west-1/auction/dev/terraform.tfstate"
