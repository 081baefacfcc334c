"""moto's Step Functions interpreter runs the project's pipeline, its Lambda
tasks reaching the (fake) local runtime through the launcher.

The definition is the `local` one exactly as tfgen writes it (`tfgen asl
--env local`), never a copy: only its references to the functions and the
alert topic are replaced by what this test creates. So a change to the
pipeline is run here as it will run in the local cloud.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import (
    ACCOUNT,
    REPO,
    FakeRuntime,
    Launcher,
    Responder,
    create_function,
    create_role,
    function_error,
    ok,
)

ORDERS = [{"status": "accepted", "power": 1}, {"status": "rejected", "power": 2}]
# The references in `tfgen asl` output, replaced by what deploy() creates.
LAMBDA_A_REF = "${aws_lambda_function.lambda_a.arn}"
LAMBDA_B_REF = "${aws_lambda_function.lambda_b.arn}"
TOPIC_REF = "${aws_sns_topic.alerts.arn}"


@pytest.fixture(scope="module")
def local_definition() -> str:
    """The local pipeline exactly as tfgen writes it (`tfgen asl --env local`)."""
    result = subprocess.run(
        ["cargo", "run", "--quiet", "-p", "tfgen", "--", "asl", "--env", "local"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def max_attempts(definition: dict[str, Any]) -> int:
    """The attempt bound of the results loop, as the definition states it."""
    [bound] = [
        rule["NumericGreaterThanEquals"]
        for state in definition["States"].values()
        for rule in state.get("Choices", [])
        if rule["Variable"] == "$.attempt"
    ]
    return int(bound)


def pipeline_definition(template: str, lambda_a: str, lambda_b: str, topic: str) -> dict[str, Any]:
    for reference in (LAMBDA_A_REF, LAMBDA_B_REF, TOPIC_REF):
        assert reference in template, f"tfgen asl no longer refers to {reference}"
    text = template.replace(LAMBDA_A_REF, lambda_a).replace(LAMBDA_B_REF, lambda_b).replace(TOPIC_REF, topic)
    assert "${" not in text, "a reference this test does not know"
    definition: dict[str, Any] = json.loads(text)
    return definition


@dataclass
class Stack:
    state_machine: str
    queue_url: str
    max_attempts: int


def deploy(launcher: Launcher, template: str) -> Stack:
    """What the project's local Terraform creates for the pipeline."""
    role = create_role(launcher)
    lambda_a = create_function(launcher, "orders-local-lambda-a", "lambda_a", role)
    lambda_b = create_function(launcher, "orders-local-lambda-b", "lambda_b", role)
    sns, sqs = launcher.client("sns"), launcher.client("sqs")
    topic = sns.create_topic(Name="orders-local-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="orders-local-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    definition = pipeline_definition(template, lambda_a, lambda_b, topic)
    sfn = launcher.client("stepfunctions")
    assert sfn.validate_state_machine_definition(definition=json.dumps(definition))["result"] == "OK"
    state_machine = sfn.create_state_machine(
        name="orders-local-pipeline",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        type="STANDARD",
    )["stateMachineArn"]
    return Stack(state_machine, queue_url, max_attempts(definition))


def run(
    launcher: Launcher, stack: Stack, name: str, timeout_s: float = 60
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = launcher.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=stack.state_machine, name=name, input="{}")["executionArn"]
    deadline = time.monotonic() + timeout_s
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"execution {name} still running after {timeout_s} s"
        time.sleep(0.2)
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return described, events


def alerts(launcher: Launcher, stack: Stack) -> list[dict[str, Any]]:
    answer = launcher.client("sqs").receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
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
        return ok({"key": f"orders/order_{event['run_started_at']}_{event['item_index']}.json"})

    return answer


def test_pipeline_runs_to_succeeded(launcher: Launcher, fake_runtime: FakeRuntime, local_definition: str) -> None:
    fake_runtime.on("lambda_a", lambda_a_ready_after(not_ready=2))
    fake_runtime.on("lambda_b", lambda_b_failing_first_write())
    stack = deploy(launcher, local_definition)

    started = time.monotonic()
    execution, events = run(launcher, stack, "run-ok")
    elapsed = time.monotonic() - started

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["attempt"] == 3
    archived, rejected = output["archived"]
    assert archived["payload"]["key"].startswith("orders/order_")
    assert rejected["error"]["Error"] == "OrderRejected"  # Catch saw the function's errorType

    # lambda_a: 2 "not ready" + 1 ready; lambda_b: a failed write, its retry, the rejected order.
    a_calls, b_calls = fake_runtime.calls_to("lambda_a"), fake_runtime.calls_to("lambda_b")
    assert [c.event["attempt"] for c in a_calls] == [0, 1, 2]
    assert len(b_calls) == 3
    assert sorted(c.event["item_index"] for c in b_calls) == [0, 0, 1]
    # $$.Execution.StartTime, as AWS writes it (moto's own is a datetime)
    [started_at] = {c.event["run_started_at"] for c in b_calls}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", started_at), started_at
    assert {c.event["run_id"] for c in b_calls} == {"run-ok"}

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
    sns_tasks = [
        e for e in events if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "sns"
    ]
    assert len(sns_tasks) == 1

    [alert] = alerts(launcher, stack)
    assert alert["content"]["title"] == "Auction order rejected"
    context = alert["metadata"]["additionalContext"]
    assert context["error"] == "OrderRejected"
    assert json.loads(context["cause"]) == {"errorType": "OrderRejected", "errorMessage": "Order status is rejected!"}
    assert json.loads(context["order"]) == {"status": "rejected", "power": 2}
    assert context["run_id"] == "run-ok"
    assert alert["content"]["description"].startswith(
        'Order {"status":"rejected","power":2} was rejected in run run-ok'
    )
    print(f"pipeline run (3 lambda_a attempts, 2 waits, map of 2, 1 retry): {elapsed:.1f} s")


def test_pipeline_gives_up_when_results_never_come(
    launcher: Launcher, fake_runtime: FakeRuntime, local_definition: str
) -> None:
    fake_runtime.on("lambda_a", lambda_a_ready_after(not_ready=10**6))
    fake_runtime.on("lambda_b", lambda_b_failing_first_write())
    stack = deploy(launcher, local_definition)

    execution, events = run(launcher, stack, "run-give-up")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "AuctionResultsNotReady"
    assert len(fake_runtime.calls_to("lambda_a")) == stack.max_attempts
    assert fake_runtime.calls_to("lambda_b") == []
    assert len(lambda_tasks(events)) == stack.max_attempts
    types = Counter(e["type"] for e in events)
    assert types["WaitStateEntered"] == stack.max_attempts - 1
    assert types["FailStateEntered"] == 1
    assert types["ExecutionFailed"] == 1
    [alert] = alerts(launcher, stack)
    assert alert["content"]["title"] == "Auction results not ready"
    assert alert["metadata"]["additionalContext"]["attempts"] == str(stack.max_attempts)


def test_unreachable_runtime_fails_the_task_as_a_lambda_service_error(
    launcher: Launcher, fake_runtime: FakeRuntime, local_definition: str
) -> None:
    # lambda_a unknown to the runtime: 404 there, ResourceNotFoundException
    # here; the state machine sees Lambda.ResourceNotFoundException, alerts
    # with it and fails the run.
    stack = deploy(launcher, local_definition)

    execution, events = run(launcher, stack, "run-no-runtime")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "PipelineRunFailed"
    [alert] = alerts(launcher, stack)
    assert alert["content"]["title"] == "Auction pipeline run failed"
    context = alert["metadata"]["additionalContext"]
    assert context["error"] == "Lambda.ResourceNotFoundException"
    assert "not found in the local Lambda runtime" in context["cause"]


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
