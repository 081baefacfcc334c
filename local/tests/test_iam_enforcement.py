"""IAM enforced by the launcher (motolocal/iam_enforce.py): the emulator's
test credentials stay unrestricted, a role's session gets exactly what the
role's policies (and boundary) allow on the resource the request names, a
denial names principal, action and resource, and every checked call lands
in the ledger."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import REGION, FakeRuntime, Launcher, create_function, ok, start_launcher, stop_launcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from motolocal.ledger import read  # noqa: E402

ACCOUNT = "123456789012"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/auction-local-orders"


@pytest.fixture
def enforcing(
    fake_runtime: FakeRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Launcher, Path]]:
    ledger = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("LOCAL_IAM_LEDGER", str(ledger))
    running = start_launcher(fake_runtime.url, tmp_path / "launcher.log")
    try:
        yield running, ledger
    finally:
        stop_launcher(running.process)
        print(running.log())


def role(
    launcher: Launcher, name: str, service: str, statements: list[dict[str, Any]], boundary: str | None = None
) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    iam = launcher.client("iam")
    extra = {"PermissionsBoundary": boundary} if boundary else {}
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]["Arn"])
    iam.put_role_policy(
        RoleName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    return arn


def as_role(launcher: Launcher, role_arn: str, service: str) -> Any:
    keys = launcher.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test-session")["Credentials"]
    return boto3.client(
        service,
        endpoint_url=launcher.endpoint,
        region_name=REGION,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
    )


def table(launcher: Launcher, name: str) -> None:
    launcher.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_a_role_gets_exactly_its_grants_on_the_named_resource(enforcing: tuple[Launcher, Path]) -> None:
    launcher, ledger = enforcing
    table(launcher, "auction-local-orders")
    table(launcher, "auction-prod-orders")
    arn = role(
        launcher,
        "writer",
        "lambda.amazonaws.com",
        [
            {"Sid": "WriteOrders", "Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": TABLE_ARN},
        ],
    )
    ddb = as_role(launcher, arn, "dynamodb")
    ddb.put_item(TableName="auction-local-orders", Item={"k": {"S": "1"}})
    denied_calls: list[Callable[[], object]] = [
        lambda: ddb.put_item(TableName="auction-prod-orders", Item={"k": {"S": "1"}}),  # other resource
        lambda: ddb.delete_item(TableName="auction-local-orders", Key={"k": {"S": "1"}}),  # other action
    ]
    for call in denied_calls:
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "User: arn:aws:sts::123456789012:assumed-role/writer/test-session is not authorized" in str(denied.value)
    assert f"to perform: dynamodb:DeleteItem on resource: {TABLE_ARN}" in str(denied.value)
    entries = read(ledger)
    assert [(e["action"], e["resource"], e["allowed"]) for e in entries] == [
        ("dynamodb:PutItem", TABLE_ARN, True),
        ("dynamodb:PutItem", TABLE_ARN.replace("local", "prod"), False),
        ("dynamodb:DeleteItem", TABLE_ARN, False),
    ]
    assert (
        "AccessDenied: arn:aws:sts::123456789012:assumed-role/writer/test-session may not dynamodb:DeleteItem"
        in launcher.log()
    )


def test_the_test_credentials_stay_unrestricted_and_unknown_keys_are_refused(enforcing: tuple[Launcher, Path]) -> None:
    launcher, ledger = enforcing
    table(launcher, "anything")  # setup with the emulator's test keys
    assert launcher.client("dynamodb").describe_table(TableName="anything")["Table"]["TableName"] == "anything"
    stranger = boto3.client(
        "dynamodb",
        endpoint_url=launcher.endpoint,
        region_name=REGION,
        aws_access_key_id="not-a-key-the-emulator-issued",
        aws_secret_access_key="x",
    )
    with pytest.raises(ClientError) as refused:
        stranger.describe_table(TableName="anything")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    assert read(ledger) == []  # administrator calls are not policy evidence


def test_the_permissions_boundary_caps_a_roles_grants(enforcing: tuple[Launcher, Path]) -> None:
    launcher, _ = enforcing
    table(launcher, "auction-local-orders")
    boundary = launcher.client("iam").create_policy(
        PolicyName="auction-local-boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "dynamodb:DescribeTable", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    arn = role(
        launcher,
        "bounded",
        "lambda.amazonaws.com",
        [{"Effect": "Allow", "Action": ["dynamodb:DescribeTable", "dynamodb:PutItem"], "Resource": TABLE_ARN}],
        boundary,
    )
    ddb = as_role(launcher, arn, "dynamodb")
    ddb.describe_table(TableName="auction-local-orders")
    with pytest.raises(ClientError, match="outside the permissions boundary"):
        ddb.put_item(TableName="auction-local-orders", Item={"k": {"S": "1"}})


def test_state_machine_tasks_run_with_the_state_machines_role(
    enforcing: tuple[Launcher, Path], fake_runtime: FakeRuntime
) -> None:
    launcher, ledger = enforcing
    fake_runtime.on("worker", lambda event, n: ok({"done": True}))
    lambda_role = role(
        launcher,
        "fn",
        "lambda.amazonaws.com",
        [{"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"}],
    )
    function_arn = create_function(launcher, "auction-local-worker", "worker", lambda_role)
    definition = json.dumps(
        {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": function_arn, "Payload": {}},
                    "End": True,
                }
            },
        }
    )
    sfn = launcher.client("stepfunctions")
    outcomes = {}
    for name, grant in (("denied", "lambda:GetFunction"), ("granted", "lambda:InvokeFunction")):
        statements = [{"Sid": "Invoke", "Effect": "Allow", "Action": [grant], "Resource": function_arn}]
        machine_role = role(launcher, f"machine-{name}", "states.amazonaws.com", statements)
        machine = sfn.create_state_machine(name=f"m-{name}", definition=definition, roleArn=machine_role)[
            "stateMachineArn"
        ]
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        deadline = time.monotonic() + 30
        while (
            status := sfn.describe_execution(executionArn=execution)["status"]
        ) == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.2)
        outcomes[name] = status
    assert outcomes == {"denied": "FAILED", "granted": "SUCCEEDED"}
    calls = [(e["role"], e["action"], e["allowed"]) for e in read(ledger)]
    assert ("machine-denied", "lambda:InvokeFunction", False) in calls
    assert ("machine-granted", "lambda:InvokeFunction", True) in calls
