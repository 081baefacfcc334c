"""Child processes that never outlive the local cloud.

Every child runs in its own process group, so stopping it also stops what it
started (cargo lambda watch runs the functions as grandchildren). Output goes
to a log file per child; the last lines are shown when a child fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class CloudError(RuntimeError):
    """Something the local cloud needs did not work; the message says what."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        # Whatever is left of the group (grandchildren included) goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)


@dataclass
class Supervisor:
    """Starts children and stops all of them, newest first."""

    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def wait_until(self, child: Child, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise CloudError(f"{child.name} exited while {what}; its log:\n{tail(child.log)}")
            if ready():
                return
            time.sleep(0.2)
        raise CloudError(f"{child.name} was not {what} after {timeout:.0f} s; its log:\n{tail(child.log)}")

    def stop(self, child: Child) -> None:
        child.stop()
        self.children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
