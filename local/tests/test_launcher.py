"""The launcher's own contract: ready line, signals, no children, clear failures."""

from __future__ import annotations

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
        try:
            line = process.stdout.readline().strip()  # type: ignore[union-attr]
            ready = READY.match(line)
            assert ready, line
            assert int(ready.group(2)) > 0
        finally:
            process.terminate()
            assert process.wait(timeout=10) == 0
        assert fake_runtime.url in process.stderr.read()  # type: ignore[union-attr]


def test_port_in_use_fails_clearly(launcher: Launcher) -> None:
    result = subprocess.run(
        [sys.executable, str(LAUNCHER), "--port", str(launcher.port)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""  # no ready line
    assert f"cannot serve on 127.0.0.1:{launcher.port}" in result.stderr
