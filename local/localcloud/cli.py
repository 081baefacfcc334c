"""`make local`, `make pipeline`, `make results`."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import manifest
from .processes import CloudError
from .runs import start_run, summarize, wait_for
from .stack import CloudSettings, LocalCloud, clients_for, running_cloud_state

REPO = Path(__file__).resolve().parents[2]
STATE_FILE = REPO / ".local" / "cloud.json"
EXAMPLE_BODY = (
    '[{"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4}, '
    '{"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1}]'
)


def run_pipeline(client: Callable[[str], Any], outputs: dict[str, Any], arn: str | None = None) -> str:
    sfn = client("stepfunctions")
    execution = arn or start_run(sfn, outputs["state_machine_arn"])
    wait_for(sfn, execution)
    return summarize(sfn, execution, outputs["lambda_a_function"], outputs["lambda_b_function"]).describe()


def schedule_minutes(client: Callable[[str], Any]) -> tuple[int, str, str]:
    """The local schedule as stored in the emulator (which never fires it)."""
    scheduler = client("scheduler")
    name = scheduler.list_schedules()["Schedules"][0]["Name"]
    schedule = scheduler.get_schedule(Name=name)
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", schedule["ScheduleExpression"])
    if not match:
        raise CloudError(f"cannot emulate schedule {schedule['ScheduleExpression']}")
    minutes = int(match[1]) * (60 if match[2].startswith("hour") else 1)
    return minutes, schedule["Target"]["Arn"], schedule["Target"].get("Input", "{}")


def fire_schedule(cloud: LocalCloud, stop: threading.Event) -> None:
    """Stands in for EventBridge Scheduler: a run now, then one per interval."""
    minutes, target, run_input = schedule_minutes(cloud.client)
    sfn = cloud.client("stepfunctions")
    while not stop.is_set():
        print(f"==> scheduled pipeline run (every {minutes} min; `make pipeline` starts one now)", flush=True)
        try:
            execution = start_run(sfn, target, run_input)
            print(run_pipeline(cloud.client, cloud.outputs, execution), flush=True)
        except Exception as error:  # keep the cloud up; show what went wrong
            print(f"pipeline run failed to complete: {error}", flush=True)
        stop.wait(minutes * 60)


def calling_the_api(cloud: LocalCloud) -> str:
    """README's "Calling the API", with the local token endpoint and URL."""
    scope = cloud.outputs["orders_scope"]
    return f"""Post orders as in AWS (README "Calling the API"): get a token, then curl with it:
  TOKEN=$(curl -s -u '{cloud.outputs["client_id"]}:{cloud.client_secret()}' \\
      -d grant_type=client_credentials -d scope={scope} {cloud.token_url} |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

  curl -i -X POST {cloud.orders_url} \\
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      -d '{EXAMPLE_BODY}'
"""


def up(args: argparse.Namespace) -> int:
    settings = CloudSettings(
        repo=REPO,
        workdir=REPO / ".local" / "cloud",
        moto_port=int(os.environ.get("MOTO_PORT", "4566")),
        lambda_port=int(os.environ.get("LAMBDA_PORT", "9000")),
        api_port=int(os.environ.get("API_PORT", "8080")),
    )
    # Ctrl-C, `kill` and a closed terminal all end in the cleanup below, also
    # when a parent started us with SIGINT ignored (background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    started = time.monotonic()
    stop = threading.Event()
    try:
        with LocalCloud(settings) as cloud:
            STATE_FILE.write_text(json.dumps(cloud.state(), indent=2))
            print(
                f"""
The local cloud is up ({time.monotonic() - started:.0f} s). Everything runs on this machine:
  AWS emulator (moto)   {settings.endpoint}
  Orders API            {cloud.api_url} (as API Gateway serves it: JWT authorizer, scopes, throttling)
  Rust functions        http://127.0.0.1:{settings.lambda_port} (cargo lambda watch; debugging only)
  orders table          {cloud.outputs["orders_table_name"]}
  results bucket        {cloud.outputs["results_bucket_name"]}
  state machine         {cloud.outputs["state_machine_arn"]}

{calling_the_api(cloud)}
In another terminal:
  make results    stored orders (with their TTL), archived orders, alerts
  make pipeline   start a pipeline run now and summarize it
Logs: {settings.workdir / "logs"}     Stop everything: Ctrl-C
""",
                flush=True,
            )
            scheduler = threading.Thread(target=fire_schedule, args=(cloud, stop), daemon=True)
            scheduler.start()
            while True:
                for child in cloud.supervisor.children:
                    if not child.alive():
                        raise CloudError(f"{child.name} stopped unexpectedly; see {child.log}")
                time.sleep(1)
    except KeyboardInterrupt:
        print("\n==> stopped the local cloud; nothing of it is left running")
        return 0
    except CloudError as error:
        print(f"local cloud: {error}", file=sys.stderr)
        return 1
    finally:
        stop.set()
        STATE_FILE.unlink(missing_ok=True)


def pipeline(_: argparse.Namespace) -> int:
    state = running_cloud_state(REPO)
    print(run_pipeline(clients_for(state), state["outputs"]))
    return 0


def results(_: argparse.Namespace) -> int:
    state = running_cloud_state(REPO)
    client = clients_for(state)
    table = state["outputs"]["orders_table_name"]
    items = client("dynamodb").scan(TableName=table, Limit=20).get("Items", [])
    print(f"orders in table {table} (up to 20): {len(items)}")
    now = time.time()
    for item in items:
        expires = int(item["expires_at"]["N"])
        print(
            f"  {item['record_id']['S']}  expires in {(expires - now) / 3600:.1f} h  {json.dumps(item, sort_keys=True)}"
        )
    bucket = state["outputs"]["results_bucket_name"]
    objects = client("s3").list_objects_v2(Bucket=bucket, Prefix="orders/").get("Contents", [])
    print(f"archived orders in s3://{bucket}/orders/: {len(objects)}")
    for item in objects:
        body = client("s3").get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
        print(f"  {item['Key']}  {body}")
    queue = state["outputs"]["alert_queue_url"]
    # Peek: a zero visibility timeout leaves the alerts in the queue.
    messages = (
        client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    )
    print(f"alerts on {queue.rsplit('/', 1)[-1]} (up to 10): {len(messages)}")
    for message in messages:
        try:
            alert = json.loads(message["Body"])
            print(f"  {alert['content']['title']}: {alert['content']['description']}")
        except (ValueError, KeyError):
            print(f"  {message['Body']}")
    return 0


def deploy_dry_run_command(args: argparse.Namespace) -> int:
    from .promotion import rehearse_promotion

    # The pipeline deploys every environment in order from one artifact, so
    # the rehearsal walks the whole promotion path whichever ENV was named.
    report = rehearse_promotion(REPO, REPO / ".local" / "promotion")
    print(report.describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local/cloud.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole system locally until Ctrl-C").set_defaults(run=up)
    commands.add_parser("pipeline", help="start a pipeline run and summarize it").set_defaults(run=pipeline)
    commands.add_parser("results", help="list archived orders and alerts").set_defaults(run=results)
    dry_run = commands.add_parser(
        "deploy-dry-run", help="bootstrap, then plan/apply every environment along the promotion path"
    )
    deployed = manifest.load(REPO / "terraform" / "manifest.json").deployed
    dry_run.add_argument("--env", default=deployed[0], choices=deployed)
    dry_run.set_defaults(run=deploy_dry_run_command)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except CloudError as error:
        print(f"local cloud: {error}", file=sys.stderr)
        return 1
