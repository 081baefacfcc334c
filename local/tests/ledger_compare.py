"""A call ledger (motolocal/ledger.py) against generated roles' policies,
in both directions; shared by the end-to-end ledger test and the deploy
dry run."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))
sys.path.insert(0, str(REPO / "tools"))

from iam_check.checks import known_actions  # noqa: E402
from iam_check.policies import Role  # noqa: E402

UNEXERCISED = REPO / "local" / "iam-unexercised.toml"


def role_key(role: Role, env: str) -> str:
    """The role's name without `auction-<env>-`: one entry for every env."""
    return role.name.removeprefix(f"auction-{env}-")


def granted_actions(role: Role) -> set[str]:
    actions: set[str] = set()
    for policy in role.policies:
        for statement in policy.statements():
            if statement.get("Effect") != "Allow":
                continue
            listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in listed:
                actions.update(known_actions(action) if "*" in action else [action])
    return actions


def compare(
    roles: list[tuple[Role, str]], ledger: list[dict[str, Any]], reviewed: dict[str, dict[str, str]]
) -> list[str]:
    """Every problem, one line each (empty: the ledger and the policies agree).
    `roles`: each generated role with its environment. An action counts as
    exercised for a role if the same role of any environment made it (dev's
    and prod's apply roles share one entry of the reviewed list, and prod's
    settings, reserved concurrency say, make calls dev's do not)."""
    tolerated = reviewed.get("tolerated-denials", {})
    problems = [
        f"denied: {e['principal']} {e['action']} on {e['resource']} ({e['why']})"
        for e in ledger
        if not e["allowed"] and e["action"] not in tolerated
    ]
    made: dict[str, set[str]] = defaultdict(set)
    for entry in ledger:
        made[entry["role"]].add(entry["action"].lower())
    made_by_key: dict[str, set[str]] = defaultdict(set)
    for role, env in roles:
        made_by_key[role_key(role, env)] |= made[role.name]
    reported: set[str] = set()

    def report(problem: str) -> None:
        if problem not in reported:
            reported.add(problem)
            problems.append(problem)

    for role, env in roles:
        key = role_key(role, env)
        listed = reviewed.get(key, {})
        granted = granted_actions(role)
        for action in sorted(granted):
            exercised = action.lower() in made_by_key[key]
            if not exercised and action not in listed:
                report(
                    f"granted but never exercised: {role.name} {action} (make it happen in a run, or list it "
                    f'under ["{key}"] in {UNEXERCISED.name} with the reason it is needed)'
                )
            if exercised and action in listed:
                report(f"stale entry: {key} {action} is listed in {UNEXERCISED.name} but was exercised")
        for action in sorted(set(listed) - granted):
            report(f"stale entry: {key} {action} is listed in {UNEXERCISED.name} but not granted")
    return problems


def summary(ledger: list[dict[str, Any]]) -> str:
    principals = {e["role"] for e in ledger}
    actions = {(e["role"], e["action"]) for e in ledger}
    return f"ledger: {len(ledger)} calls, {len(principals)} principals, {len(actions)} (principal, action) pairs"
