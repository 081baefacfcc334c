"""IAM policy evaluation with resources and conditions, as AWS documents it.

moto 5.2.5's evaluator matches resources only where a service's response
class determines one, treats most condition operators as holding, and knows
no permissions boundary. This one is used by the launcher's enforcement
(`iam_enforce.py`) and by the static checks (`tools/iam_check/`):

- an explicit Deny wins; otherwise some Allow of an identity policy must
  match, and the permissions boundary (if any) must allow it too;
- `Action`/`NotAction` and `Resource`/`NotResource` are globs (`*`, `?`),
  actions case-insensitively;
- conditions: the String, Arn, Bool, Null and Numeric operators with
  `IfExists` and the `ForAnyValue:`/`ForAllValues:` set prefixes. A key the
  request does not carry makes a positive operator false and a negated one
  true (AWS's documented rule); `...IfExists` holds when the key is absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Context = dict[str, list[str]]
Document = dict[str, Any]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).match(value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: Document | str) -> list[dict[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    return [dict(s) for s in _as_list(doc.get("Statement"))]


def action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(glob_match(p, action, True) for p in _as_list(statement["NotAction"]))
    return any(glob_match(p, action, True) for p in _as_list(statement.get("Action")))


def resource_matches(statement: dict[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(glob_match(p, resource) for p in _as_list(statement["NotResource"]))
    if "Resource" not in statement:  # trust policies and key policies' implied "this key"
        return True
    return any(glob_match(p, resource) for p in _as_list(statement["Resource"]))


def _compare(operator: str, expected: str, actual: str) -> bool:
    if operator.startswith("StringEqualsIgnoreCase"):
        return expected.lower() == actual.lower()
    if operator.startswith("StringEquals") or operator == "ArnEquals":
        return expected == actual
    if operator.startswith("StringLike") or operator.startswith("ArnLike"):
        return glob_match(expected, actual)
    if operator.startswith("ArnEquals"):
        return expected == actual
    if operator == "Bool":
        return expected.lower() == actual.lower()
    if operator.startswith("Numeric"):
        try:
            a, e = float(actual), float(expected)
        except ValueError:
            return False
        return {
            "NumericEquals": a == e,
            "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e,
            "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e,
        }.get(operator, False)
    raise UnsupportedCondition(operator)


class UnsupportedCondition(ValueError):
    """A condition operator this evaluator does not know: never guessed."""


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def condition_holds(operator: str, key: str, expected: list[str], context: Context) -> bool:
    set_prefix = ""
    if ":" in operator and operator.split(":", 1)[0] in ("ForAnyValue", "ForAllValues"):
        set_prefix, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = context.get(key)
    if operator == "Null":
        return (actual is None) == (str(expected[0]).lower() == "true")
    if actual is None:
        if set_prefix == "ForAllValues":
            return True
        return if_exists or operator in _NEGATED
    positive = _NEGATED.get(operator, operator)

    def one(value: str) -> bool:
        hit = any(_compare(positive, str(e), value) for e in expected)
        return not hit if operator in _NEGATED else hit

    if set_prefix == "ForAllValues":
        return all(one(v) for v in actual)
    # a single-valued key, or ForAnyValue
    return any(one(v) for v in actual)


def conditions_hold(statement: dict[str, Any], context: Context) -> bool:
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not condition_holds(operator, key, [str(e) for e in _as_list(expected)], context):
                return False
    return True


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: Context) -> bool:
    return (
        action_matches(statement, action)
        and resource_matches(statement, resource)
        and conditions_hold(statement, context)
    )


@dataclass
class Decision:
    allowed: bool
    # Why, for the ledger and error messages: the deciding statement's Sid,
    # or what was missing.
    reason: str


@dataclass
class Principal:
    """What an assumed role carries into a request."""

    arn: str
    role_name: str
    policies: list[Document] = field(default_factory=list)
    boundary: Document | None = None


def evaluate(principal: Principal, action: str, resource: str, context: Context) -> Decision:
    allowed_by = None
    for document in principal.policies:
        for statement in statements(document):
            if not statement_applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(False, f"explicitly denied by statement {statement.get('Sid', '?')}")
            allowed_by = allowed_by or statement.get("Sid", "?")
    if allowed_by is None:
        return Decision(False, "no statement of the role's policies allows it")
    if principal.boundary is not None:
        boundary = Principal(principal.arn, principal.role_name, [principal.boundary])
        verdict = evaluate(boundary, action, resource, context)
        if not verdict.allowed:
            return Decision(False, f"outside the permissions boundary ({verdict.reason})")
    return Decision(True, f"allowed by statement {allowed_by}")
