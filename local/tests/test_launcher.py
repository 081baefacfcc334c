"""The launcher's own contract: ready line, signals, no children, clear failures."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LAUNCHER, READY, FakeRuntime, Launcher, start_launcher, stop_launcher


def children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += (task / "children").read_text().split()
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signal_with_no_children(
    fake_runtime: FakeRuntime, tmp_path: Path, signum: signal.Signals
) -> None:
    launcher = start_launcher(fake_runtime.url, tmp_path / "launcher.log")
    try:
        assert launcher.start_seconds < 10
        # answers a real API call, and runs no child process
        assert launcher.client("sts").get_caller_identity()["Account"] == "123456789012"
        assert children(launcher.process.pid) == []

        stopped = time.monotonic()
        launcher.process.send_signal(signum)
        assert launcher.process.wait(timeout=10) == 0
        assert time.monotonic() - stopped < 5
        assert f"received {signum.name}, stopping" in launcher.log()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", launcher.port), timeout=1)
    finally:
        stop_launcher(launcher.process)  # no-op once it has exited


def test_configuration_from_the_environment(fake_runtime: FakeRuntime, tmp_path: Path) -> None:
    env = dict(os.environ, LOCAL_MOTO_HOST="127.0.0.1", LOCAL_MOTO_PORT="0", LOCAL_LAMBDA_RUNTIME=fake_runtime.url)
    with subprocess.Popen(
        [sys.executable, str(LAUNCHER)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None  # both PIPE
        try:
            line = process.stdout.readline().strip()
            ready = READY.match(line)
            assert ready, line
            assert int(ready.group(2)) > 0
        finally:
            process.terminate()
            assert process.wait(timeout=10) == 0
        assert fake_runtime.url in process.stderr.read()


def test_port_in_use_fails_clearly(launcher: Launcher) -> None:
    result = subprocess.run(
        [sys.executable, str(LAUNCHER), "--port", str(launcher.port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""  # no ready line
    assert f"cannot serve on 127.0.0.1:{launcher.port}" in result.stderr


def test_a_body_the_handler_does_not_read_does_not_stall_the_answer(launcher: Launcher) -> None:
    # motolocal/whole_body.py. The fault control answers a GET without
    # reading its body. The body comes in a later segment than the head, as
    # from an unbuffered client, inside werkzeug's 10 ms drain after the
    # answer: the answer must still end (the server closes), not wait for
    # the client to hang up first.
    host, port = launcher.endpoint.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.sendall(
            f"GET /moto-api/local/faults HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n".encode()
        )
        time.sleep(0.005)
        connection.sendall(b"{}")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), answer
    assert "counters" in json.loads(body)
