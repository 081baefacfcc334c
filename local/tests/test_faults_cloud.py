"""Fault injection through the whole local cloud (the shared `cloud`):

- DynamoDB throttles or partly refuses half of the BatchWriteItem calls while
  orders are posted to the local endpoint: no record is lost.
- S3 fails lambda_b's PutObject transiently: the state machine's retry of
  `ArchiveWriteFailed` leaves exactly one object per accepted order and the
  run succeeds, also when a failed attempt had in fact stored the object.

The launcher's fault switch is motolocal/faults.py; faults are off again
after each test.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import fault_control, note_timing
from orders_api import post_orders, token

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud.runs import history, start_run, wait_for  # noqa: E402 (after the sys.path entry above)

# The issue asks for at least 30% of batch writes to fail: with half of them
# failing, the observed share stays above that in any run of this size.
BATCH_WRITE_FAULT_RATE = 0.5
# lambda_b's S3 client makes 3 attempts (the SDK's standard retry): 4
# failures make the first invocation fail with ArchiveWriteFailed, and the
# state machine's retry meet one more failure before the write goes through.
PUT_FAILURES_PER_KEY = 4


@pytest.fixture
def faults(cloud: Any) -> Iterator[Any]:
    """The cloud, with fault injection turned off again afterwards."""
    yield lambda config: _set_faults(cloud, config)
    assert fault_control(cloud.settings.endpoint, "DELETE")[0] == 200


def _set_faults(cloud: Any, config: dict[str, Any]) -> None:
    status, answer = fault_control(cloud.settings.endpoint, "POST", config)
    assert status == 200, answer


def fault_counters(cloud: Any) -> dict[str, int]:
    return dict(fault_control(cloud.settings.endpoint, "GET")[1]["counters"])


@pytest.fixture(scope="module")
def ready_cloud(cloud: Any) -> Iterator[Any]:
    """lambda_a always ready, so each run reaches lambda_b; the runtime is
    restarted with the session's settings afterwards (a fresh lambda_a)."""
    cloud.restart_runtime({"RESULTS_READY_PROBABILITY": "1"})
    yield cloud
    cloud.restart_runtime({})


def post(cloud: Any, body: bytes) -> tuple[int, Any]:
    """Through the local API, with a token, as a client posts."""
    answer = post_orders(cloud, body, token(cloud))
    return answer.status, answer.body


def test_posted_orders_survive_throttled_and_partial_batch_writes(cloud: Any, faults: Any) -> None:
    n = 1_000
    # parameter_2 is a number whose text must survive as posted (0.50 stays 0.50).
    records = (f'{{"record_id": "faults-{i}", "parameter_1": "value {i}", "parameter_2": {i}.50}}' for i in range(n))
    body = f"[{', '.join(records)}]".encode()
    faults({"seed": 2026, "dynamodb_batch_write": {"rate": BATCH_WRITE_FAULT_RATE, "throttle_share": 0.5}})

    statuses = []
    for _ in range(4):
        status, answer = post(cloud, body)
        statuses.append(status)
        if status == 201:
            assert answer == {"stored": n}
            break
        # Not all stored: a 5xx that says so; the same request is sent again.
        assert status == 503, answer
        assert "retrying the same request is safe" in answer["errorMessage"]
    assert statuses[-1] == 201, statuses

    counters = fault_counters(cloud)
    failed = counters["batch_write_throttled"] + counters["batch_write_partial"]
    rate = failed / counters["batch_write_calls"]
    note_timing(
        f"DynamoDB faults through the local endpoint: {failed} of {counters['batch_write_calls']} "
        f"BatchWriteItem calls failed ({rate:.0%}: {counters['batch_write_throttled']} throttled, "
        f"{counters['batch_write_partial']} partial); answers {statuses}"
    )
    assert rate >= 0.3

    table = cloud.outputs["orders_table_name"]
    dynamodb = cloud.client("dynamodb")
    items: dict[str, dict[str, Any]] = {}
    for at in range(0, n, 100):
        keys = [{"record_id": {"S": f"faults-{i}"}} for i in range(at, min(at + 100, n))]
        while keys:
            page = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys}})
            items.update({item["record_id"]["S"]: item for item in page["Responses"][table]})
            keys = page.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    assert len(items) == n, f"{n - len(items)} records lost"
    for i in range(n):
        item = items[f"faults-{i}"]
        assert item["parameter_1"] == {"S": f"value {i}"}
        assert item["parameter_2"] == {"N": f"{i}.50"}


def _run_pipeline(cloud: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """(run id, final status, history) of one pipeline run."""
    sfn = cloud.client("stepfunctions")
    execution = start_run(sfn, cloud.outputs["state_machine_arn"])
    final = wait_for(sfn, execution, timeout=120)
    return execution.rsplit(":", 1)[-1], final["status"], history(sfn, execution)


def _archived_objects(cloud: Any, run_id: str) -> list[str]:
    s3 = cloud.client("s3")
    listing = s3.list_objects_v2(Bucket=cloud.outputs["results_bucket_name"], Prefix="orders/")
    return [o["Key"] for o in listing.get("Contents", []) if run_id in o["Key"]]


def _lambda_b_outcomes(events: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """(errors of failed lambda_b attempts, payloads of successful ones)."""
    errors = [
        e["taskFailedEventDetails"].get("error", "")
        for e in events
        if e["type"] == "TaskFailed" and e["taskFailedEventDetails"].get("error") != "OrderRejected"
    ]
    payloads = []
    for event in events:
        if event["type"] == "TaskSucceeded" and event["taskSucceededEventDetails"].get("resourceType") == "lambda":
            payload = json.loads(event["taskSucceededEventDetails"].get("output") or "{}").get("Payload", {})
            if isinstance(payload, dict) and "key" in payload:
                payloads.append(payload)
    return errors, payloads


@pytest.mark.parametrize("lost_response", [False, True], ids=["write-fails", "write-lands-answer-lost"])
def test_transient_s3_failures_leave_one_object_per_accepted_order(
    ready_cloud: Any, faults: Any, lost_response: bool
) -> None:
    faults(
        {
            "s3_put_object": {
                "key_prefix": "orders/",
                "failures_per_key": PUT_FAILURES_PER_KEY,
                "store_before_failing": lost_response,
            }
        }
    )
    run_id, status, events = _run_pipeline(ready_cloud)
    errors, payloads = _lambda_b_outcomes(events)
    counters = fault_counters(ready_cloud)
    note_timing(
        f"S3 faults ({'write lands, answer lost' if lost_response else 'write fails'}): "
        f"{counters['put_object_failed']} of {counters['put_object_calls']} PutObject calls answered 503; "
        f"lambda_b attempts failed with {errors}; run {status}"
    )
    assert status == "SUCCEEDED", errors
    # The state machine's own retry was needed, and it was enough.
    assert errors and set(errors) == {"ArchiveWriteFailed"}, errors
    assert counters["put_object_failed"] == PUT_FAILURES_PER_KEY
    objects = _archived_objects(ready_cloud, run_id)
    assert len(objects) == 1, objects
    body = ready_cloud.client("s3").get_object(Bucket=ready_cloud.outputs["results_bucket_name"], Key=objects[0])
    assert json.loads(body["Body"].read()) == {"status": "accepted", "power": 1}
    assert [p["key"] for p in payloads] == objects
    # When the first attempt had stored it, the retry found it instead of writing again.
    assert [p["already_stored"] for p in payloads] == [lost_response]
