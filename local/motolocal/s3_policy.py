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

from .patching import add_entry, replace

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _bool_equals(expected_value: list[str] | str, actual_value: str) -> bool:
    values = [expected_value] if isinstance(expected_value, str) else expected_value
    return actual_value.lower() in (str(v).lower() for v in values)


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
        result: PermissionResult = original(self, action, resource, principal, incoming_condition_values)
        return result

    return is_action_permitted


def _get_permission_with_request_context(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return IAMPolicy(self.policy.decode()).is_action_permitted(
        action, resource, incoming_condition_values=REQUEST_CONTEXT
    )


def install() -> None:
    add_entry(policy_conditions.CONDITION_OPERATIONS, "Bool", _bool_equals, "IAM condition operators")
    replace(IAMPolicyStatement, "is_action_permitted", _applies_only_when_condition_holds)
    replace(FakeBucket, "get_permission", lambda _without_context: _get_permission_with_request_context)
