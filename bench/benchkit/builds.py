"""The Rust side of `make bench`: release builds, the criterion bench and
`tfgen synth` timings."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RELEASE_PACKAGES = ("post_lambda", "lambda_a", "lambda_b", "tfgen")
# Must match SIZES in lambdas/post_lambda/benches/in_handler.rs.
CRITERION_SIZES = (1, 100, 1_000, 10_000)


class BuildFailed(RuntimeError):
    pass


def target_dir(repo: Path) -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))


def build_release(repo: Path, packages: tuple[str, ...] = RELEASE_PACKAGES) -> None:
    """The release profile the Lambdas ship with (LTO, one codegen unit)."""
    command = ["cargo", "build", "--release", "--quiet"] + [f"--package={p}" for p in packages]
    if subprocess.run(command, cwd=repo).returncode != 0:
        raise BuildFailed("cargo build --release failed (see above)")


def run_criterion(repo: Path, criterion_home: Path) -> dict[int, float]:
    """Runs the in-handler bench; nanoseconds per record (median) by size."""
    env = dict(os.environ, CRITERION_HOME=str(criterion_home))
    command = ["cargo", "bench", "--quiet", "-p", "post_lambda", "--bench", "in_handler"]
    if subprocess.run(command, cwd=repo, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        raise BuildFailed("cargo bench failed")
    per_record = {}
    for n in CRITERION_SIZES:
        estimates = json.loads((criterion_home / "in_handler" / str(n) / "new" / "estimates.json").read_text())
        per_record[n] = estimates["median"]["point_estimate"] / n
    return per_record


@dataclass
class SynthTiming:
    runs_ms: list[float]
    files: int

    @property
    def best_ms(self) -> float:
        return min(self.runs_ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)


def time_synth(repo: Path, runs: int) -> SynthTiming:
    """`tfgen synth --all` (release binary) into a fresh folder each time, so
    every run writes every file; the repository's files are not touched."""
    tfgen = target_dir(repo) / "release" / "tfgen"
    timings = []
    files = 0
    for _ in range(runs):
        root = Path(tempfile.mkdtemp(prefix="bench-synth-"))
        try:
            started = time.perf_counter()
            done = subprocess.run(
                [str(tfgen), "--root", str(root), "synth", "--all"],
                cwd=repo,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            timings.append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                raise BuildFailed(f"tfgen synth --all failed: {done.stderr[-500:]}")
            files = sum(1 for _ in root.rglob("*.tf.json"))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return SynthTiming(timings, files)
