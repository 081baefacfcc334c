"""End to end: the whole local cloud, as `make local` runs it, on free ports.

The `local` Terraform configuration is applied into the emulator, the Rust
functions run under `cargo lambda watch`, the orders API is served as API
Gateway serves it from the applied configuration, and the emulator's
interpreter runs the state machine tfgen generated. Then: get a token and
POST the spec's example and a bad body through the API, read the items back
with their TTL and writer, run the pipeline (lambda_a not ready twice, then
ready) and a run in which lambda_a is never ready. What the API itself
refuses (tokens, scopes, throttling, sizes) is in test_api_gateway.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from localcloud import LocalCloud  # noqa: E402
from localcloud.runs import RunSummary, start_run, summarize, wait_for  # noqa: E402
from orders_api import post_orders, token  # noqa: E402

SPEC_BODY = (
    b'[{"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4},'
    b' {"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1}]'
)
# The `cloud` fixture (conftest.py, shared with other modules) runs lambda_a
# with seed 0: not ready twice, then ready.


def post(cloud: LocalCloud, body: bytes, content_type: str = "application/json") -> tuple[int, dict[str, str], Any]:
    """Through the local API, with a token from its token endpoint."""
    answer = post_orders(cloud, body, token(cloud), content_type)
    return answer.status, answer.headers, answer.body


def function_arn(cloud: LocalCloud, binary: str) -> str:
    name = cloud.outputs[f"{binary}_function"]
    return str(cloud.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"])


def run(cloud: LocalCloud) -> RunSummary:
    sfn = cloud.client("stepfunctions")
    execution = start_run(sfn, cloud.outputs["state_machine_arn"])
    wait_for(sfn, execution, timeout=120)
    summary = summarize(sfn, execution, cloud.outputs["lambda_a_function"], cloud.outputs["lambda_b_function"])
    print(summary.describe(), flush=True)
    return summary


def alerts_for(cloud: LocalCloud, run_id: str, wait: float = 10) -> list[dict[str, Any]]:
    """Alerts on the queue subscribed to the alert topic, for one run."""
    sqs = cloud.client("sqs")
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        answer = sqs.receive_message(
            QueueUrl=cloud.outputs["alert_queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in answer.get("Messages", []):
            alert = json.loads(message["Body"])
            if alert["metadata"]["additionalContext"].get("run_id") == run_id:
                found.append(alert)
        if found:
            return found
    return found


def attempt_bound(cloud: LocalCloud) -> int:
    """The give-up bound of the deployed definition (tfgen's local setting)."""
    definition = json.loads(
        cloud.client("stepfunctions").describe_state_machine(stateMachineArn=cloud.outputs["state_machine_arn"])[
            "definition"
        ]
    )
    rules = definition["States"]["ResultsReady"]["Choices"]
    return int(next(r["NumericGreaterThanEquals"] for r in rules if r["Variable"] == "$.attempt"))


def test_the_executed_definition_is_the_one_tfgen_generated(cloud: LocalCloud) -> None:
    generated = subprocess.run(
        ["cargo", "run", "--quiet", "-p", "tfgen", "--", "asl", "--env", "local"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for binary in ("lambda_a", "lambda_b"):
        generated = generated.replace(f"${{aws_lambda_function.{binary}.arn}}", function_arn(cloud, binary))
    generated = generated.replace("${aws_sns_topic.alerts.arn}", cloud.outputs["alert_topic_arn"])
    executed = cloud.client("stepfunctions").describe_state_machine(stateMachineArn=cloud.outputs["state_machine_arn"])
    assert json.loads(executed["definition"]) == json.loads(generated)


def test_the_spec_example_is_stored_exactly_with_a_24_hour_ttl(cloud: LocalCloud) -> None:
    status, headers, body = post(cloud, SPEC_BODY)
    assert (status, body) == (201, {"stored": 2})
    assert headers["content-type"] == "application/json"
    table = cloud.client("dynamodb")
    now = time.time()
    for record_id, parameter_1, parameter_2 in (("unique_id_1", "abc", "4"), ("unique_id_2", "def", "2.1")):
        item = table.get_item(TableName=cloud.outputs["orders_table_name"], Key={"record_id": {"S": record_id}})["Item"]
        assert item["parameter_1"] == {"S": parameter_1}
        assert item["parameter_2"] == {"N": parameter_2}
        assert abs(int(item["expires_at"]["N"]) - (now + 86_400)) < 120
        # The writer: the client id from the token's claims.
        assert item["written_by"] == {"S": cloud.outputs["client_id"]}


def test_bad_bodies_are_refused_and_write_nothing(cloud: LocalCloud) -> None:
    status, _, body = post(cloud, b"")
    assert (status, body) == (400, {"errorMessage": "Request body is empty"})
    status, _, body = post(cloud, b'[{"record_id": "would_be_stored"}, {"record_id": ""}]')
    assert status == 400 and "record_id" in body["errorMessage"]
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.outputs["orders_table_name"], Key={"record_id": {"S": "would_be_stored"}}
    )
    assert "Item" not in item


def test_a_run_archives_the_accepted_order_once_and_alerts_on_the_rejected_one(cloud: LocalCloud) -> None:
    summary = run(cloud)
    assert summary.status == "SUCCEEDED", summary.describe()
    assert summary.not_ready == 2
    assert summary.fetch_attempts == summary.not_ready + 1
    run_id = summary.execution_arn.rsplit(":", 1)[-1]

    s3 = cloud.client("s3")
    bucket = cloud.outputs["results_bucket_name"]
    objects = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="orders/").get("Contents", [])]
    mine = [key for key in objects if run_id in key]
    assert len(mine) == 1, objects
    stored = s3.get_object(Bucket=bucket, Key=mine[0])
    assert stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"].read()) == {"status": "accepted", "power": 1}

    alerts = alerts_for(cloud, run_id)
    assert len(alerts) == 1, alerts
    context = alerts[0]["metadata"]["additionalContext"]
    assert context["error"] == "OrderRejected"
    assert json.loads(context["order"]) == {"status": "rejected", "power": 2}


def test_a_run_whose_results_never_come_alerts_and_fails(cloud: LocalCloud) -> None:
    cloud.restart_runtime({"RESULTS_READY_PROBABILITY": "0"})
    summary = run(cloud)
    max_attempts = attempt_bound(cloud)
    assert summary.status == "FAILED"
    assert summary.error is not None and summary.error.startswith("AuctionResultsNotReady")
    assert summary.fetch_attempts == summary.not_ready == max_attempts
    alerts = alerts_for(cloud, summary.execution_arn.rsplit(":", 1)[-1])
    assert [a["metadata"]["additionalContext"]["error"] for a in alerts] == ["AuctionResultsNotReady"]
