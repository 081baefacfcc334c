"""IAM enforced for every request signed with credentials of an assumed role.

How moto 5.2.5 decides: every response class calls
`ActionAuthenticatorMixin._authenticate_and_authorize_action` before acting;
it lets the first `INITIAL_NO_AUTH_ACTION_COUNT` requests through (infinite
by default, so nothing is enforced) and afterwards looks the access key up
among IAM users and STS sessions. Any other key, the emulator's default
`test` key among them, is refused (InvalidClientTokenId). Its evaluator
passes `*` as the resource except for IAM, STS, SQS and S3.

What the launcher does instead (`install`), replacing that one method:
- a request signed with the **administrator keys** (`ADMIN_ACCESS_KEYS`:
  the `test` key that Terraform's local configuration, the local cloud and
  the tests use for setup and inspection) stays unrestricted, deliberately;
- a request signed with an **STS session** the emulator issued is checked:
  signature as moto checks it, then `iam_policy.evaluate` with the role's
  inline and attached policies, its permissions boundary, the resource ARN
  derived from the request (`iam_resources.py`) and the request's condition
  keys. A denial answers AccessDenied naming principal, action and resource,
  and is logged;
- any other key is refused as moto refuses it.

Every checked request is written to the call ledger (`ledger.py`).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, _RESTError
from moto.iam.models import iam_backends
from moto.s3.exceptions import S3AccessDeniedError
from moto.sts.models import sts_backends

from . import iam_resources
from .iam_policy import Context, Decision, Principal, evaluate
from .ledger import Ledger
from .patching import replace

LOG = logging.getLogger("motolocal.iam")

# Setup and inspection credentials: unrestricted, on purpose.
ADMIN_ACCESS_KEYS = frozenset({"test"})
PARTITION = "aws"


class RoleAccessDenied(AccessDeniedError):
    """AWS's AccessDenied, naming principal, action and resource: XML for
    query-protocol services (IAM, STS, SNS, CloudWatch), JSON otherwise."""

    def __init__(self, principal: str, action: str, resources: list[str], reason: str, as_json: bool) -> None:
        super().__init__(user_arn=principal, action=action)
        message = (
            f"User: {principal} is not authorized to perform: {action} on resource: {', '.join(resources)} ({reason})"
        )
        _RESTError.__init__(self, "AccessDenied", message)
        if as_json:
            self.description = json.dumps({"__type": "AccessDeniedException", "message": message, "Message": message})
            self.content_type = "application/json"

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        # Services whose handlers let the error reach werkzeug get no request
        # id otherwise; SDKs (and moto's interpreter) expect one.
        return [*super().get_headers(*args, **kwargs), ("x-amzn-RequestId", str(uuid.uuid4()))]


def s3_access_denied(principal: str, action: str, resources: list[str], reason: str) -> S3AccessDeniedError:
    """moto's own S3 error (moto serializes S3 errors by their class's
    module), with the message naming principal, action and resource."""
    error = S3AccessDeniedError()
    error.message = (
        f"Access Denied: User: {principal} is not authorized to perform: {action} on resource: "
        f"{', '.join(resources)} ({reason})"
    )
    return error


def access_key_of(headers: Any) -> str | None:
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    if "Credential=" not in auth:
        return None
    return str(auth.split("Credential=", 1)[1].split("/", 1)[0])


def session_for(access_key: str) -> tuple[str, Any] | None:
    """(account, STS session) that issued `access_key`, if the emulator's STS did."""
    for account, by_partition in list(sts_backends.items()):
        backend = by_partition.get(PARTITION) if hasattr(by_partition, "get") else None
        if backend is None:
            continue
        for session in backend.assumed_roles:
            if session.access_key_id == access_key:
                return account, session
    return None


def principal_of(account: str, session: Any) -> Principal:
    iam = iam_backends[account][PARTITION]
    role_name = session.role_arn.split("/")[-1]
    role = iam.get_role(role_name)
    policies: list[dict[str, Any]] = [json.loads(doc) for doc in role.policies.values()]
    for attached in role.managed_policies.values():
        policies.append(json.loads(_default_version(attached)))
    boundary = None
    if role.permissions_boundary_arn:
        boundary = json.loads(_default_version(iam.get_policy(role.permissions_boundary_arn)))
    arn = f"arn:{PARTITION}:sts::{account}:assumed-role/{role_name}/{session.session_name}"
    return Principal(arn=arn, role_name=role_name, policies=policies, boundary=boundary)


def _default_version(policy: Any) -> str:
    document = next(v.document for v in policy.versions if v.is_default)
    return document if isinstance(document, str) else json.dumps(document)


class Enforcer:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def authorize(self, response: Any, iam_request_cls: type, moto_resource: str) -> None:
        key = access_key_of(response.headers)
        if key in ADMIN_ACCESS_KEYS or key is None:
            return
        found = session_for(key)
        if found is None:
            # moto's own answer for a key it does not know.
            iam_request_cls(
                account_id=response.current_account,
                method=response.method,
                path=response.raw_path,
                data=response.data,
                body=response.raw_body,
                headers=response.headers,
                action=response._get_action(),
            )
            return
        account, session = found
        request = iam_request_cls(
            account_id=account,
            method=response.method,
            path=_path_with_query(response),
            # A bodiless request (REST GET/DELETE) was signed with an empty
            # body; moto would sign its parsed parameters instead.
            data={} if response.method in ("GET", "HEAD", "DELETE") and not response.raw_body else response.data,
            body=response.raw_body,
            headers=response.headers,
            action=response._get_action(),
        )
        request.check_signature()
        principal = principal_of(account, session)
        if request._action == "sts:GetCallerIdentity":
            # AWS answers it whatever the policies say.
            self.ledger.record(
                principal.arn, principal.role_name, request._action, "*", Decision(True, "always allowed")
            )
            return
        calls = iam_resources.derive(response, request._action, moto_resource, account)
        for call in calls:
            context: Context = {
                "aws:SecureTransport": ["true"],
                "aws:PrincipalArn": [f"arn:{PARTITION}:iam::{account}:role/{principal.role_name}"],
                "aws:PrincipalAccount": [account],
                "aws:RequestedRegion": [iam_resources.region_of(response)],
                **call.context,
            }
            decisions = [(r, evaluate(principal, call.action, r, context)) for r in call.resources]
            denied = [(r, d) for r, d in decisions if not d.allowed]
            for resource, decision in decisions:
                self.ledger.record(principal.arn, principal.role_name, call.action, resource, decision)
            if denied:
                self._deny(response, principal, call.action, denied)

    def _deny(self, response: Any, principal: Principal, action: str, denied: list[tuple[str, Decision]]) -> None:
        resources = [r for r, _ in denied]
        reason = denied[0][1].reason
        LOG.error("AccessDenied: %s may not %s on %s: %s", principal.arn, action, ", ".join(resources), reason)
        if action.startswith("s3:"):
            raise s3_access_denied(principal.arn, action, resources, reason)
        content_type = str(response.headers.get("Content-Type") or "")
        as_json = not content_type.startswith("application/x-www-form-urlencoded")
        raise RoleAccessDenied(principal.arn, action, resources, reason, as_json)


def _path_with_query(response: Any) -> str:
    from urllib.parse import urlparse

    path = str(response.raw_path)
    query = urlparse(response.uri).query
    return f"{path}?{query}" if query else path


def install(ledger: Ledger) -> Enforcer:
    enforcer = Enforcer(ledger)

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        enforcer.authorize(self, iam_request_cls, resource)

    replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", lambda _moto_check: authorize)
    return enforcer
