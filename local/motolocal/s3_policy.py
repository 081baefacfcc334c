"""S3 bucket-policy conditions, evaluated as AWS does.

moto 5.2.5 checks bucket policies on object operations but (1) gives the
policy no request context, (2) knows only the `StringEquals` operator and
treats every other condition (`Bool` among them) as holding, and (3) treats
a statement whose condition does not hold as a Deny, even an Allow. So the
standard TLS-only statement (`Deny s3:* when aws:SecureTransport is false`)
refuses every request, and Terraform's S3 backend cannot read its state.

Here `Bool` is evaluated, a statement applies only when its condition holds
(AWS's rule), and requests carry `aws:SecureTransport = true`: the
emulator's loopback HTTP stands in for the TLS endpoints every AWS SDK uses.
A Deny whose condition does hold still denies (tested).
"""

from __future__ import annotations

from typing import Any

from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _bool_equals(expected: list[str] | str, actual: str) -> bool:
    values = [expected] if isinstance(expected, str) else expected
    return actual.lower() in (str(v).lower() for v in values)


def _applies_only_when_condition_holds(original: Any) -> Any:
    def is_action_permitted(
        self: IAMPolicyStatement,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> PermissionResult:
        if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    return is_action_permitted


def _get_permission_with_request_context(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return IAMPolicy(self.policy.decode()).is_action_permitted(
        action, resource, incoming_condition_values=REQUEST_CONTEXT
    )


def install() -> None:
    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_equals)
    IAMPolicyStatement.is_action_permitted = _applies_only_when_condition_holds(  # type: ignore[method-assign]
        IAMPolicyStatement.is_action_permitted
    )
    FakeBucket.get_permission = _get_permission_with_request_context  # type: ignore[method-assign]
