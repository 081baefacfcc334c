"""boto3 `lambda.invoke` against the launcher reaches the local runtime."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import (
    FakeRuntime,
    Launcher,
    create_function,
    create_role,
    function_error,
    ok,
    start_launcher,
    stop_launcher,
)


def test_invoke_reaches_the_runtime_by_handler_name(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    fake_runtime.on("lambda_b", lambda event, n: ok({"archived": f"orders/order_{event['power']}.json"}))
    create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))

    answer = launcher.client("lambda").invoke(
        FunctionName="orders-local-lambda-b",
        Payload=json.dumps({"status": "accepted", "power": 1}).encode(),
    )

    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"archived": "orders/order_1.json"}
    [call] = fake_runtime.calls_to("lambda_b")
    assert call.event == {"status": "accepted", "power": 1}


def test_invoke_by_arn_uses_the_plain_runtime_name(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    # The runtime answers 404 to a full ARN; the forward must send the name.
    fake_runtime.on("lambda_b", lambda event, n: ok({"n": n}))
    arn = create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))

    answer = launcher.client("lambda").invoke(FunctionName=arn, Payload=b"{}")

    assert json.loads(answer["Payload"].read()) == {"n": 1}
    assert len(fake_runtime.calls_to("lambda_b")) == 1


def test_function_error_comes_back_as_a_lambda_function_error(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    fake_runtime.on("lambda_b", lambda event, n: function_error("OrderRejected", "Order status is rejected!"))
    create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))

    answer = launcher.client("lambda").invoke(
        FunctionName="orders-local-lambda-b",
        Payload=json.dumps({"status": "rejected", "power": 2}).encode(),
    )

    assert answer["StatusCode"] == 200  # as on AWS: the call worked, the function failed
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read()) == {
        "errorType": "OrderRejected",
        "errorMessage": "Order status is rejected!",
    }
    assert fake_runtime.calls_to("lambda_b")[0].event == {"status": "rejected", "power": 2}


def test_without_a_binary_handler_the_function_name_is_used(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    fake_runtime.on("lambda_a", lambda event, n: ok({"results": False}))
    create_function(launcher, "lambda_a", "bootstrap", create_role(launcher))

    answer = launcher.client("lambda").invoke(FunctionName="lambda_a")

    assert json.loads(answer["Payload"].read()) == {"results": False}
    assert fake_runtime.calls_to("lambda_a")[0].event == {}


def test_function_unknown_to_the_runtime_is_a_not_found_error(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    create_function(launcher, "orders-local-lambda-x", "lambda_x", create_role(launcher))

    with pytest.raises(ClientError) as raised:
        launcher.client("lambda").invoke(FunctionName="orders-local-lambda-x", Payload=b"{}")

    error = raised.value.response["Error"]
    assert error["Code"] == "ResourceNotFoundException"
    assert "lambda_x" in error["Message"]
    assert "local runtime answered HTTP 404" in launcher.log()


def test_asynchronous_invoke_is_accepted_and_delivered(launcher: Launcher, fake_runtime: FakeRuntime) -> None:
    fake_runtime.on("lambda_b", lambda event, n: ok(None))
    create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))

    answer = launcher.client("lambda").invoke(
        FunctionName="orders-local-lambda-b", InvocationType="Event", Payload=b'{"power": 3}'
    )

    assert answer["StatusCode"] == 202
    deadline = time.monotonic() + 10
    while not fake_runtime.calls_to("lambda_b") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_runtime.calls_to("lambda_b")[0].event == {"power": 3}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed when the with ends: nobody listens


def test_unreachable_runtime_is_a_service_error_and_logged(tmp_path: Path) -> None:
    runtime_url = f"http://127.0.0.1:{_closed_port()}"
    launcher = start_launcher(runtime_url, tmp_path / "launcher.log")
    try:
        create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))
        client = launcher.client("lambda", retries={"max_attempts": 1, "mode": "standard"})

        with pytest.raises(ClientError) as raised:
            client.invoke(FunctionName="orders-local-lambda-b", Payload=b"{}")

        error = raised.value.response["Error"]
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert error["Code"] == "ServiceException"
        assert runtime_url in error["Message"] and "unreachable" in error["Message"]
        assert f"local Lambda runtime {runtime_url} unreachable" in launcher.log()
    finally:
        assert stop_launcher(launcher.process) == 0


def test_runtime_failure_without_an_error_payload_is_a_service_error(
    launcher: Launcher, fake_runtime: FakeRuntime
) -> None:
    fake_runtime.on("lambda_b", lambda event, n: (502, "bad gateway"))
    create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))
    client = launcher.client("lambda", retries={"max_attempts": 1, "mode": "standard"})

    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="orders-local-lambda-b", Payload=b"{}")

    assert raised.value.response["Error"]["Code"] == "ServiceException"
    assert "answered HTTP 502" in raised.value.response["Error"]["Message"]


def test_no_answer_in_time_is_a_timeout_function_error(fake_runtime: FakeRuntime, tmp_path: Path) -> None:
    def slow(event: Any, n: int) -> tuple[int, Any]:
        time.sleep(2)
        return ok({"too": "late"})

    fake_runtime.on("lambda_b", slow)
    launcher = start_launcher(fake_runtime.url, tmp_path / "launcher.log", invoke_timeout=0.5)
    try:
        create_function(launcher, "orders-local-lambda-b", "lambda_b", create_role(launcher))

        answer = launcher.client("lambda").invoke(FunctionName="orders-local-lambda-b", Payload=b"{}")

        assert answer["FunctionError"] == "Unhandled"
        assert json.loads(answer["Payload"].read())["errorType"] == "Sandbox.Timedout"
    finally:
        assert stop_launcher(launcher.process) == 0
