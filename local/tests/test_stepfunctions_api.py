"""ValidateStateMachineDefinition and ListStateMachineVersions, which moto lacks."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, Launcher

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"

VALID = {
    "StartAt": "Count",
    "States": {
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Enough?"},
        "Enough?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 3, "Next": "Done"}],
            "Default": "Count",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_validate_accepts_a_valid_definition(launcher: Launcher) -> None:
    sfn = launcher.client("stepfunctions")
    answer = sfn.validate_state_machine_definition(definition=json.dumps(VALID), type="STANDARD")
    assert answer["result"] == "OK"
    assert answer["diagnostics"] == []


@pytest.mark.parametrize(
    ("definition", "code", "names"),
    [
        pytest.param(
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}},
            "MISSING_TRANSITION_TARGET",
            ["Missing", "/States/A/Next"],
            id="next-to-missing-state",
        ),
        pytest.param(
            {
                "StartAt": "A",
                "States": {
                    "A": {"Type": "Succeed"},
                    "Orphan": {"Type": "Succeed"},
                },
            },
            "MISSING_TRANSITION_TARGET",
            ["Orphan", "not reachable"],
            id="unreachable-state",
        ),
        pytest.param(
            {
                "StartAt": "M",
                "States": {
                    "M": {
                        "Type": "Map",
                        "ItemProcessor": {
                            "StartAt": "T",
                            "States": {
                                "T": {
                                    "Type": "Pass",
                                    "End": True,
                                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}],
                                }
                            },
                        },
                        "End": True,
                    }
                },
            },
            "MISSING_TRANSITION_TARGET",
            ["Nowhere", "/States/M/ItemProcessor/States/T/Catch[0]/Next"],
            id="catch-in-map-to-missing-state",
        ),
        pytest.param(
            {
                "StartAt": "A",
                "States": {"A": {"Type": "Wait", "Seconds": 1, "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
            },
            "MISSING_END_STATE",
            ["no terminal state"],
            id="loop-without-end",
        ),
        pytest.param(
            {"StartAt": "A", "States": {"A": {"Type": "Teleport", "End": True}}},
            "SCHEMA_VALIDATION_FAILED",
            ["Teleport"],
            id="unknown-state-type",
        ),
        pytest.param("{not json", "SCHEMA_VALIDATION_FAILED", [], id="not-json"),
    ],
)
def test_validate_fails_an_invalid_definition(
    launcher: Launcher, definition: object, code: str, names: list[str]
) -> None:
    sfn = launcher.client("stepfunctions")
    text = definition if isinstance(definition, str) else json.dumps(definition)
    answer = sfn.validate_state_machine_definition(definition=text)
    assert answer["result"] == "FAIL"
    assert answer["diagnostics"], "a FAIL must say why"
    diagnostic = answer["diagnostics"][0]
    assert diagnostic["severity"] == "ERROR"
    assert diagnostic["code"] == code
    described = diagnostic["message"] + " " + diagnostic.get("location", "")
    for name in names:
        assert name in described


@pytest.mark.parametrize(
    ("states", "named"),
    [
        # AWS refuses it at create time; moto's parser alone would accept it.
        ({"A": {"Type": "Pass", "Next": "Missing"}}, "Missing 'Next' target: Missing"),
        # moto refuses it, but with an empty error code.
        ({"A": {"Type": "Teleport", "End": True}}, "Teleport"),
    ],
    ids=["next-to-missing-state", "unknown-state-type"],
)
def test_create_and_update_reject_an_invalid_definition(
    launcher: Launcher, states: dict[str, object], named: str
) -> None:
    sfn = launcher.client("stepfunctions")
    bad = json.dumps({"StartAt": "A", "States": states})
    with pytest.raises(ClientError) as raised:
        sfn.create_state_machine(name="bad", definition=bad, roleArn=ROLE)
    assert raised.value.response["Error"]["Code"] == "InvalidDefinition"
    assert named in raised.value.response["Error"]["Message"]

    arn = sfn.create_state_machine(name="good", definition=json.dumps(VALID), roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(ClientError) as raised:
        sfn.update_state_machine(stateMachineArn=arn, definition=bad)
    assert raised.value.response["Error"]["Code"] == "InvalidDefinition"
    sfn.update_state_machine(stateMachineArn=arn, roleArn=ROLE)  # no definition: nothing to check


def test_list_state_machine_versions(launcher: Launcher) -> None:
    sfn = launcher.client("stepfunctions")
    unpublished = sfn.create_state_machine(name="plain", definition=json.dumps(VALID), roleArn=ROLE)
    assert sfn.list_state_machine_versions(stateMachineArn=unpublished["stateMachineArn"])["stateMachineVersions"] == []

    created = sfn.create_state_machine(name="versioned", definition=json.dumps(VALID), roleArn=ROLE, publish=True)
    arn = created["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(VALID), publish=True)

    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    assert all("creationDate" in v for v in versions)

    first = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1)
    assert [v["stateMachineVersionArn"] for v in first["stateMachineVersions"]] == [f"{arn}:2"]
    rest = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1, nextToken=first["nextToken"])
    assert [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]] == [f"{arn}:1"]
    assert "nextToken" not in rest

    with pytest.raises(ClientError) as raised:
        sfn.list_state_machine_versions(stateMachineArn=f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:nope")
    assert raised.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


def test_an_execution_started_without_a_name_gets_a_uuid_as_in_aws(launcher: Launcher) -> None:
    sfn = launcher.client("stepfunctions")
    machine = sfn.create_state_machine(name="unnamed-runs", definition=json.dumps(VALID), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"n": 0}')["executionArn"]
    name = arn.rsplit(":", 1)[-1]
    assert name != "None" and len(name) == 36 and name.count("-") == 4, arn
    assert sfn.describe_execution(executionArn=arn)["name"] == name
