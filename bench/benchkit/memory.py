"""post_lambda's peak memory under abusive bodies: for each body shape, a
fresh release binary handles one ~6 MB request (the API's limit) through
the bench's Runtime API, writing to an emulator table, and its high-water
mark of resident memory (VmHWM) is read once it has answered.

The shapes are the worst found for a parser that builds a tree of the body
(arrays of scalars, of empty objects, deep nesting, many small keys, long
strings), at the top level (refused before anything is written) and inside
records that are valid (every item is built and written).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cold_start import lambda_env, peak_rss_kib
from .runtime_api import RuntimeApi, http_api_event

MAX_BODY_BYTES = 6 * 1024 * 1024
# The bound for the worst shape (the function has 256 MB).
TARGET_MIB = 64


def _fill(prefix: str, item: Callable[[int], str], suffix: str, separator: str = ",") -> bytes:
    """As many items as fit under the API's 6 MB limit."""
    parts: list[str] = []
    size = len(prefix) + len(suffix)
    i = 0
    while True:
        piece = item(i)
        if size + len(piece) + len(separator) > MAX_BODY_BYTES:
            break
        parts.append(piece)
        size += len(piece) + len(separator)
        i += 1
    return (prefix + separator.join(parts) + suffix).encode()


def _records(per_record: Callable[[int], str]) -> bytes:
    return _fill("[", per_record, "]")


def _many(count: int, item: str, separator: str = ",") -> str:
    return separator.join([item] * count)


def shapes() -> dict[str, Callable[[], bytes]]:
    """Name → body builder, each body just under 6 MB."""
    return {
        "array of scalars [0,0,...]": lambda: _fill("[", lambda i: "0", "]"),
        "array of empty objects [{},{},...]": lambda: _fill("[", lambda i: "{}", "]"),
        # Valid records from here on: each is built as a DynamoDB item and written.
        "records of scalar lists (130,000 zeros each)": lambda: _records(
            lambda i: f'{{"record_id": "mem-l{i}", "l": [{_many(130_000, "0")}]}}'
        ),
        "records of empty-object lists (100,000 each)": lambda: _records(
            lambda i: f'{{"record_id": "mem-o{i}", "l": [{_many(100_000, "{}")}]}}'
        ),
        "records nested 32 levels (9,000 records)": lambda: _fill(
            "[", lambda i: f'{{"record_id": "mem-d{i}", "d": ' + "[" * 31 + _many(300, "0") + "]" * 31 + "}", "]"
        ),
        "records of many small keys (40,000 each)": lambda: _records(
            lambda i: "{" + f'"record_id": "mem-k{i}", ' + ", ".join(f'"k{n}": 0' for n in range(40_000)) + "}"
        ),
        "records of one long string (390 KB each)": lambda: _records(
            lambda i: f'{{"record_id": "mem-s{i}", "s": "{"x" * 390_000}"}}'
        ),
    }


@dataclass
class Peak:
    shape: str
    body_bytes: int
    status: int
    rss_kib: int

    @property
    def rss_mib(self) -> float:
        return self.rss_kib / 1024


def measure(binary: Path, env: dict[str, str], log_dir: Path) -> Iterator[Peak]:
    """One fresh process per shape; yields as it goes (a shape takes seconds)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for name, build in shapes().items():
        body = build()
        event = http_api_event("/orders", {"content-type": "application/json"}, body)
        log = log_dir / f"memory-{binary.parent.name}-{len(body)}.log"
        with RuntimeApi() as api, log.open("wb") as out:
            invocation = api.submit(event)
            process = subprocess.Popen(
                [str(binary)],
                env={**lambda_env(env, "post_lambda", 256), "AWS_LAMBDA_RUNTIME_API": api.address},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                if not invocation.done.wait(300) or invocation.outcome != "response":
                    raise RuntimeError(f"{binary} did not answer the {name} body ({invocation.outcome}); log {log}")
                answer: dict[str, Any] = json.loads(invocation.body)
                yield Peak(name, len(body), int(answer["statusCode"]), peak_rss_kib(process.pid))
            finally:
                process.kill()
                process.wait()
