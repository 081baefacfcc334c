"""Fault injection: the failures AWS sends now and then, on demand.

Off unless configured. Two kinds, each what the project's code must survive:

- DynamoDB BatchWriteItem: a share (`rate`) of calls fails. Of those, a
  share (`throttle_share`) is refused whole with
  `ProvisionedThroughputExceededException` (nothing written); the rest are
  partly written and answer the remainder as `UnprocessedItems`, as DynamoDB
  does under load. `latency_ms` delays every call instead, as a real
  service's round trip would (`make bench` uses it).
- S3 PutObject on keys under a prefix (`orders/`): the first
  `failures_per_key` attempts on each key answer `503 SlowDown`. With
  `store_before_failing`, each failing attempt is first carried out (a
  conditional write may be refused) and *then* answered 503, as when a
  response is lost on the way back: the caller cannot tell, and its retry
  must not create a second object.

Configured by JSON, from the `LOCAL_FAULTS` environment variable at start,
or at run time through the control endpoint on the emulator itself:

    POST   /moto-api/local/faults   set (replaces the config, resets counters)
    GET    /moto-api/local/faults   the config and what was injected so far
    DELETE /moto-api/local/faults   off

    {"seed": 7,
     "dynamodb_batch_write": {"rate": 0.4, "throttle_share": 0.5, "latency_ms": 0},
     "s3_put_object": {"key_prefix": "orders/", "failures_per_key": 4,
                       "store_before_failing": false}}

Decisions are drawn under a lock from `random.Random(seed)`, one per call,
so a seed fixes the fate of the first, second, ... call; with concurrent
callers, which request is the n-th call follows their arrival order.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler
from moto.moto_api._internal import urls as moto_api_urls
from moto.s3.responses import S3Response

from .patching import add_entry, replace

LOG = logging.getLogger("motolocal.faults")

CONTROL_PATH = "/moto-api/local/faults"
ENV_VAR = "LOCAL_FAULTS"


class FaultConfigError(ValueError):
    """A fault configuration that cannot be used; the message says why."""


@dataclass
class BatchWriteFaults:
    # Share of BatchWriteItem calls that fail, from 0 to 1.
    rate: float = 0.0
    # Of the failing calls, the share refused whole (throttled); the others
    # come back partly unprocessed.
    throttle_share: float = 0.5
    # Added to every call, as a real service's latency (the emulator answers
    # in a few ms of its own CPU); a sleep, so concurrent calls overlap.
    latency_ms: float = 0.0


@dataclass
class PutObjectFaults:
    key_prefix: str = "orders/"
    # The first N PutObject attempts on each key under the prefix fail.
    failures_per_key: int = 0
    # Store the object before answering 503 (a lost response).
    store_before_failing: bool = False


@dataclass
class FaultConfig:
    seed: int = 0
    dynamodb_batch_write: BatchWriteFaults = field(default_factory=BatchWriteFaults)
    s3_put_object: PutObjectFaults = field(default_factory=PutObjectFaults)

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        if not isinstance(data, dict):
            raise FaultConfigError("the fault configuration must be a JSON object")
        unknown = set(data) - {"seed", "dynamodb_batch_write", "s3_put_object"}
        if unknown:
            raise FaultConfigError(f"unknown fault settings: {sorted(unknown)}")
        try:
            config = cls(
                seed=int(data.get("seed", 0)),
                dynamodb_batch_write=BatchWriteFaults(**(data.get("dynamodb_batch_write") or {})),
                s3_put_object=PutObjectFaults(**(data.get("s3_put_object") or {})),
            )
        except (TypeError, ValueError) as error:
            raise FaultConfigError(f"bad fault settings: {error}") from error
        batch = config.dynamodb_batch_write
        for name, value in (("rate", batch.rate), ("throttle_share", batch.throttle_share)):
            if not 0.0 <= float(value) <= 1.0:
                raise FaultConfigError(f"dynamodb_batch_write.{name} must be from 0 to 1, got {value}")
        if float(batch.latency_ms) < 0:
            raise FaultConfigError("dynamodb_batch_write.latency_ms must not be negative")
        if int(config.s3_put_object.failures_per_key) < 0:
            raise FaultConfigError("s3_put_object.failures_per_key must not be negative")
        return config


@dataclass
class FaultCounters:
    batch_write_calls: int = 0
    batch_write_throttled: int = 0
    batch_write_partial: int = 0
    # Write requests handed back as UnprocessedItems, in all.
    items_unprocessed: int = 0
    put_object_calls: int = 0
    put_object_failed: int = 0


class FaultInjector:
    """The current configuration, its random source and what it did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.configure(FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self.lock:
            self.config = config
            # One draw per call decides its fault, from its own stream, so the
            # n-th call's fate depends on the seed alone; what a partial call
            # leaves over comes from a second stream.
            self.decisions = random.Random(config.seed)
            self.details = random.Random(f"details-{config.seed}")
            self.counters = FaultCounters()
            self.put_attempts: dict[tuple[str, str], int] = {}

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"config": asdict(self.config), "counters": asdict(self.counters)}

    # -- DynamoDB ------------------------------------------------------------

    def batch_write_decision(self, request_count: int) -> tuple[str, set[int]]:
        """("ok" | "throttle" | "partial", indexes of the requests to hand
        back unprocessed)."""
        faults = self.config.dynamodb_batch_write
        with self.lock:
            self.counters.batch_write_calls += 1
            draw = self.decisions.random()
            if request_count == 0 or draw >= faults.rate:
                return "ok", set()
            # draw / rate is uniform in [0, 1) for the failing calls.
            if draw / faults.rate < faults.throttle_share:
                self.counters.batch_write_throttled += 1
                return "throttle", set()
            # At least one request left over; possibly all of them.
            left = self.details.randint(1, request_count)
            self.counters.batch_write_partial += 1
            self.counters.items_unprocessed += left
            return "partial", set(self.details.sample(range(request_count), left))

    # -- S3 ------------------------------------------------------------------

    def put_object_fails(self, bucket: str, key: str) -> bool:
        faults = self.config.s3_put_object
        if faults.failures_per_key <= 0 or not key.startswith(faults.key_prefix):
            return False
        with self.lock:
            self.counters.put_object_calls += 1
            attempt = self.put_attempts.get((bucket, key), 0) + 1
            self.put_attempts[(bucket, key)] = attempt
            if attempt > faults.failures_per_key:
                return False
            self.counters.put_object_failed += 1
            return True


INJECTOR = FaultInjector()


class ProvisionedThroughputExceeded(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded "
            "(injected by the local cloud's fault injection)",
        )


def _faulty_batch_write_item(original: Any) -> Any:
    def batch_write_item(self: DynamoHandler) -> Any:
        latency = INJECTOR.config.dynamodb_batch_write.latency_ms
        if latency > 0:
            time.sleep(latency / 1000)
        tables = self.body.get("RequestItems") or {}
        flat = [(table, request) for table, requests in tables.items() for request in requests]
        decision, unprocessed = INJECTOR.batch_write_decision(len(flat))
        if decision == "throttle":
            raise ProvisionedThroughputExceeded()
        if decision == "ok":
            return original(self)
        written: dict[str, list[Any]] = {}
        left: dict[str, list[Any]] = {}
        for index, (table, request) in enumerate(flat):
            (left if index in unprocessed else written).setdefault(table, []).append(request)
        self.body["RequestItems"] = written
        result = original(self) if written else ActionResult({"ConsumedCapacity": []})
        body = result.result
        response = dict(body) if isinstance(body, dict) else {}
        response["UnprocessedItems"] = left
        return type(result)(response)

    return batch_write_item


def _slow_down(bucket: str, key: str) -> tuple[int, dict[str, str], str]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
        "<Message>Please reduce your request rate (injected by the local cloud's fault injection).</Message>"
        f"<Resource>/{bucket}/{key}</Resource><RequestId>local-fault</RequestId></Error>"
    )
    return 503, {"Content-Type": "application/xml"}, body


def _faulty_put_object(original: Any) -> Any:
    def put_object(self: S3Response) -> Any:
        key = self.parse_key_name()
        if not INJECTOR.put_object_fails(self.bucket_name, key):
            return original(self)
        if INJECTOR.config.s3_put_object.store_before_failing:
            try:
                original(self)
            except Exception as error:  # e.g. a conditional write refused: the answer is the 503 all the same
                LOG.info("PutObject s3://%s/%s before the injected 503: %s", self.bucket_name, key, error)
        LOG.info("injected 503 SlowDown for PutObject s3://%s/%s", self.bucket_name, key)
        return _slow_down(self.bucket_name, key)

    return put_object


def control(request: Any, _full_url: str, _headers: Any) -> tuple[int, dict[str, str], bytes]:
    """The control endpoint, in moto's own API (`/moto-api/...`)."""
    answer_headers = {"Content-Type": "application/json"}
    try:
        if request.method == "POST":
            # moto hands its handlers a werkzeug Request.
            INJECTOR.configure(FaultConfig.from_json(json.loads(request.get_data() or b"{}")))
            LOG.warning("fault injection set: %s", INJECTOR.state()["config"])
        elif request.method == "DELETE":
            INJECTOR.configure(FaultConfig())
            LOG.info("fault injection off")
    except (ValueError, FaultConfigError) as error:
        return 400, answer_headers, json.dumps({"message": str(error)}).encode()
    return 200, answer_headers, json.dumps(INJECTOR.state()).encode()


def install() -> None:
    """Wraps the two moto actions and adds the control endpoint; reads
    LOCAL_FAULTS. Call before the server takes its first request."""
    replace(DynamoHandler, "batch_write_item", _faulty_batch_write_item)
    replace(S3Response, "put_object", _faulty_put_object)
    add_entry(moto_api_urls.url_paths, "{0}" + CONTROL_PATH + "$", control, "moto's own API routes")
    initial = os.environ.get(ENV_VAR, "").strip()
    if initial:
        INJECTOR.configure(FaultConfig.from_json(json.loads(initial)))
        LOG.warning("fault injection on from %s: %s", ENV_VAR, INJECTOR.state()["config"])
