"""Escalation and cross-environment isolation, in the emulator with IAM
enforced: the deploy roles and boundaries exactly as terraform/delivery
generates them, acting with their own credentials."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import FakeRuntime, Launcher, start_launcher, stop_launcher

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud import deploy_roles, roles  # noqa: E402

ACCOUNT = "123456789012"  # the emulator's
LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def emulator(fake_runtime: FakeRuntime, tmp_path: Path) -> Iterator[tuple[Launcher, deploy_roles.DeployRoles]]:
    running = start_launcher(fake_runtime.url, tmp_path / "launcher.log")
    try:
        yield running, deploy_roles.create(running.endpoint, REPO, ACCOUNT)
    finally:
        stop_launcher(running.process)


def acting_as(launcher: Launcher, role_arn: str, service: str) -> Any:
    return roles.role_client(launcher.endpoint, service, roles.assume(launcher.endpoint, role_arn, "escalation-test"))


def denied(call: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), refused.value
    return str(refused.value)


def test_the_apply_role_cannot_raise_its_own_permissions(emulator: tuple[Launcher, deploy_roles.DeployRoles]) -> None:
    launcher, made = emulator
    apply_role = made.arn("dev", "apply")
    iam = acting_as(launcher, apply_role, "iam")
    name = apply_role.rsplit("/", 1)[1]
    message = denied(lambda: iam.put_role_policy(RoleName=name, PolicyName="mine", PolicyDocument=ADMIN))
    assert f"iam:PutRolePolicy on resource: arn:aws:iam::{ACCOUNT}:role/{name}" in message
    denied(lambda: iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"))
    denied(lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=LAMBDA_TRUST))
    for other in ("auction-dev-deploy-plan", "auction-prod-deploy-apply"):
        denied(lambda other=other: iam.put_role_policy(RoleName=other, PolicyName="mine", PolicyDocument=ADMIN))


def test_the_apply_role_creates_roles_only_within_the_boundary(
    emulator: tuple[Launcher, deploy_roles.DeployRoles],
) -> None:
    launcher, made = emulator
    iam = acting_as(launcher, made.arn("dev", "apply"), "iam")
    boundary = made.boundaries["auction-dev-boundary"]
    message = denied(lambda: iam.create_role(RoleName="auction-dev-unbounded", AssumeRolePolicyDocument=LAMBDA_TRUST))
    assert "iam:CreateRole" in message
    # prod's boundary is not dev's
    denied(
        lambda: iam.create_role(
            RoleName="auction-dev-x",
            AssumeRolePolicyDocument=LAMBDA_TRUST,
            PermissionsBoundary=made.boundaries["auction-prod-boundary"],
        )
    )
    iam.create_role(RoleName="auction-dev-bounded", AssumeRolePolicyDocument=LAMBDA_TRUST, PermissionsBoundary=boundary)
    message = denied(lambda: iam.delete_role_permissions_boundary(RoleName="auction-dev-bounded"))
    assert "iam:DeleteRolePermissionsBoundary" in message
    denied(lambda: iam.create_policy_version(PolicyArn=boundary, PolicyDocument=ADMIN, SetAsDefault=True))


def test_dev_roles_reach_nothing_of_prod(emulator: tuple[Launcher, deploy_roles.DeployRoles]) -> None:
    launcher, made = emulator
    admin = {service: roles.admin_client(launcher.endpoint, service) for service in ("dynamodb", "s3", "sns", "lambda")}
    admin["dynamodb"].create_table(
        TableName="auction-prod-orders",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    admin["s3"].create_bucket(
        Bucket="auction-prod-results", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    topic = admin["sns"].create_topic(Name="auction-prod-alerts")["TopicArn"]
    for stage in ("plan", "apply"):
        role = made.arn("dev", stage)
        denied(lambda role=role: acting_as(launcher, role, "dynamodb").describe_table(TableName="auction-prod-orders"))
        denied(lambda role=role: acting_as(launcher, role, "dynamodb").delete_table(TableName="auction-prod-orders"))
        denied(lambda role=role: acting_as(launcher, role, "s3").get_bucket_policy(Bucket="auction-prod-results"))
        denied(lambda role=role: acting_as(launcher, role, "sns").get_topic_attributes(TopicArn=topic))
        denied(lambda role=role: acting_as(launcher, role, "iam").get_role(RoleName="auction-prod-deploy-apply"))
