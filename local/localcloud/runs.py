"""Pipeline runs: start one, wait for it, and say what happened from its
execution history (what a person would otherwise read in the console)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from .processes import CloudError


@dataclass
class RunSummary:
    execution_arn: str
    status: str
    seconds: float
    # lambda_a invocations, and how many answered "not ready".
    fetch_attempts: int = 0
    not_ready: int = 0
    archived: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    alerts: int = 0
    error: str | None = None

    def describe(self) -> str:
        lines = [
            f"run {self.execution_arn.rsplit(':', 1)[-1]}: {self.status} in {self.seconds:.1f} s",
            f"  asked for auction results {self.fetch_attempts} time(s), {self.not_ready} not ready",
            f"  archived {len(self.archived)} accepted order(s), {self.rejected} rejected,"
            f" {self.alerts} alert(s) published",
        ]
        lines += [f"    s3://{a['bucket']}/{a['key']}" for a in self.archived]
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)


def start_run(sfn: Any, state_machine_arn: str, run_input: str = "{}") -> str:
    return str(sfn.start_execution(stateMachineArn=state_machine_arn, input=run_input)["executionArn"])


def wait_for(sfn: Any, execution_arn: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = sfn.describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING":
            return dict(execution)
        time.sleep(0.5)
    raise CloudError(f"run {execution_arn} still RUNNING after {timeout:.0f} s")


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs = {"executionArn": execution_arn, "maxResults": 1000}
        if token:
            kwargs["nextToken"] = token
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def scheduled_event(events_by_id: dict[int, dict[str, Any]], event: dict[str, Any]) -> dict[str, Any] | None:
    """The TaskScheduled event a task event belongs to (walking back)."""
    current = event
    for _ in range(10):
        previous = events_by_id.get(current.get("previousEventId", -1))
        if previous is None:
            return None
        if previous["type"] == "TaskScheduled":
            return previous
        current = previous
    return None


def invoked_function(details: dict[str, Any]) -> str:
    """The name of the function a TaskScheduled event's Lambda task invokes
    (also when the definition names it by ARN); "" for other resources."""
    if details.get("resourceType") != "lambda":
        return ""
    parameters = json.loads(details.get("parameters") or "{}")
    return str(parameters.get("FunctionName", "")).rsplit(":", 1)[-1]


def summarize(sfn: Any, execution_arn: str, lambda_a_name: str, lambda_b_name: str) -> RunSummary:
    execution = sfn.describe_execution(executionArn=execution_arn)
    stop = execution.get("stopDate") or execution["startDate"]
    summary = RunSummary(execution_arn, execution["status"], (stop - execution["startDate"]).total_seconds())
    events = history(sfn, execution_arn)
    by_id = {e["id"]: e for e in events}
    for event in events:
        if event["type"] == "TaskScheduled":
            if invoked_function(event["taskScheduledEventDetails"]).endswith(lambda_a_name):
                summary.fetch_attempts += 1
        elif event["type"] == "TaskSucceeded":
            scheduled = scheduled_event(by_id, event)
            if scheduled is None:
                continue
            details = scheduled["taskScheduledEventDetails"]
            if details["resourceType"] == "sns":
                summary.alerts += 1
                continue
            function = invoked_function(details)
            payload = json.loads(event["taskSucceededEventDetails"].get("output") or "{}").get("Payload", {})
            if function.endswith(lambda_a_name) and payload.get("results") is False:
                summary.not_ready += 1
            elif function.endswith(lambda_b_name):
                summary.archived.append(payload)
        elif event["type"] == "TaskFailed":
            if event["taskFailedEventDetails"].get("error") == "OrderRejected":
                summary.rejected += 1
        elif event["type"] == "ExecutionFailed":
            details = event.get("executionFailedEventDetails", {})
            summary.error = f"{details.get('error')}: {details.get('cause')}"
    return summary
