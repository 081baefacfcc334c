"""Fixtures: the moto launcher on a free loopback port, a fake Lambda runtime.

Each test gets its own launcher process (started with `--port 0`, so the
port is picked by the OS and cannot race) and its own fake runtime: an
http.server thread speaking the Lambda Invoke API the way `cargo lambda
watch` does (a function error is HTTP 500 with `{"errorType",
"errorMessage"}` and no `X-Amz-Function-Error` header; an unknown name is
404).

The whole local cloud (`cloud`) is session-scoped: it takes over a minute to
come up, so the end-to-end, corpus and fault modules share one.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

LOCAL_DIR = Path(__file__).resolve().parents[1]
REPO = LOCAL_DIR.parent
LAUNCHER = LOCAL_DIR / "moto_launcher.py"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
READY = re.compile(r"^moto ready on (http://\S+:(\d+))$")
START_TIMES: list[float] = []
TIMINGS: list[str] = []

# The tests pass endpoints and dummy keys; no developer profile may interfere.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_name, None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))

# A function's answer: (HTTP status, JSON body). It gets the event and the
# 1-based number of this call to that function.
Responder = Callable[[Any, int], tuple[int, Any]]


def ok(body: Any) -> tuple[int, Any]:
    return 200, body


def function_error(error_type: str, message: str) -> tuple[int, Any]:
    """What cargo lambda watch answers when the function returns an error."""
    return 500, {"errorType": error_type, "errorMessage": message}


@dataclass
class Call:
    name: str
    event: Any
    headers: dict[str, str]


@dataclass
class FakeRuntime:
    url: str = ""
    functions: dict[str, Responder] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, name: str, responder: Responder) -> None:
        self.functions[name] = responder

    def calls_to(self, name: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.name == name]


def _handler_for(runtime: FakeRuntime) -> type[BaseHTTPRequestHandler]:
    path_re = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = path_re.match(self.path)
            name = match.group(1) if match else ""
            if name not in runtime.functions:
                self._answer(404, {"message": f"function {name!r} not found"})
                return
            event = json.loads(body or b"null")
            with runtime.lock:
                runtime.calls.append(Call(name, event, dict(self.headers)))
                number = len([c for c in runtime.calls if c.name == name])
            status, answer = runtime.functions[name](event, number)
            self._answer(status, answer)

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_runtime() -> Iterator[FakeRuntime]:
    runtime = FakeRuntime()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(runtime))
    runtime.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield runtime
    server.shutdown()
    server.server_close()


@dataclass
class Launcher:
    process: subprocess.Popen[str]
    endpoint: str
    port: int
    log_path: Path
    start_seconds: float

    def client(self, service: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(**config) if config else None,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_launcher(runtime_url: str, log_path: Path, invoke_timeout: float = 30) -> Launcher:
    started = time.monotonic()
    with log_path.open("w") as log:  # the child keeps its own handle
        process = subprocess.Popen(
            [
                sys.executable,
                str(LAUNCHER),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--lambda-runtime",
                runtime_url,
                "--invoke-timeout",
                str(invoke_timeout),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    lines: list[str] = []
    stdout = process.stdout
    assert stdout is not None  # stdout=PIPE
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=30)
    match = READY.match(lines[0].strip()) if lines else None
    if not match:
        stop_launcher(process)
        raise RuntimeError(f"launcher not ready: {lines!r}\n{log_path.read_text()}")
    elapsed = time.monotonic() - started
    START_TIMES.append(elapsed)
    return Launcher(process, match.group(1), int(match.group(2)), log_path, elapsed)


def stop_launcher(process: subprocess.Popen[str]) -> int:
    """SIGTERM, as `make local` and Ctrl-C would; kill only if that fails."""
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
        return process.returncode
    finally:
        if process.stdout:
            process.stdout.close()


@pytest.fixture
def launcher(fake_runtime: FakeRuntime, tmp_path: Path) -> Iterator[Launcher]:
    running = start_launcher(fake_runtime.url, tmp_path / "launcher.log")
    try:
        yield running
    finally:
        code = stop_launcher(running.process)
        # shown by pytest when the test failed
        print(f"--- launcher log (exit {code}) ---\n{running.log()}")
    assert code == 0, "the launcher must exit cleanly on SIGTERM"


def tiny_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\n")
    return buffer.getvalue()


def create_role(launcher: Launcher, name: str = "lambda-role") -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = launcher.client("iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def create_function(launcher: Launcher, name: str, handler: str, role_arn: str) -> str:
    """A function as the project declares it: provided.al2023, arm64,
    handler = the Rust binary's name."""
    answer = launcher.client("lambda").create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Architectures=["arm64"],
        Handler=handler,
        Role=role_arn,
        Code={"ZipFile": tiny_zip()},
        Timeout=10,
    )
    return answer["FunctionArn"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if START_TIMES:
        terminalreporter.write_line(
            f"moto launcher start (spawn to ready line): {len(START_TIMES)} starts, "
            f"min {min(START_TIMES):.2f} s, max {max(START_TIMES):.2f} s"
        )
    for line in TIMINGS:
        terminalreporter.write_line(line)


def note_timing(text: str) -> None:
    TIMINGS.append(text)


def fault_control(endpoint: str, method: str, config: Any = None) -> tuple[int, dict[str, Any]]:
    """The launcher's fault injection (motolocal/faults.py): GET the state,
    POST a configuration, DELETE to turn it off. (status, JSON answer)."""
    data = json.dumps(config).encode() if config is not None else None
    request = urllib.request.Request(
        f"{endpoint}/moto-api/local/faults", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# -- the whole local cloud, shared by the modules that need it ------------------

# lambda_a with seed 0 is not ready twice, then ready (lambda_a's test
# `seed_zero_is_not_ready_twice_then_ready` pins this).
CLOUD_SEED = "0"


def _process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The local cloud as `make local` runs it, on free ports."""
    sys.path.insert(0, str(LOCAL_DIR))
    from localcloud import CloudSettings, LocalCloud
    from localcloud.processes import free_port

    settings = CloudSettings(
        repo=REPO,
        workdir=tmp_path_factory.mktemp("local-cloud"),
        moto_port=free_port(),
        lambda_port=free_port(),
        runtime_env={"RESULTS_RANDOM_SEED": CLOUD_SEED},
    )
    groups: list[int] = []
    started = time.monotonic()
    with LocalCloud(settings, progress=lambda line: print(line, flush=True)) as running:
        note_timing(f"local cloud up in {time.monotonic() - started:.0f} s (shared by every test that needs it)")
        yield running
        groups = [child.process.pid for child in running.supervisor.children]
    # Nothing of the local cloud survives it, grandchildren included.
    survivors = [g for g in groups if _process_group_alive(g)]
    assert not survivors, f"process groups still alive after stop: {survivors}"
