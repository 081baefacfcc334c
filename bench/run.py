#!/usr/bin/env python3
"""`make bench`: the Rust functions against a Python reference, side by side
in one run, and the figures the project promises. Prints one table (also
written to target/bench/latest.md); BENCHMARKS.md explains each row.

1. post_lambda's in-handler cost per record (criterion, release profile).
2. End-to-end ingest of 10,000 records into the emulator: the Rust function
   under `cargo lambda watch --release`, the Python reference (boto3
   `batch_writer`, AWS's `awslambdaric` runtime) behind the bench's function
   URL, and the Rust binary behind that same front, for a like-for-like check.
3. Cold-start proxy per function: spawn → first response through a minimal
   Lambda Runtime API, and peak memory; the Python reference likewise.
4. `tfgen synth --all` wall time.
5. Pipeline cost from the execution history of real runs.
6. post_lambda's peak memory per abusive ~6 MB body shape (`--only memory`
   runs just this; `--before <binary>` measures an older build beside it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "local"))
sys.path.insert(0, str(REPO / "bench"))

from benchkit import builds, cold_start, ingest, memory, pipeline_cost  # noqa: E402
from benchkit.report import Row, dollars, machine, micros, rate, render  # noqa: E402
from benchkit.runtime_api import FunctionUrl, RuntimeApi, http_api_event  # noqa: E402
from localcloud import CloudSettings, LocalCloud  # noqa: E402
from localcloud.processes import free_port  # noqa: E402
from localcloud.runs import history, start_run, wait_for  # noqa: E402

PYTHON_REFERENCE = REPO / "bench" / "python_reference"
VENV_BIN = REPO / ".tools" / "venv" / "bin"
OUT = builds.target_dir(REPO) / "bench"
# Memory sizes as tfgen deploys them (post_lambda 256 MB, the others 128 MB);
# the Python reference gets post_lambda's.
MEMORY_MB = {"post_lambda": 256, "lambda_a": 128, "lambda_b": 128, "python_reference": 256}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="records per ingest request")
    parser.add_argument("--rounds", type=int, default=3, help="timed ingest requests per implementation")
    parser.add_argument("--cold-starts", type=int, default=10, help="cold starts per function")
    parser.add_argument("--synth-runs", type=int, default=20, help="timed `tfgen synth --all` runs")
    parser.add_argument("--pipeline-runs", type=int, default=3, help="pipeline runs with results ready at once")
    parser.add_argument(
        "--only",
        choices=("all", "memory"),
        default="all",
        help="memory: only post_lambda's peak memory per body shape (a bare emulator, about 1 min)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="an older post_lambda release binary to measure beside this one (memory rows)",
    )
    return parser.parse_args(argv)


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def function_env(cloud: LocalCloud) -> dict[str, str]:
    """A clean environment, as Lambda gives one: no developer settings."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL": cloud.settings.endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "TABLE_NAME": cloud.outputs["orders_table_name"],
        "LOG_BUCKET": cloud.outputs["results_bucket_name"],
        "S3_FORCE_PATH_STYLE": "true",
    }


def commands() -> dict[str, tuple[list[str], Path]]:
    release = builds.target_dir(REPO) / "release"
    rust = {name: ([str(release / name)], REPO) for name in ("post_lambda", "lambda_a", "lambda_b")}
    python = ([str(VENV_BIN / "python"), "-m", "awslambdaric", "orders_handler.handler"], PYTHON_REFERENCE)
    return {**rust, "python_reference": python}


@contextlib.contextmanager
def serving(name: str, command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """A function process on its own Runtime API behind a function URL:
    (its URL, its pid)."""
    with RuntimeApi() as api, FunctionUrl(api) as front, (OUT / f"serve-{name}.log").open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**env, "AWS_LAMBDA_RUNTIME_API": api.address},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield front.url, process.pid
        finally:
            process.kill()
            process.wait()


def api_token(cloud: LocalCloud) -> str:
    """A client-credentials token from the local API's token endpoint."""
    status, answer, _ = ingest.post_form(
        cloud.token_url,
        {"grant_type": "client_credentials", "scope": cloud.outputs["orders_scope"]},
        (cloud.outputs["client_id"], cloud.client_secret()),
    )
    if status != 200:
        raise RuntimeError(f"the token endpoint answered {status} {answer!r}")
    return str(answer["access_token"])


def measure_cold_starts(cloud: LocalCloud, runs: int) -> dict[str, cold_start.ColdStart]:
    env = function_env(cloud)

    def spec_event(run: int) -> bytes:
        return http_api_event(
            "/orders", {"content-type": "application/json"}, ingest.body(f"cold-{run}-{time.time_ns()}", 2)
        )

    def fixed(event: bytes) -> Callable[[int], bytes]:
        return lambda _run: event

    events: dict[str, Callable[[int], bytes]] = {
        "post_lambda": spec_event,
        "python_reference": spec_event,
        "lambda_a": fixed(b'{"attempt": 0}'),
        "lambda_b": fixed(b'{"status": "accepted", "power": 1}'),
    }
    results = {name: cold_start.ColdStart(name, [], []) for name in events}
    # Interleaved, so drift on the machine touches every function alike.
    for run in range(runs):
        for name, (command, cwd) in commands().items():
            one = cold_start.measure(
                name,
                command,
                cold_start.lambda_env(env, name, MEMORY_MB[name]),
                events[name](run),
                1,
                cwd,
                OUT / "logs",
            )
            results[name].milliseconds += one.milliseconds
            results[name].peak_rss_kib += one.peak_rss_kib
    return results


# Added to every BatchWriteItem in the second ingest scenario: about what a
# real DynamoDB round trip takes, where the emulator answers in a few ms of
# its own (single-process) CPU. An assumption, stated in BENCHMARKS.md.
SERVICE_LATENCY_MS = 10


def measure_ingest(
    cloud: LocalCloud, records: int, rounds: int
) -> tuple[dict[str, ingest.Ingest], dict[str, ingest.Ingest]]:
    """(plain emulator, emulator with SERVICE_LATENCY_MS per batch write)."""
    env = function_env(cloud)
    table = cloud.outputs["orders_table_name"]
    dynamodb = cloud.client("dynamodb")
    emulator_pid = next(c.process.pid for c in cloud.supervisor.children if c.name == "moto")
    python_command, python_cwd = commands()["python_reference"]
    rust_command, rust_cwd = commands()["post_lambda"]
    with (
        serving(
            "python_reference", python_command, python_cwd, cold_start.lambda_env(env, "python_reference", 256)
        ) as (python_url, python_pid),
        serving("post_lambda", rust_command, rust_cwd, cold_start.lambda_env(env, "post_lambda", 256)) as (
            rust_url,
            rust_pid,
        ),
    ):
        # cargo lambda watch runs its function as a grandchild: no pid here.
        # It is reached as clients reach it: through the local API, with a token.
        targets = {
            "rust_watch": (cloud.orders_url, None),
            "python": (python_url, python_pid),
            "rust_front": (rust_url, rust_pid),
        }
        auth = {"rust_watch": {"Authorization": f"Bearer {api_token(cloud)}"}}
        plain = {name: ingest.Ingest(name, records) for name in targets}
        slow = {name: ingest.Ingest(name, records) for name in targets}
        for name, (url, _) in targets.items():
            ingest.warm_up(name, url, auth.get(name))
        for scenario, results, count in ((0, plain, rounds), (SERVICE_LATENCY_MS, slow, 1)):
            ingest.set_batch_write_latency(cloud.settings.endpoint, scenario)
            try:
                for round_ in range(count):
                    for name, (url, pid) in targets.items():
                        prefix = f"ingest-{name}-{scenario}-{round_}-{time.time_ns()}"
                        ingest.ingest_once(
                            results[name], url, prefix, dynamodb, table, round_ == 0, pid, emulator_pid, auth.get(name)
                        )
                        print(
                            f"    {name} (+{scenario} ms per batch write): {results[name].seconds[-1]:.2f} s",
                            flush=True,
                        )
            finally:
                ingest.set_batch_write_latency(cloud.settings.endpoint, 0)
    return plain, slow


def measure_pipeline(cloud: LocalCloud, ready_runs: int) -> tuple[pipeline_cost.RunCost, pipeline_cost.RunCost]:
    """(a run whose results are ready at the first ask, one that is told
    "not ready" twice first)."""
    sfn = cloud.client("stepfunctions")
    memory = pipeline_cost.deployed_memory(cloud.client("lambda"))

    def one_run() -> pipeline_cost.RunCost:
        execution = start_run(sfn, cloud.outputs["state_machine_arn"])
        status = wait_for(sfn, execution, timeout=180)["status"]
        if status != "SUCCEEDED":
            raise RuntimeError(f"pipeline run {execution} ended {status}")
        return pipeline_cost.run_cost(history(sfn, execution), status, memory)

    ready = [one_run() for _ in range(ready_runs)]
    if len({r.transitions for r in ready}) != 1:
        raise RuntimeError(f"runs of the same path counted different transitions: {[r.transitions for r in ready]}")
    # lambda_a with seed 0 answers "not ready" twice, then ready.
    cloud.restart_runtime({"RESULTS_READY_PROBABILITY": "0.5", "RESULTS_RANDOM_SEED": "0"})
    return min(ready, key=lambda r: r.dollars), one_run()


def ingest_rows(plain: dict[str, ingest.Ingest], slow: dict[str, ingest.Ingest], args: argparse.Namespace) -> list[Row]:
    table = []
    python_rps = plain["python"].median_records_per_second
    for name, label in (
        ("rust_watch", "local API + cargo lambda watch --release"),
        ("rust_front", "release binary, bench front"),
    ):
        rps = plain[name].median_records_per_second
        table.append(
            Row(
                f"Ingest {args.records:,} records end to end, median of {args.rounds} ({label})",
                rate(rps),
                rate(python_rps),
                f"{rps / python_rps:.2f}×",
                "≥ 3×",
                rps / python_rps >= 3,
            )
        )
    table.append(
        Row(
            "  emulator CPU busy during those requests (moto, one process)",
            f"{plain['rust_watch'].emulator_busy:.0%}",
            f"{plain['python'].emulator_busy:.0%}",
        )
    )
    rust_cpu = statistics.median(plain["rust_front"].function_cpu)
    python_cpu = statistics.median(plain["python"].function_cpu)
    table.append(
        Row(
            f"  function CPU time per {args.records:,}-record request (user + sys)",
            f"{rust_cpu * 1000:.0f} ms",
            f"{python_cpu * 1000:.0f} ms",
            f"1/{python_cpu / rust_cpu:.0f}",
        )
    )
    rps = slow["rust_watch"].median_records_per_second
    slow_python = slow["python"].median_records_per_second
    table.append(
        Row(
            f"Ingest with +{SERVICE_LATENCY_MS} ms per BatchWriteItem (service latency, one round)",
            rate(rps),
            rate(slow_python),
            f"{rps / slow_python:.2f}×",
        )
    )
    return table


def rows(
    per_record: dict[int, float],
    plain: dict[str, ingest.Ingest],
    slow: dict[str, ingest.Ingest],
    colds: dict[str, cold_start.ColdStart],
    synth: builds.SynthTiming,
    ready: pipeline_cost.RunCost,
    waited: pipeline_cost.RunCost,
    args: argparse.Namespace,
) -> list[Row]:
    table = []
    for n, ns in per_record.items():
        last = n == max(per_record)
        table.append(
            Row(
                f"post_lambda in-handler cost per record, {n:,} record(s)",
                micros(ns),
                target="≤ 2 µs/record" if last else "",
                met=ns <= 2_000 if last else None,
            )
        )
    table += ingest_rows(plain, slow, args)
    python = colds["python_reference"]
    rust = colds["post_lambda"]
    ratio = rust.median_ms / python.median_ms
    table.append(
        Row(
            f"Cold start post_lambda, spawn → first response, median of {args.cold_starts}",
            f"{rust.median_ms:.1f} ms",
            f"{python.median_ms:.1f} ms",
            f"{ratio:.3f} (1/{1 / ratio:.1f})",
            "≤ 1/5",
            ratio <= 0.2,
        )
    )
    table.append(
        Row(
            "Peak memory (RSS) at first response, post_lambda",
            f"{rust.median_rss_mib:.1f} MiB",
            f"{python.median_rss_mib:.1f} MiB",
            f"1/{python.median_rss_mib / rust.median_rss_mib:.1f}",
        )
    )
    for name in ("lambda_a", "lambda_b"):
        table.append(
            Row(
                f"Cold start {name} (and its peak RSS)",
                f"{colds[name].median_ms:.1f} ms, {colds[name].median_rss_mib:.1f} MiB",
            )
        )
    table.append(
        Row(
            f"tfgen synth --all ({synth.files} files), {len(synth.runs_ms)} runs",
            f"best {synth.best_ms:.0f} ms, median {synth.median_ms:.0f} ms",
            target="< 200 ms",
            met=synth.median_ms < 200,
        )
    )
    for cost, label in ((ready, "results ready at the first ask"), (waited, "2 'not ready' answers first")):
        table.append(
            Row(
                f"Pipeline run, {label}: transitions, $/run, $/1,000 orders",
                f"{cost.transitions} transitions, {dollars(cost.dollars)}, "
                f"{dollars(cost.dollars_per_1000_orders)} per 1,000 orders",
            )
        )
    return table


@contextlib.contextmanager
def bare_table() -> Iterator[dict[str, str]]:
    """An emulator with just the orders table (as tfgen makes it): the
    function environment for the memory rows, without the whole cloud."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ).create_table(
            TableName="bench-orders",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "record_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "record_id", "KeyType": "HASH"}],
        )
        yield {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "TABLE_NAME": "bench-orders",
        }
    finally:
        server.stop()


def measure_memory(before: Path | None) -> list[Row]:
    """Peak RSS per body shape, this build (and `before`'s)."""
    after_binary = builds.target_dir(REPO) / "release" / "post_lambda"
    with bare_table() as env:
        peaks_before = {p.shape: p for p in memory.measure(before, env, OUT / "logs")} if before else {}
        table = []
        for peak in memory.measure(after_binary, env, OUT / "logs"):
            old = peaks_before.get(peak.shape)
            was = f" (before: {old.rss_mib:.0f} MiB, {old.status})" if old else ""
            print(f"    {peak.shape}: {peak.rss_mib:.1f} MiB, answered {peak.status}{was}", flush=True)
            table.append(
                Row(
                    f"post_lambda peak RSS, {peak.body_bytes / 2**20:.2f} MiB body: {peak.shape}",
                    f"{peak.rss_mib:.1f} MiB ({peak.status}){was}",
                    target=f"< {memory.TARGET_MIB} MiB",
                    met=peak.rss_mib < memory.TARGET_MIB,
                )
            )
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    about = machine(VENV_BIN)
    print("\n".join(about), flush=True)
    if args.only == "memory":
        step("release build of post_lambda")
        builds.build_release(REPO, ("post_lambda",))
        step("post_lambda's peak memory per ~6 MB body shape")
        table = render(measure_memory(args.before))
        print(f"\n{table}")
        (OUT / "memory.md").write_text("\n".join(about + ["", table]) + "\n")
        return 0

    step("release builds (the Lambda profile: LTO, one codegen unit)")
    builds.build_release(REPO)
    step("criterion: post_lambda's in-handler cost (about 30 s)")
    per_record = builds.run_criterion(REPO, OUT / "criterion")
    step(f"tfgen synth --all, {args.synth_runs} runs")
    synth = builds.time_synth(REPO, args.synth_runs)

    settings = CloudSettings(
        repo=REPO,
        workdir=OUT / "cloud",
        moto_port=free_port(),
        lambda_port=free_port(),
        runtime_env={"RESULTS_READY_PROBABILITY": "1"},
        release_functions=True,
    )
    step("the local cloud, functions in release builds (about 90 s)")
    with LocalCloud(settings, progress=lambda line: print(f"    {line}", flush=True)) as cloud:
        step(f"cold starts, {args.cold_starts} per function")
        colds = measure_cold_starts(cloud, args.cold_starts)
        step(f"ingest of {args.records:,} records, {args.rounds} rounds per implementation")
        plain, slow = measure_ingest(cloud, args.records, args.rounds)
        step("pipeline runs for the cost")
        ready, waited = measure_pipeline(cloud, args.pipeline_runs)

    step("post_lambda's peak memory per ~6 MB body shape")
    memory_rows = measure_memory(args.before)

    table = render(rows(per_record, plain, slow, colds, synth, ready, waited, args) + memory_rows)
    minutes = (time.monotonic() - started) / 60
    report = "\n".join(about + ["", table, "", f"make bench took {minutes:.1f} min."])
    (OUT / "latest.md").write_text(report + "\n")
    print(f"\n{table}\n\n(written to {OUT / 'latest.md'}; make bench took {minutes:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
