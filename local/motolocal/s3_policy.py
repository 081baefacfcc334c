"""S3 bucket-policy conditions, evaluated as AWS does.

moto 5.2.5 checks bucket policies on object operations but (1) gives the
policy no request context, (2) knows only the `StringEquals` operator and
treats every other condition (`Bool` among them) as holding, and (3) treats
a statement whose condition does not hold as a Deny, even an Allow. So the
standard TLS-only statement (`Deny s3:* when aws:SecureTransport is false`)
refuses every request, and Terraform's S3 backend cannot read its state.

Here a bucket policy is evaluated by the project's evaluator
(`iam_policy.py`: every String/Arn/Bool/Null operator, `IfExists`), a
statement applies only when its condition holds (AWS's rule), and requests
carry `aws:SecureTransport = true` (the emulator's loopback HTTP stands in
for the TLS endpoints every AWS SDK uses) and the encryption headers they
sent (`s3:x-amz-server-side-encryption`, `...-aws-kms-key-id`), so a policy
refusing other keys or AES256 works as on AWS. A Deny whose condition does
hold still denies (tested). As in moto, only statements for every principal
(`"*"`) are evaluated here; identity policies are `iam_enforce.py`'s.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.responses import BaseResponse
from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

from . import iam_policy
from .patching import add_entry, replace

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}
# Headers S3 turns into condition keys of the same name (lower case).
CONDITION_HEADERS = ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-acl")
_current = threading.local()  # the request being served on this thread


def note_request(headers: Any) -> None:
    """Called as every request starts (moto's `setup_class`), before moto
    checks a bucket policy."""
    context = {}
    for name in CONDITION_HEADERS:
        value = headers.get(name) if hasattr(headers, "get") else None
        if value:
            context[f"s3:{name}"] = [str(value)]
    _current.context = context


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
    context = {key: [value] for key, value in REQUEST_CONTEXT.items()}
    context.update(getattr(_current, "context", {}))
    result = PermissionResult.NEUTRAL
    for statement in iam_policy.statements(self.policy.decode()):
        if statement.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        if iam_policy.statement_applies(statement, action, resource, context):
            if statement.get("Effect") == "Deny":
                return PermissionResult.DENIED
            result = PermissionResult.PERMITTED
    return result


def _noting_the_request(original: Any) -> Any:
    def setup_class(self: BaseResponse, request: Any, *args: Any, **kwargs: Any) -> None:
        note_request(request.headers)
        original(self, request, *args, **kwargs)

    return setup_class


def install() -> None:
    replace(BaseResponse, "setup_class", _noting_the_request)
    add_entry(policy_conditions.CONDITION_OPERATIONS, "Bool", _bool_equals, "IAM condition operators")
    replace(IAMPolicyStatement, "is_action_permitted", _applies_only_when_condition_holds)
    replace(FakeBucket, "get_permission", lambda _without_context: _get_permission_with_request_context)
