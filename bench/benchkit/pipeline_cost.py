"""What a pipeline run costs on AWS, counted from the emulator's execution
history of real runs of the generated state machine.

State transitions are what Step Functions Standard bills: every state
entered (inside the Map's iterations too) and every retry of a task.
Lambda bills requests and duration (rounded up to the millisecond) at the
function's memory size; the durations here are the local ones (task
scheduled to task done), an upper bound of the function's own time but
without AWS's network latency. S3 PUTs and SNS publishes are added too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# bench/run.py puts local/ on the path: the same history reading as `make pipeline`.
from localcloud.runs import invoked_function, scheduled_event

# Public list prices, eu-west-1 (see BENCHMARKS.md for the source and date).
PRICE_PER_TRANSITION = 0.025 / 1_000
PRICE_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
PRICE_PER_GB_SECOND_ARM64 = 0.0000133334
PRICE_PER_S3_PUT = 0.005 / 1_000
PRICE_PER_SNS_PUBLISH = 0.50 / 1_000_000


@dataclass
class RunCost:
    status: str
    transitions: int
    orders: int
    lambda_requests: int
    lambda_gb_seconds: float
    s3_puts: int
    sns_publishes: int

    @property
    def dollars(self) -> float:
        return (
            self.transitions * PRICE_PER_TRANSITION
            + self.lambda_requests * PRICE_PER_LAMBDA_REQUEST
            + self.lambda_gb_seconds * PRICE_PER_GB_SECOND_ARM64
            + self.s3_puts * PRICE_PER_S3_PUT
            + self.sns_publishes * PRICE_PER_SNS_PUBLISH
        )

    @property
    def step_functions_share(self) -> float:
        return self.transitions * PRICE_PER_TRANSITION / self.dollars

    @property
    def dollars_per_1000_orders(self) -> float:
        return self.dollars / self.orders * 1_000


def run_cost(events: list[dict[str, Any]], status: str, memory_mb: dict[str, int]) -> RunCost:
    """`memory_mb`: function name → memory size, as deployed."""
    by_id = {e["id"]: e for e in events}
    entered = sum(1 for e in events if e["type"].endswith("StateEntered"))
    task_states = sum(1 for e in events if e["type"] == "TaskStateEntered")
    scheduled = [e for e in events if e["type"] == "TaskScheduled"]
    # A retried task is entered once and scheduled once per attempt.
    retries = max(len(scheduled) - task_states, 0)
    cost = RunCost(
        status, entered + retries, sum(1 for e in events if e["type"] == "MapIterationStarted"), 0, 0.0, 0, 0
    )
    for event in events:
        if event["type"] not in ("TaskSucceeded", "TaskFailed", "TaskTimedOut"):
            continue
        start = scheduled_event(by_id, event)
        if start is None:
            continue
        details = start["taskScheduledEventDetails"]
        if details["resourceType"] == "sns":
            cost.sns_publishes += 1
            continue
        function = invoked_function(details)
        if not function:
            continue
        milliseconds = math.ceil((event["timestamp"] - start["timestamp"]).total_seconds() * 1000)
        cost.lambda_requests += 1
        cost.lambda_gb_seconds += milliseconds / 1000 * memory_mb.get(function, 128) / 1024
        if event["type"] == "TaskSucceeded" and function.endswith("lambda-b"):
            cost.s3_puts += 1
    return cost


def deployed_memory(lambda_client: Any) -> dict[str, int]:
    return {f["FunctionName"]: int(f["MemorySize"]) for f in lambda_client.list_functions()["Functions"]}
