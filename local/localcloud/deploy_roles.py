"""The deploy roles in the emulator, as the administrator makes them.

The administrator applies the generated delivery configuration
(terraform/delivery) once; its deploy roles and permissions boundaries are
what the deploy dry run and the escalation tests act as. Here they are made
from that same generated JSON through the IAM API (the rest of the delivery
configuration, CodePipeline and its connection, does not run in moto), with
every reference resolved for the emulator's account by the static checker's
resolver (tools/iam_check/policies.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import roles

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "tools") not in sys.path:
    sys.path.insert(0, str(REPO / "tools"))

from iam_check.policies import load  # noqa: E402


@dataclass
class DeployRoles:
    """Role name -> ARN of every deploy role, and the boundaries' ARNs."""

    roles: dict[str, str]
    boundaries: dict[str, str]

    def arn(self, env: str, stage: str) -> str:
        return self.roles[f"auction-{env}-deploy-{stage}"]


def create(endpoint: str, repo: Path, account: str) -> DeployRoles:
    """Creates every boundary and deploy role of terraform/delivery in the
    emulator (administrator credentials), resolved for `account`."""
    config = load(repo / "terraform" / "delivery", account=account)
    iam = roles.admin_client(endpoint, "iam")
    boundaries = {}
    for address, body in config.resources.get("aws_iam_policy", {}).items():
        policy = next(p for p in config.policies if p.address == f"aws_iam_policy.{address}")
        answer = iam.create_policy(PolicyName=body["name"], PolicyDocument=json.dumps(policy.document))
        boundaries[body["name"]] = answer["Policy"]["Arn"]
    made = {}
    for role in config.roles.values():
        if "-deploy-" not in role.name:
            continue
        arn = iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=json.dumps(role.trust))["Role"]["Arn"]
        for index, policy in enumerate(role.policies):
            iam.put_role_policy(
                RoleName=role.name, PolicyName=f"policy-{index}", PolicyDocument=json.dumps(policy.document)
            )
        made[role.name] = arn
    return DeployRoles(made, boundaries)
