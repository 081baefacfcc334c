"""The machine a run was made on, and the one table `make bench` prints."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, {platform.system()} {platform.release()}"
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}"


def machine(venv_bin: Path) -> list[str]:
    python = str(venv_bin / "python")
    versions = [
        _first_line(["rustc", "--version"]),
        _first_line(["cargo", "--version"]),
        _first_line([python, "--version"]),
        "moto " + _first_line([python, "-c", "import moto; print(moto.__version__)"]),
        "boto3 " + _first_line([python, "-c", "import boto3; print(boto3.__version__)"]),
        "awslambdaric "
        + _first_line([python, "-c", "from importlib.metadata import version; print(version('awslambdaric'))"]),
        _first_line([str(venv_bin / "cargo-lambda"), "lambda", "--version"]),
        _first_line(["terraform", "version"]),
    ]
    return [
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores; memory {_memory_gib():.1f} GiB",
        f"OS: {_os_name()}",
        "Tools: " + "; ".join(versions),
    ]


@dataclass
class Row:
    measure: str
    rust: str
    python: str = ""
    ratio: str = ""
    target: str = ""
    # True met, False missed, None: no target
    met: bool | None = None


def render(rows: list[Row]) -> str:
    """A Markdown table: readable in a terminal, pasted as is into BENCHMARKS.md."""
    header = Row("Measure", "Rust", "Python reference", "Ratio", "Target", None)
    cells = [
        [r.measure, r.rust, r.python, r.ratio, r.target, "" if r.met is None else ("met" if r.met else "MISSED")]
        for r in rows
    ]
    titles = [header.measure, header.rust, header.python, header.ratio, header.target, "Result"]
    widths = [max(len(t), *(len(c[i]) for c in cells)) for i, t in enumerate(titles)]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(titles), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(c) for c in cells])


def micros(nanoseconds: float) -> str:
    return f"{nanoseconds / 1000:.2f} µs"


def rate(per_second: float) -> str:
    return f"{per_second:,.0f} records/s"


def dollars(amount: float) -> str:
    return f"${amount:.6f}" if amount < 0.01 else f"${amount:.4f}"
