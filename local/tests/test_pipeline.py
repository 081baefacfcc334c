"""moto's Step Functions interpreter runs a pipeline shaped like the project's,
its Lambda tasks reaching the (fake) local runtime through the launcher.

The definition uses JSONPath only (the interpreter cannot run JSONata or
Variables) and the shapes the project's pipeline uses: a Pass setting a
counter, lambda:invoke tasks with Parameters/Payload paths, ResultSelector
taking `$.Payload` whole, `States.MathAdd`, a Choice on a boolean and on the
counter, a Wait loop, an inline Map with ItemSelector over the context
object, Retry on a custom error, Catch on OrderRejected, sns:publish with a
JSON message, and a Fail state.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import (
    ACCOUNT,
    FakeRuntime,
    Launcher,
    Responder,
    create_function,
    create_role,
    function_error,
    ok,
)

MAX_ATTEMPTS = 3
ORDERS = [{"status": "accepted", "power": 1}, {"status": "rejected", "power": 2}]


def pipeline_definition(lambda_a: str, lambda_b: str, topic: str) -> dict[str, Any]:
    return {
        "Comment": "auction results -> one lambda_b per order, alerts on SNS",
        "StartAt": "InitAttempts",
        "TimeoutSeconds": 120,
        "States": {
            "InitAttempts": {
                "Type": "Pass",
                "Parameters": {"attempts": 0},
                "ResultPath": "$.loop",
                "Next": "GetResults",
            },
            "GetResults": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": lambda_a,
                    "Payload": {"attempt.$": "$.loop.attempts", "run.$": "$$.Execution.Name"},
                },
                "ResultSelector": {"body.$": "$.Payload"},
                "ResultPath": "$.results",
                "TimeoutSeconds": 30,
                "Retry": [
                    {
                        "ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 2,
                    }
                ],
                "Next": "CountAttempt",
            },
            "CountAttempt": {
                "Type": "Pass",
                "Parameters": {"attempts.$": "States.MathAdd($.loop.attempts, 1)"},
                "ResultPath": "$.loop",
                "Next": "ResultsReady?",
            },
            "ResultsReady?": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.results.body.results", "BooleanEquals": True, "Next": "ProcessOrders"},
                    {
                        "Variable": "$.loop.attempts",
                        "NumericGreaterThanEquals": MAX_ATTEMPTS,
                        "Next": "AlertGiveUp",
                    },
                ],
                "Default": "WaitForResults",
            },
            "WaitForResults": {"Type": "Wait", "Seconds": 1, "Next": "GetResults"},
            "ProcessOrders": {
                "Type": "Map",
                "ItemsPath": "$.results.body.orders",
                "ItemSelector": {
                    "order.$": "$$.Map.Item.Value",
                    "index.$": "$$.Map.Item.Index",
                    "run.$": "$$.Execution.Name",
                    "started.$": "$$.Execution.StartTime",
                },
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "ArchiveOrder",
                    "States": {
                        "ArchiveOrder": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {
                                "FunctionName": lambda_b,
                                "Payload": {
                                    "order.$": "$.order",
                                    "index.$": "$.index",
                                    "run.$": "$.run",
                                    "started.$": "$.started",
                                },
                            },
                            "ResultSelector": {"archived.$": "$.Payload"},
                            "TimeoutSeconds": 30,
                            "Retry": [
                                {
                                    "ErrorEquals": ["ArchiveWriteFailed"],
                                    "IntervalSeconds": 1,
                                    "MaxAttempts": 2,
                                    "BackoffRate": 2,
                                }
                            ],
                            "Catch": [
                                {"ErrorEquals": ["OrderRejected"], "ResultPath": "$.error", "Next": "AlertRejected"}
                            ],
                            "End": True,
                        },
                        "AlertRejected": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::sns:publish",
                            "Parameters": {
                                "TopicArn": topic,
                                "Subject": "Order rejected",
                                "Message": {
                                    "alert": "order_rejected",
                                    "summary.$": "States.Format('Order {} of run {} was rejected', $.index, $.run)",
                                    "order.$": "States.JsonToString($.order)",
                                    "error.$": "$.error.Error",
                                    "cause.$": "$.error.Cause",
                                },
                            },
                            "ResultPath": None,
                            "TimeoutSeconds": 30,
                            "End": True,
                        },
                    },
                },
                "ResultPath": "$.processed",
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "AlertGiveUp": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {
                    "TopicArn": topic,
                    "Subject": "No auction results",
                    "Message": {
                        "alert": "gave_up",
                        "summary.$": "States.Format('No auction results after {} attempts', $.loop.attempts)",
                    },
                },
                "ResultPath": None,
                "TimeoutSeconds": 30,
                "Next": "GaveUp",
            },
            "GaveUp": {
                "Type": "Fail",
                "Error": "ResultsNotReady",
                "Cause": "lambda_a did not return results within the attempt bound",
            },
        },
    }


@dataclass
class Stack:
    state_machine: str
    queue_url: str


def deploy(launcher: Launcher) -> Stack:
    """What the project's local Terraform creates for the pipeline."""
    role = create_role(launcher)
    lambda_a = create_function(launcher, "orders-local-lambda-a", "lambda_a", role)
    lambda_b = create_function(launcher, "orders-local-lambda-b", "lambda_b", role)
    sns, sqs = launcher.client("sns"), launcher.client("sqs")
    topic = sns.create_topic(Name="orders-local-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="orders-local-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    definition = pipeline_definition(lambda_a, lambda_b, topic)
    sfn = launcher.client("stepfunctions")
    assert sfn.validate_state_machine_definition(definition=json.dumps(definition))["result"] == "OK"
    state_machine = sfn.create_state_machine(
        name="orders-local-pipeline",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        type="STANDARD",
    )["stateMachineArn"]
    return Stack(state_machine, queue_url)


def run(launcher: Launcher, stack: Stack, name: str, timeout_s: float = 60) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = launcher.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=stack.state_machine, name=name, input="{}")["executionArn"]
    deadline = time.monotonic() + timeout_s
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"execution {name} still running after {timeout_s} s"
        time.sleep(0.2)
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return described, events


def alerts(launcher: Launcher, stack: Stack) -> list[dict[str, Any]]:
    answer = launcher.client("sqs").receive_message(
        QueueUrl=stack.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
    )
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def lambda_tasks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e["taskScheduledEventDetails"]
        for e in events
        if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "lambda"
    ]


def lambda_a_ready_after(not_ready: int) -> Responder:
    def answer(event: Any, call: int) -> tuple[int, Any]:
        return ok({"results": True, "orders": ORDERS} if call > not_ready else {"results": False})

    return answer


def lambda_b_failing_first_write() -> Responder:
    """Rejects rejected orders; fails the first archive write, then succeeds.
    (Map iterations run concurrently: count the writes, not the calls.)"""
    writes = Counter[str]()
    lock = threading.Lock()

    def answer(event: Any, call: int) -> tuple[int, Any]:
        if event["order"]["status"] == "rejected":
            return function_error("OrderRejected", "Order status is rejected!")
        with lock:
            writes["all"] += 1
            first = writes["all"] == 1
        if first:
            return function_error("ArchiveWriteFailed", "S3 said 503, try again")
        return ok({"key": f"orders/order_{event['started']}_{event['index']}.json"})

    return answer


def test_pipeline_runs_to_succeeded(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    fake_runtime.on("lambda_a", lambda_a_ready_after(not_ready=2))
    fake_runtime.on("lambda_b", lambda_b_failing_first_write())
    stack = deploy(launcher)

    started = time.monotonic()
    execution, events = run(launcher, stack, "run-ok")
    elapsed = time.monotonic() - started

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["loop"] == {"attempts": 3}
    archived, rejected = output["processed"]
    assert archived["archived"]["key"].startswith("orders/order_")
    assert rejected["error"]["Error"] == "OrderRejected"  # Catch saw the function's errorType

    # lambda_a: 2 "not ready" + 1 ready; lambda_b: a failed write, its retry, the rejected order.
    a_calls, b_calls = fake_runtime.calls_to("lambda_a"), fake_runtime.calls_to("lambda_b")
    assert [c.event["attempt"] for c in a_calls] == [0, 1, 2]
    assert all(c.event["run"] == "run-ok" for c in a_calls)
    assert len(b_calls) == 3
    assert sorted(c.event["index"] for c in b_calls) == [0, 0, 1]
    # $$.Execution.StartTime, as AWS writes it (moto's own is a datetime)
    [started_at] = {c.event["started"] for c in b_calls}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", started_at), started_at
    assert {c.event["run"] for c in b_calls} == {"run-ok"}

    # History: six Lambda tasks, the retried failure and the caught one, one alert, two waits.
    tasks = lambda_tasks(events)
    assert len(tasks) == 6
    assert Counter(json.loads(t["parameters"])["FunctionName"].rsplit(":", 1)[-1] for t in tasks) == {
        "orders-local-lambda-a": 3,
        "orders-local-lambda-b": 3,
    }
    failures = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert sorted(failures) == ["ArchiveWriteFailed", "OrderRejected"]
    types = Counter(e["type"] for e in events)
    assert types["WaitStateEntered"] == 2
    assert types["MapIterationSucceeded"] == 2
    assert types["ExecutionSucceeded"] == 1
    sns_tasks = [e for e in events if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "sns"]
    assert len(sns_tasks) == 1

    [alert] = alerts(launcher, stack)
    assert alert["alert"] == "order_rejected"
    assert alert["error"] == "OrderRejected"
    assert json.loads(alert["cause"]) == {"errorType": "OrderRejected", "errorMessage": "Order status is rejected!"}
    assert json.loads(alert["order"]) == {"status": "rejected", "power": 2}
    assert alert["summary"] == "Order 1 of run run-ok was rejected"
    print(f"pipeline run (3 lambda_a attempts, 2 waits, map of 2, 1 retry): {elapsed:.1f} s")


def test_pipeline_gives_up_when_results_never_come(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    fake_runtime.on("lambda_a", lambda_a_ready_after(not_ready=10**6))
    fake_runtime.on("lambda_b", lambda_b_failing_first_write())
    stack = deploy(launcher)

    execution, events = run(launcher, stack, "run-give-up")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "ResultsNotReady"
    assert len(fake_runtime.calls_to("lambda_a")) == MAX_ATTEMPTS
    assert fake_runtime.calls_to("lambda_b") == []
    assert len(lambda_tasks(events)) == MAX_ATTEMPTS
    types = Counter(e["type"] for e in events)
    assert types["WaitStateEntered"] == MAX_ATTEMPTS - 1
    assert types["FailStateEntered"] == 1
    assert types["ExecutionFailed"] == 1
    assert [alert["alert"] for alert in alerts(launcher, stack)] == ["gave_up"]


def test_unreachable_runtime_fails_the_task_as_a_lambda_service_error(
    launcher: Launcher, fake_runtime: FakeRuntime
) -> None:
    # lambda_a unknown to the runtime: 404 there, ResourceNotFoundException
    # here, and the state machine sees Lambda.ResourceNotFoundException.
    stack = deploy(launcher)

    execution, events = run(launcher, stack, "run-no-runtime")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "Lambda.ResourceNotFoundException"
    assert "not found in the local Lambda runtime" in execution["cause"]


@pytest.mark.parametrize("bad", ["JSONata", "Assign"])
def test_definitions_the_interpreter_cannot_run_are_flagged_in_the_log(launcher: Launcher, bad: str) -> None:
    state: dict[str, Any] = {"Type": "Pass", "End": True}
    definition: dict[str, Any] = {"StartAt": "P", "States": {"P": state}}
    if bad == "JSONata":
        definition["QueryLanguage"] = "JSONata"
    else:
        state["Assign"] = {"x": 1}
    launcher.client("stepfunctions").create_state_machine(
        name=f"uses-{bad}", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )
    assert "cannot run them" in launcher.log()
