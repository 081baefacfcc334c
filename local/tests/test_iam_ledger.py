"""The call ledger against the generated policies, in both directions.

With IAM enforced (every function with its own role, the state machine's
tasks with its role, the schedule fired with the scheduler's role), one
request of each kind goes through the local cloud; then:
- every call the ledger recorded was allowed (a denial names principal,
  action and resource);
- every action a generated role is granted was made in the run, or is
  listed with its reason in local/iam-unexercised.toml (and nothing listed
  there is stale: made after all, or no longer granted).
"""

from __future__ import annotations

import sys
import tomllib
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))
sys.path.insert(0, str(REPO / "tools"))

from iam_check.checks import known_actions  # noqa: E402
from iam_check.policies import Role, load  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from localcloud.roles import fire_schedule  # noqa: E402
from localcloud.runs import wait_for  # noqa: E402
from motolocal.ledger import read  # noqa: E402

UNEXERCISED = REPO / "local" / "iam-unexercised.toml"
SPEC_BODY = (
    b'[{"record_id": "ledger_1", "parameter_1": "abc", "parameter_2": 4},'
    b' {"record_id": "ledger_2", "parameter_1": "def", "parameter_2": 2.1}]'
)


def role_key(role: Role, env: str) -> str:
    """The role's name without `auction-<env>-`: one entry for every env."""
    return role.name.removeprefix(f"auction-{env}-")


def granted_actions(role: Role) -> set[str]:
    actions: set[str] = set()
    for policy in role.policies:
        for statement in policy.statements():
            if statement.get("Effect") != "Allow":
                continue
            for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
                actions.update(known_actions(action) if "*" in action else [action])
    return actions


def compare(
    roles: list[Role], env: str, ledger: list[dict[str, Any]], reviewed: dict[str, dict[str, str]]
) -> list[str]:
    """Every problem, one line each (empty: the ledger and the policies agree)."""
    problems = [
        f"denied: {e['principal']} {e['action']} on {e['resource']} ({e['why']})" for e in ledger if not e["allowed"]
    ]
    made: dict[str, set[str]] = defaultdict(set)
    for entry in ledger:
        made[entry["role"]].add(entry["action"].lower())
    for role in roles:
        key = role_key(role, env)
        listed = reviewed.get(key, {})
        granted = granted_actions(role)
        for action in sorted(granted):
            exercised = action.lower() in made[role.name]
            if not exercised and action not in listed:
                problems.append(
                    f"granted but never exercised: {role.name} {action} (make it happen in a run, or list it "
                    f'under ["{key}"] in {UNEXERCISED.name} with the reason it is needed)'
                )
            if exercised and action in listed:
                problems.append(f"stale entry: {key} {action} is listed in {UNEXERCISED.name} but was exercised")
        problems += [
            f"stale entry: {key} {a} is listed in {UNEXERCISED.name} but not granted"
            for a in sorted(set(listed) - granted)
        ]
    return problems


def exercise(cloud: LocalCloud) -> str:
    """One request of every kind the local stack serves; returns the run's status."""
    request = urllib.request.Request(
        cloud.orders_url, data=SPEC_BODY, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        assert answer.status == 201
    # Ready at once: lambda_a answers one accepted and one rejected order,
    # so lambda_b archives one and the state machine publishes one alert.
    cloud.restart_runtime({"RESULTS_READY_PROBABILITY": "1"})
    name = next(s["Name"] for s in cloud.client("scheduler").list_schedules()["Schedules"])
    execution = fire_schedule(cloud.settings.endpoint, name)
    return str(wait_for(cloud.client("stepfunctions"), execution, timeout=180)["status"])


def test_every_call_is_allowed_and_every_grant_is_used_or_explained(cloud: LocalCloud) -> None:
    status = exercise(cloud)
    ledger = read(cloud.iam_ledger)
    roles = list(load(REPO / "terraform" / "local").roles.values())
    reviewed = tomllib.loads(UNEXERCISED.read_text())
    problems = compare(roles, "local", ledger, reviewed)
    principals = {e["role"] for e in ledger}
    print(
        f"ledger: {len(ledger)} calls, {len(principals)} principals, {len({(e['role'], e['action']) for e in ledger})} (role, action) pairs"
    )
    assert not problems, f"run {status}; ledger of {len(ledger)} calls:\n" + "\n".join(problems)
    assert status == "SUCCEEDED"
    # lambda_a calls no AWS API: its grants are all the Lambda service's.
    calling = {r.name for r in roles if granted_actions(r) - set(reviewed.get(role_key(r, "local"), {}))}
    assert principals == calling, "every role with a grant of its own acted in the run"
