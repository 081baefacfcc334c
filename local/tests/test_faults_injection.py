"""The launcher's fault injection (motolocal/faults.py), against a bare
launcher: each fault looks to a client exactly as AWS's own would, the
control endpoint validates what it is given, and a seed fixes the sequence.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import FakeRuntime, Launcher, fault_control, start_launcher, stop_launcher

TABLE = "orders-faults"
BUCKET = "results-faults"


def control(launcher: Launcher, method: str, config: Any = None) -> tuple[int, dict[str, Any]]:
    return fault_control(launcher.endpoint, method, config)


def create_table(launcher: Launcher) -> Any:
    dynamodb = launcher.client("dynamodb", retries={"total_max_attempts": 1})
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "record_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "record_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def puts(ids: list[str]) -> dict[str, Any]:
    return {TABLE: [{"PutRequest": {"Item": {"record_id": {"S": i}, "n": {"N": "2.10"}}}} for i in ids]}


def stored_ids(dynamodb: Any) -> set[str]:
    return {item["record_id"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}


def test_off_by_default_and_reported(launcher: Launcher) -> None:
    status, state = control(launcher, "GET")
    assert status == 200
    assert state["config"]["dynamodb_batch_write"]["rate"] == 0
    dynamodb = create_table(launcher)
    answer = dynamodb.batch_write_item(RequestItems=puts(["a", "b"]))
    assert answer["UnprocessedItems"] == {}
    assert stored_ids(dynamodb) == {"a", "b"}


def test_a_throttled_batch_writes_nothing(launcher: Launcher) -> None:
    dynamodb = create_table(launcher)
    assert control(launcher, "POST", {"dynamodb_batch_write": {"rate": 1, "throttle_share": 1}})[0] == 200
    with pytest.raises(ClientError) as raised:
        dynamodb.batch_write_item(RequestItems=puts(["a", "b"]))
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert stored_ids(dynamodb) == set()
    counters = control(launcher, "GET")[1]["counters"]
    assert (counters["batch_write_calls"], counters["batch_write_throttled"]) == (1, 1)


def test_a_partial_batch_hands_back_exactly_what_it_did_not_write(launcher: Launcher) -> None:
    dynamodb = create_table(launcher)
    control(launcher, "POST", {"seed": 3, "dynamodb_batch_write": {"rate": 1, "throttle_share": 0}})
    ids = [f"r{i}" for i in range(25)]
    answer = dynamodb.batch_write_item(RequestItems=puts(ids))
    left = answer["UnprocessedItems"][TABLE]
    left_ids = {r["PutRequest"]["Item"]["record_id"]["S"] for r in left}
    assert left_ids, "at least one request is handed back"
    # The items come back whole, numbers as sent.
    assert all(r["PutRequest"]["Item"]["n"] == {"N": "2.10"} for r in left)
    assert stored_ids(dynamodb) == set(ids) - left_ids
    # Sending the remainder (faults off) completes the batch.
    control(launcher, "DELETE")
    assert dynamodb.batch_write_item(RequestItems={TABLE: left})["UnprocessedItems"] == {}
    assert stored_ids(dynamodb) == set(ids)


def test_a_seed_fixes_the_sequence_of_decisions(launcher: Launcher) -> None:
    dynamodb = create_table(launcher)

    def outcomes(seed: int) -> list[str]:
        control(launcher, "POST", {"seed": seed, "dynamodb_batch_write": {"rate": 0.5, "throttle_share": 0.5}})
        seen = []
        for i in range(30):
            try:
                answer = dynamodb.batch_write_item(RequestItems=puts([f"s{seed}-{i}-{j}" for j in range(5)]))
                seen.append(f"partial:{len(answer['UnprocessedItems'][TABLE])}" if answer["UnprocessedItems"] else "ok")
            except ClientError:
                seen.append("throttled")
        return seen

    first, again, other = outcomes(11), outcomes(11), outcomes(12)
    assert first == again
    assert first != other
    assert {"ok", "throttled"} <= set(first) and any(o.startswith("partial") for o in first)


def test_latency_delays_every_batch_write_and_fails_none(launcher: Launcher) -> None:
    dynamodb = create_table(launcher)
    control(launcher, "POST", {"dynamodb_batch_write": {"latency_ms": 150}})
    started = time.monotonic()
    answer = dynamodb.batch_write_item(RequestItems=puts(["a"]))
    assert time.monotonic() - started >= 0.15
    assert answer["UnprocessedItems"] == {}
    assert stored_ids(dynamodb) == {"a"}


def test_put_object_fails_the_first_attempts_on_each_matching_key(launcher: Launcher) -> None:
    s3 = launcher.client("s3", retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    control(launcher, "POST", {"s3_put_object": {"key_prefix": "orders/", "failures_per_key": 2}})
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            s3.put_object(Bucket=BUCKET, Key="orders/a.json", Body=b"{}")
        assert raised.value.response["Error"]["Code"] == "SlowDown"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    s3.put_object(Bucket=BUCKET, Key="orders/a.json", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="other/b.json", Body=b"{}")  # outside the prefix: untouched
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == ["orders/a.json", "other/b.json"]
    counters = control(launcher, "GET")[1]["counters"]
    assert (counters["put_object_calls"], counters["put_object_failed"]) == (3, 2)


def test_a_lost_response_stores_the_object_and_still_answers_503(launcher: Launcher) -> None:
    s3 = launcher.client("s3", retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    control(launcher, "POST", {"s3_put_object": {"failures_per_key": 1, "store_before_failing": True}})
    with pytest.raises(ClientError):
        s3.put_object(Bucket=BUCKET, Key="orders/lost.json", Body=b'{"x": 1}', IfNoneMatch="*")
    assert s3.get_object(Bucket=BUCKET, Key="orders/lost.json")["Body"].read() == b'{"x": 1}'
    # The caller's conditional retry learns the object is there.
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=BUCKET, Key="orders/lost.json", Body=b'{"x": 1}', IfNoneMatch="*")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


BAD_CONFIGURATIONS: list[Any] = [
    [],
    {"dynamodb_batch_write": {"rate": 1.5}},
    {"dynamodb_batch_write": {"latency_ms": -5}},
    {"dynamodb_batch_write": {"unknown": 1}},
    {"s3_put_object": {"failures_per_key": -1}},
    {"oops": 1},
]


def test_bad_configurations_are_refused_and_change_nothing(launcher: Launcher) -> None:
    control(launcher, "POST", {"dynamodb_batch_write": {"rate": 0.25}})
    for config in BAD_CONFIGURATIONS:
        status, answer = control(launcher, "POST", config)
        assert status == 400 and answer["message"], config
        assert control(launcher, "GET")[1]["config"]["dynamodb_batch_write"]["rate"] == 0.25, config


def test_the_environment_variable_turns_faults_on_at_start(
    fake_runtime: FakeRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_FAULTS", json.dumps({"seed": 5, "dynamodb_batch_write": {"rate": 0.3}}))
    running = start_launcher(fake_runtime.url, tmp_path / "launcher.log")
    try:
        state = control(running, "GET")[1]
        assert state["config"]["seed"] == 5
        assert state["config"]["dynamodb_batch_write"]["rate"] == 0.3
    finally:
        assert stop_launcher(running.process) == 0
