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
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))
sys.path.insert(0, str(REPO / "tools"))

from ledger_compare import UNEXERCISED, compare, granted_actions, role_key, summary  # noqa: E402

from iam_check.policies import load  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from localcloud.roles import fire_schedule  # noqa: E402
from localcloud.runs import wait_for  # noqa: E402
from motolocal.ledger import read  # noqa: E402
from orders_api import post_orders, token  # noqa: E402

SPEC_BODY = (
    b'[{"record_id": "ledger_1", "parameter_1": "abc", "parameter_2": 4},'
    b' {"record_id": "ledger_2", "parameter_1": "def", "parameter_2": 2.1}]'
)


def exercise(cloud: LocalCloud) -> str:
    """One request of every kind the local stack serves; returns the run's status."""
    # As a client posts: through the local API, with a token.
    answer = post_orders(cloud, SPEC_BODY, token(cloud))
    assert answer.status == 201, answer.body
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
    problems = compare([(role, "local") for role in roles], ledger, reviewed)
    principals = {e["role"] for e in ledger}
    print(summary(ledger))
    assert not problems, f"run {status}; ledger of {len(ledger)} calls:\n" + "\n".join(problems)
    assert status == "SUCCEEDED"
    # lambda_a calls no AWS API: its grants are all the Lambda service's.
    calling = {r.name for r in roles if granted_actions(r) - set(reviewed.get(role_key(r, "local"), {}))}
    assert principals == calling, "every role with a grant of its own acted in the run"
