"""The promotion rehearsal (`make plan ENV=dev TARGET=emulator`): the
administrator's bootstrap and delivery applies, then every stage of the
generated pipeline with the deploy roles' credentials and IAM enforced."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))
sys.path.insert(0, str(REPO / "tools"))

from ledger_compare import UNEXERCISED, compare, summary  # noqa: E402

from iam_check.policies import load  # noqa: E402
from localcloud import manifest  # noqa: E402
from localcloud.deploy import account_of, resources  # noqa: E402
from localcloud.promotion import rehearse_promotion  # noqa: E402
from motolocal.ledger import read  # noqa: E402


def test_dev_then_prod_from_one_artifact_as_the_deploy_roles_and_a_tampered_plan_is_refused(tmp_path: Path) -> None:
    report = rehearse_promotion(REPO, tmp_path, progress=lambda line: print(line, flush=True))
    print(report.describe())
    # Built once, then every deployed environment in env.rs order, each
    # planned before it is applied; prod only after approval.
    deployed = manifest.load().deployed
    assert report.stages[:2] == ["Source", "Build"]
    assert [s for s in report.stages if not s.startswith("Approve-")][2:] == [
        f"{kind}-{env}" for env in deployed for kind in ("Plan", "Apply")
    ]
    assert report.stages.index("Approve-prod") == report.stages.index("Apply-prod") - 1
    assert list(report.applied) == ["delivery", *deployed]
    account = account_of(REPO / "terraform" / deployed[0])
    for env in deployed:
        # No Slack ids yet and delivery in its own configuration: the whole
        # environment is applied.
        assert report.skipped[env] == []
        assert report.applied[env] == sorted(resources(REPO / "terraform" / env))
        # The state bucket of the environments' account (env.rs), which the emulator plays.
        bucket = f"s3://auction-terraform-state-{account}-eu-west-1"
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
    # The next run's Plan (the plan role reading everything it manages)
    # replaces nothing; moto reports a few in-place updates of its own.
    assert report.next_plan.startswith("No changes") or (
        "0 to add" in report.next_plan and "0 to destroy" in report.next_plan
    ), report.next_plan
    # Planned as the plan roles and applied as the apply roles with IAM
    # enforced (the run fails on any AccessDenied); the ledger agrees with
    # their policies both ways.
    assert report.ledger is not None
    ledger = read(report.ledger)
    print(summary(ledger))
    delivery = load(REPO / "terraform" / "delivery", account=account)
    names = {f"auction-{env}-deploy-{kind}": env for env in deployed for kind in ("plan", "apply")}
    deploy_roles = [(r, names[r.name]) for r in delivery.roles.values() if r.name in names]
    assert len(deploy_roles) == len(names), [r.name for r in delivery.roles.values()]
    problems = compare(deploy_roles, ledger, tomllib.loads(UNEXERCISED.read_text()))
    assert not problems, "\n".join(problems)
