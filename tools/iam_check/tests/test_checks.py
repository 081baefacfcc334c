"""The static checks on small generated-looking configurations: each check
flags what it must and passes what AWS accepts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "local"))  # the shared evaluator (motolocal.iam_policy)

from iam_check.checks import Finding, run  # noqa: E402
from iam_check.policies import load  # noqa: E402

ACCOUNT = "111111111111"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def dev_config(
    tmp_path: Path, statements: list[dict[str, Any]], role: str = "auction-dev-deploy-apply"
) -> list[Finding]:
    """terraform/dev with one role whose inline policy is `statements`."""
    config = tmp_path / "dev"
    config.mkdir()
    document = {"Version": "2012-10-17", "Statement": statements}
    (config / "main.tf.json").write_text(
        json.dumps(
            {
                "provider": {"aws": {"allowed_account_ids": [ACCOUNT]}},
                "resource": {
                    "aws_iam_role": {"deploy": {"name": role, "assume_role_policy": json.dumps(TRUST)}},
                    "aws_iam_role_policy": {
                        "deploy": {"role": "${aws_iam_role.deploy.id}", "policy": json.dumps(document)}
                    },
                },
            }
        )
    )
    return run([load(config)])


def allow(
    sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def messages(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


KEY_TAGGED = {"StringEquals": {"aws:ResourceTag/Environment": "dev", "aws:RequestTag/Environment": "dev"}}


def test_create_key_on_key_arns_is_flagged(tmp_path: Path) -> None:
    findings = dev_config(
        tmp_path,
        [
            allow(
                "Keys",
                ["kms:CreateKey", "kms:PutKeyPolicy", "kms:TagResource"],
                [f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*"],
                KEY_TAGGED,
            ),
        ],
    )
    text = messages(findings)
    assert 'kms:CreateKey takes only Resource "*" but is granted on arn:aws:kms:eu-west-1:111111111111:key/*' in text


def test_create_key_on_star_with_its_dependencies_passes(tmp_path: Path) -> None:
    findings = dev_config(
        tmp_path,
        [
            allow("CreateKeys", ["kms:CreateKey"], ["*"], KEY_TAGGED),
            allow(
                "ManageKeys",
                ["kms:PutKeyPolicy", "kms:TagResource"],
                [f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*"],
                KEY_TAGGED,
            ),
        ],
    )
    # iam:CreateServiceLinkedRole is reviewed (tools/iam_check/reviewed.toml).
    assert findings == []


def test_unknown_actions_are_flagged(tmp_path: Path) -> None:
    findings = dev_config(
        tmp_path,
        [allow("Typo", ["dynamodb:PutItems"], [f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/auction-dev-orders"])],
    )
    assert "dynamodb:PutItems is not an IAM action" in messages(findings)


def test_missing_dependent_actions_are_flagged(tmp_path: Path) -> None:
    findings = dev_config(tmp_path, [allow("CreateKeys", ["kms:CreateKey"], ["*"], KEY_TAGGED)])
    text = messages(findings)
    assert "is granted kms:CreateKey, which needs kms:PutKeyPolicy" in text
    assert "which needs kms:TagResource" in text


def test_another_environments_resources_are_flagged(tmp_path: Path) -> None:
    findings = dev_config(
        tmp_path,
        [
            allow(
                "Table", ["dynamodb:DescribeTable"], [f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/auction-prod-orders"]
            )
        ],
    )
    assert "reaches prod's arn:aws:dynamodb:eu-west-1:111111111111:table/auction-prod-orders" in messages(findings)


def test_resources_that_cannot_name_the_environment_need_a_tag_condition(tmp_path: Path) -> None:
    pools = [f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/*"]
    (tmp_path / "a").mkdir()
    flagged = dev_config(tmp_path / "a", [allow("Pools", ["cognito-idp:DescribeUserPool"], pools)])
    assert "does not name environment dev" in messages(flagged)
    (tmp_path / "b").mkdir()
    tagged = dev_config(
        tmp_path / "b",
        [
            allow(
                "Pools",
                ["cognito-idp:DescribeUserPool"],
                pools,
                {"StringEquals": {"aws:ResourceTag/Environment": "dev"}},
            )
        ],
    )
    assert tagged == []


def test_a_role_that_can_rewrite_its_own_policy_is_flagged(tmp_path: Path) -> None:
    roles = [f"arn:aws:iam::{ACCOUNT}:role/auction-dev-*"]
    (tmp_path / "a").mkdir()
    open_door = dev_config(tmp_path / "a", [allow("Roles", ["iam:PutRolePolicy"], roles)])
    assert "auction-dev-deploy-apply may iam:PutRolePolicy on its own role" in messages(open_door)
    (tmp_path / "b").mkdir()
    closed = dev_config(
        tmp_path / "b",
        [
            allow(
                "Roles",
                ["iam:PutRolePolicy"],
                roles,
                {"StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/auction-dev-boundary"}},
            ),
        ],
    )
    assert "its own role" not in messages(closed)
