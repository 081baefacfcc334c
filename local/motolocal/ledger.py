"""The call ledger: every request checked by the IAM enforcement, one JSON
line each (principal, role, action, resource, allowed, why).

The launcher appends to the file named by `--iam-ledger` (env
LOCAL_IAM_LEDGER); without one it keeps only the log. Tests read the file
and compare it with the generated policies (local/tests/test_iam_ledger.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from .iam_policy import Decision


class Ledger:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()

    def record(self, principal: str, role: str, action: str, resource: str, decision: Decision) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {
                "principal": principal,
                "role": role,
                "action": action,
                "resource": resource,
                "allowed": decision.allowed,
                "why": decision.reason,
            }
        )
        with self.lock, self.path.open("a") as out:
            out.write(line + "\n")


def read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
