"""End-to-end ingest: one request of N records through a local endpoint
into the emulator, timed from the first byte sent to the answer, and
checked: the answer must be 201 and every record must be in the table.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import statistics
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit


class IngestFailed(RuntimeError):
    """A request was not answered 201, or records are missing."""


def body(prefix: str, n: int) -> bytes:
    """`n` records shaped like the spec's example (and the criterion bench)."""
    records = ",".join(
        f'{{"record_id": "{prefix}-{i}", "parameter_1": "abc", "parameter_2": {i}, "parameter_3": 2.1}}'
        for i in range(n)
    )
    return f"[{records}]".encode()


def post(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any, float]:
    """(status, JSON answer, seconds)."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"no host in {url}")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    try:
        started = time.perf_counter()
        headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request("POST", parts.path, body=data, headers=headers)
        answer = connection.getresponse()
        raw = answer.read()
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    try:
        return answer.status, json.loads(raw or b"null"), elapsed
    except ValueError:
        return answer.status, raw[:300], elapsed


def post_form(url: str, form: dict[str, str], basic: tuple[str, str]) -> tuple[int, Any, float]:
    """A form POST with HTTP basic auth (the token endpoint)."""
    credentials = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    return post(
        url,
        urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {credentials}"},
    )


def stored_count(dynamodb: Any, table: str, prefix: str) -> int:
    count, start = 0, None
    while True:
        page = dynamodb.scan(
            TableName=table,
            Select="COUNT",
            FilterExpression="begins_with(record_id, :p)",
            ExpressionAttributeValues={":p": {"S": f"{prefix}-"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        count += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_batch_write_latency(endpoint: str, milliseconds: float) -> None:
    """The launcher's fault switch (local/motolocal/faults.py): a delay on
    every BatchWriteItem, or none."""
    if milliseconds > 0:
        data = json.dumps({"dynamodb_batch_write": {"latency_ms": milliseconds}}).encode()
        request = urllib.request.Request(f"{endpoint}/moto-api/local/faults", data=data, method="POST")
    else:
        request = urllib.request.Request(f"{endpoint}/moto-api/local/faults", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


@dataclass
class Ingest:
    name: str
    records: int
    seconds: list[float] = field(default_factory=list)
    # CPU seconds per timed request: the function's process (when known)
    # and the emulator's.
    function_cpu: list[float] = field(default_factory=list)
    emulator_cpu: list[float] = field(default_factory=list)

    @property
    def median_records_per_second(self) -> float:
        return self.records / statistics.median(self.seconds)

    @property
    def emulator_busy(self) -> float:
        """Share of the wall time the emulator spent on CPU."""
        return sum(self.emulator_cpu) / sum(self.seconds)


def ingest_once(
    target: Ingest,
    url: str,
    prefix: str,
    dynamodb: Any,
    table: str,
    verify: bool,
    function_pid: int | None,
    emulator_pid: int,
    headers: dict[str, str] | None = None,
) -> None:
    data = body(prefix, target.records)
    function_before = cpu_seconds(function_pid) if function_pid else 0.0
    emulator_before = cpu_seconds(emulator_pid)
    status, answer, seconds = post(url, data, headers)
    target.emulator_cpu.append(cpu_seconds(emulator_pid) - emulator_before)
    if function_pid:
        target.function_cpu.append(cpu_seconds(function_pid) - function_before)
    if status != 201 or answer != {"stored": target.records}:
        raise IngestFailed(f"{target.name}: answered {status} {answer!r}")
    if verify:
        found = stored_count(dynamodb, table, prefix)
        if found != target.records:
            raise IngestFailed(f"{target.name}: {found} of {target.records} records in the table")
    target.seconds.append(seconds)


def warm_up(name: str, url: str, headers: dict[str, str] | None = None) -> None:
    """One small request, so no cold start is in the timed ones."""
    status, answer, _ = post(url, body(f"warm-{name}-{time.time_ns()}", 10), headers)
    if status != 201:
        raise IngestFailed(f"{name}: warm-up answered {status} {answer!r}")
