"""Cold-start proxy: from spawning a function's process to its first
response through the local Runtime API, and its peak memory by then.

The event is queued before the process starts, so the time covers what a
Lambda cold start adds to a first request: loading the program, its init
(clients, post_lambda's DescribeTable), fetching the event, handling it
(a real write to the emulator) and posting the response. Lambda's own
sandbox set-up is not in it, for either language.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .runtime_api import RuntimeApi

REGION = "eu-west-1"


class ColdStartFailed(RuntimeError):
    """A function did not answer its first event; the message has its log."""


@dataclass
class ColdStart:
    name: str
    # spawn → first response, one per run
    milliseconds: list[float]
    # VmHWM right after the first response, one per run
    peak_rss_kib: list[int]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def median_rss_mib(self) -> float:
        return statistics.median(self.peak_rss_kib) / 1024


def lambda_env(base: dict[str, str], name: str, memory_mb: int) -> dict[str, str]:
    """What Lambda sets for every function, plus the function's own `base`."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **base,
    }


def peak_rss_kib(pid: int) -> int:
    """The process's high-water mark of resident memory (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise ColdStartFailed(f"no VmHWM for process {pid}")


def measure(
    name: str, command: list[str], env: dict[str, str], event: bytes, runs: int, cwd: Path, log_dir: Path
) -> ColdStart:
    result = ColdStart(name, [], [])
    log_dir.mkdir(parents=True, exist_ok=True)
    for run in range(runs):
        log = log_dir / f"cold-start-{name}-{run}.log"
        with RuntimeApi() as api, log.open("wb") as out:
            invocation = api.submit(event)
            started = time.perf_counter()
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env={**env, "AWS_LAMBDA_RUNTIME_API": api.address},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                answered = invocation.done.wait(60)
                if not answered or invocation.outcome != "response":
                    raise ColdStartFailed(
                        f"{name}: no response to its first event ({invocation.outcome or 'timed out'}: "
                        f"{invocation.body[:300]!r}); log {log}:\n{log.read_text(errors='replace')[-1500:]}"
                    )
                result.milliseconds.append((invocation.answered_at - started) * 1000)
                result.peak_rss_kib.append(peak_rss_kib(process.pid))
            finally:
                process.kill()
                process.wait()
    return result
