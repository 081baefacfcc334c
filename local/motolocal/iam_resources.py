"""What a request does in IAM terms: the action, the resource ARNs and the
condition keys, derived from the request where moto passes `*`.

moto determines the resource itself only for IAM, STS, SQS and S3; for the
other services this project uses the ARN is built here from the request's
parameters, as AWS's Service Authorization Reference defines it. Where a
request names no resource (List*, Create* of a new key, DescribeLogGroups)
the resource is `*`, which is what AWS evaluates too.

A request that hands a role to a service (Lambda's `Role`, Step Functions'
`roleArn`, Scheduler's `Target.RoleArn`) also needs `iam:PassRole` on that
role with `iam:PassedToService`: checked as a second call, as AWS does.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .iam_policy import Context

# Signing names whose IAM prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch"}
# API operation -> IAM action, where they differ.
ACTION_NAME = {
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeAsync": "lambda:InvokeFunction",
    # S3 authorizes HEAD requests as the GET/List they stand for.
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
}
PASSED_TO = {
    "lambda": "lambda.amazonaws.com",
    "states": "states.amazonaws.com",
    "scheduler": "scheduler.amazonaws.com",
}


class CognitoTags:
    """moto keeps no tags of Cognito user pools; the launcher remembers the
    tags each pool was created with (by pool name), so conditions on
    `aws:ResourceTag/...` see what AWS would."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_pool_name: dict[str, dict[str, str]] = {}

    def created(self, params: dict[str, Any]) -> None:
        tags = params.get("UserPoolTags")
        if isinstance(params.get("PoolName"), str) and isinstance(tags, dict):
            with self.lock:
                self.by_pool_name[params["PoolName"]] = {str(k): str(v) for k, v in tags.items()}

    def of(self, account: str, region: str, pool_id: str) -> dict[str, str]:
        from moto.cognitoidp.models import cognitoidp_backends

        pool = cognitoidp_backends[account][region].user_pools.get(pool_id)
        with self.lock:
            return dict(self.by_pool_name.get(pool.name, {})) if pool is not None else {}


COGNITO_TAGS = CognitoTags()


def resource_tags(arn: str, account: str, region: str) -> dict[str, str]:
    """The tags of the resource an ARN names, where moto keeps them (KMS
    keys, HTTP APIs) or the launcher does (Cognito user pools)."""
    if ":kms:" in arn and ":key/" in arn:
        from moto.kms.models import kms_backends

        key_id = arn.rsplit("/", 1)[1]
        try:
            tags = kms_backends[account][region].list_resource_tags(key_id)["Tags"]
        except Exception:  # noqa: BLE001 - an unknown key has no tags
            return {}
        return {t["TagKey"]: t["TagValue"] for t in tags}
    if ":apigateway:" in arn and "/apis/" in arn:
        from moto.apigatewayv2.models import apigatewayv2_backends

        api_arn = "/".join(arn.split("/")[:3])  # arn:...::/apis/<id>
        return dict(apigatewayv2_backends[account][region].get_tags(api_arn))
    if ":cognito-idp:" in arn and ":userpool/" in arn:
        return COGNITO_TAGS.of(account, region, arn.rsplit("/", 1)[1])
    return {}


@dataclass
class Call:
    action: str
    resources: list[str]
    context: Context = field(default_factory=dict)


def region_of(response: Any) -> str:
    auth = response.headers.get("Authorization") or ""
    scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) > 2 else "eu-west-1"


def params_of(response: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, values in (getattr(response, "querystring", None) or {}).items():
        params[key] = values[0] if isinstance(values, list) and values else values
    for body in (getattr(response, "raw_body", None), getattr(response, "body", None)):
        if isinstance(body, dict):
            params.update(body)
            continue
        if isinstance(body, bytes):
            body = body.decode(errors="replace")
        if isinstance(body, str) and body.startswith("{"):
            try:
                parsed = json.loads(body)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                params.update(parsed)
    return params


def _first(params: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _path(response: Any) -> str:
    return unquote(str(response.raw_path or response.path or ""))


class Arns:
    def __init__(self, region: str, account: str) -> None:
        self.region, self.account = region, account

    def of(self, service: str, resource: str, regional: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account if account else ''}:{resource}"


def _dynamodb(op: str, p: dict[str, Any], arns: Arns) -> list[str]:
    if op.startswith("Batch"):
        return [arns.of("dynamodb", f"table/{t}") for t in sorted(p.get("RequestItems") or {})]
    table = _first(p, "TableName", "ResourceArn")
    if table:
        return [table if table.startswith("arn:") else arns.of("dynamodb", f"table/{table}")]
    return ["*"]


def _lambda(op: str, p: dict[str, Any], path: str, arns: Arns) -> list[str]:
    match = re.search(r"/functions/([^/]+)", path)
    name = unquote(match.group(1)) if match else _first(p, "FunctionName")
    if not name:
        tagged = re.search(r"/tags/(arn:[^/?]+)", path)
        return [unquote(tagged.group(1))] if tagged else ["*"]
    if name.startswith("arn:"):
        return [name]
    qualifier = _first(p, "Qualifier")
    return [arns.of("lambda", f"function:{name}" + (f":{qualifier}" if qualifier else ""))]


def _states(op: str, p: dict[str, Any], arns: Arns) -> list[str]:
    arn = _first(p, "stateMachineArn", "executionArn", "resourceArn")
    if arn:
        return [arn]
    if op == "CreateStateMachine" and _first(p, "name"):
        return [arns.of("states", f"stateMachine:{p['name']}")]
    return ["*"]


def _sns(op: str, p: dict[str, Any], arns: Arns) -> list[str]:
    arn = _first(p, "TopicArn", "TargetArn", "ResourceArn")
    if arn:
        return [arn]
    sub = _first(p, "SubscriptionArn")
    if sub:
        return [sub.rsplit(":", 1)[0]]
    if op == "CreateTopic" and _first(p, "Name"):
        return [arns.of("sns", p["Name"])]
    return ["*"]


def _logs(op: str, p: dict[str, Any], arns: Arns) -> list[str]:
    arn = _first(p, "resourceArn", "logGroupArn", "logGroupIdentifier")
    if arn and arn.startswith("arn:"):
        return [arn.removesuffix(":*")]
    group = _first(p, "logGroupName")
    if group and op != "DescribeLogGroups":
        stream = _first(p, "logStreamName")
        suffix = f":log-stream:{stream}" if stream else ""
        return [arns.of("logs", f"log-group:{group}{suffix}")]
    if op in ("CreateLogDelivery", "PutResourcePolicy", "DescribeResourcePolicies") or op.endswith("LogDeliveries"):
        return ["*"]
    return [arns.of("logs", "log-group:*")] if op == "DescribeLogGroups" else ["*"]


def _kms(op: str, p: dict[str, Any], arns: Arns, account: str) -> list[str]:
    key = _first(p, "TargetKeyId", "KeyId")
    if not key:
        return ["*"]
    if key.startswith("arn:"):
        return [key]
    if key.startswith("alias/"):
        from moto.kms.models import kms_backends

        backend = kms_backends[account][arns.region]
        target = backend.get_key_id_from_alias(key)
        if target is None:
            return [arns.of("kms", key)]
        key = target
    resources = [arns.of("kms", f"key/{key}")]
    alias = _first(p, "AliasName")
    if alias:
        resources.append(arns.of("kms", alias))
    return resources


def _scheduler(path: str, p: dict[str, Any], arns: Arns) -> list[str]:
    match = re.search(r"/schedules/([^/?]+)", path)
    if match:
        group = _first(p, "groupName", "GroupName") or "default"
        return [arns.of("scheduler", f"schedule/{group}/{match.group(1)}")]
    match = re.search(r"/schedule-groups/([^/?]+)", path)
    return [arns.of("scheduler", f"schedule-group/{match.group(1)}")] if match else ["*"]


def _cloudwatch(op: str, p: dict[str, Any], arns: Arns) -> list[str]:
    if _first(p, "ResourceARN"):
        return [p["ResourceARN"]]
    names = [v for k, v in sorted(p.items()) if k == "AlarmName" or k.startswith("AlarmNames.member")]
    if names:
        return [arns.of("cloudwatch", f"alarm:{n}") for n in names]
    dashboards = [v for k, v in sorted(p.items()) if k == "DashboardName" or k.startswith("DashboardNames.member")]
    if dashboards:
        return [arns.of("cloudwatch", f"dashboard/{d}", regional=False) for d in dashboards]
    return ["*"]


def _sqs(op: str, p: dict[str, Any], moto_resource: str, arns: Arns) -> list[str]:
    """moto names only queues that exist; a queue being created is named
    here, and a queue URL's last segment is its name."""
    name = _first(p, "QueueName") or (_first(p, "QueueUrl") or "").rstrip("/").rsplit("/", 1)[-1]
    if name:
        return [arns.of("sqs", name)]
    return [moto_resource]


def _iam(op: str, p: dict[str, Any], arns: Arns) -> list[str]:
    """moto names only roles that already exist; a role being created, a
    policy and a policy version are named here."""
    role = _first(p, "RoleName")
    if role:
        path = _first(p, "Path") or "/"
        return [arns.of("iam", f"role{path}{role}", regional=False)]
    policy = _first(p, "PolicyArn")
    if policy:
        return [policy]
    if op == "CreatePolicy" and _first(p, "PolicyName"):
        path = _first(p, "Path") or "/"
        return [arns.of("iam", f"policy{path}{p['PolicyName']}", regional=False)]
    return ["*"]


def _codebuild(p: dict[str, Any], arns: Arns) -> list[str]:
    names = p.get("names") or ([p["name"]] if isinstance(p.get("name"), str) else [])
    found = [n if n.startswith("arn:") else arns.of("codebuild", f"project/{n}") for n in names]
    return found or ["*"]


def _resources(prefix: str, op: str, response: Any, p: dict[str, Any], moto_resource: str, arns: Arns) -> list[str]:
    path = _path(response)
    if prefix == "sqs":
        return _sqs(op, p, moto_resource, arns)
    if prefix in ("s3", "sts"):
        return [moto_resource]
    if prefix == "iam":
        return _iam(op, p, arns)
    if prefix == "dynamodb":
        return _dynamodb(op, p, arns)
    if prefix == "lambda":
        return _lambda(op, p, path, arns)
    if prefix == "states":
        return _states(op, p, arns)
    if prefix == "sns":
        return _sns(op, p, arns)
    if prefix == "logs":
        return _logs(op, p, arns)
    if prefix == "kms":
        return _kms(op, p, arns, arns.account)
    if prefix == "scheduler":
        return _scheduler(path, p, arns)
    if prefix == "cognito-idp":
        pool = _first(p, "UserPoolId")
        if op == "DescribeUserPoolDomain" or not pool:
            return ["*"]
        return [arns.of("cognito-idp", f"userpool/{pool}")]
    if prefix == "apigateway":
        # HTTP APIs are served under /v2/; IAM names them without it.
        return [f"arn:aws:apigateway:{arns.region}::{path.split('?')[0].removeprefix('/v2')}"]
    if prefix == "cloudwatch":
        return _cloudwatch(op, p, arns)
    if prefix == "codebuild":
        return _codebuild(p, arns)
    return ["*"]


def _request_tags(p: dict[str, Any]) -> dict[str, str]:
    tags = p.get("Tags") or p.get("tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        out = {}
        for tag in tags:
            if isinstance(tag, dict):
                key = tag.get("Key") or tag.get("TagKey") or tag.get("key")
                value = tag.get("Value") or tag.get("TagValue") or tag.get("value")
                if key is not None:
                    out[str(key)] = str(value)
        return out
    # query protocol: Tags.member.N.Key / .Value
    out = {}
    for key, value in p.items():
        if re.fullmatch(r"Tags\.member\.\d+\.Key", key):
            out[str(value)] = str(p.get(key[: -len("Key")] + "Value", ""))
    return out


def _tag_context(resource: str, account: str, region: str) -> Context:
    context: Context = {f"aws:ResourceTag/{k}": [v] for k, v in resource_tags(resource, account, region).items()}
    if ":kms:" in resource and ":key/" in resource:
        aliases = key_aliases(resource, account, region)
        if aliases:
            context["kms:ResourceAliases"] = aliases
    return context


def key_aliases(key_arn: str, account: str, region: str) -> list[str]:
    """`kms:ResourceAliases` of a key: the names of the aliases that point at it."""
    from moto.kms.models import kms_backends

    key_id = key_arn.rsplit("/", 1)[1]
    return sorted(alias.alias_name for alias in kms_backends[account][region].list_aliases(key_id))


def _existing_boundary(op: str, params: dict[str, Any], account: str) -> str | None:
    """For a change to an existing role, iam:PermissionsBoundary is that
    role's boundary (AWS's rule)."""
    role_name = _first(params, "RoleName")
    if not role_name or op == "CreateRole":
        return None
    from moto.iam.models import iam_backends

    try:
        return iam_backends[account]["aws"].get_role(role_name).permissions_boundary_arn
    except Exception:  # noqa: BLE001 - no such role: no boundary
        return None


def _passed_role(prefix: str, p: dict[str, Any]) -> str | None:
    if prefix == "lambda":
        return _first(p, "Role")
    if prefix == "states":
        return _first(p, "roleArn")
    if prefix == "scheduler":
        target = p.get("Target")
        return target.get("RoleArn") if isinstance(target, dict) else None
    return None


def derive(response: Any, signed_action: str, moto_resource: str, account: str) -> list[Call]:
    service, op = signed_action.split(":", 1)
    prefix = IAM_PREFIX.get(service, service)
    if prefix == "apigateway":
        op = str(response.method).upper()
    action = ACTION_NAME.get(f"{prefix}:{op}", f"{prefix}:{op}")
    params = params_of(response)
    arns = Arns(region_of(response), account)
    context: Context = {}
    tags = _request_tags(params)
    if tags:
        context["aws:TagKeys"] = sorted(tags)
        for key, value in tags.items():
            context[f"aws:RequestTag/{key}"] = [value]
    if prefix == "iam":
        boundary = _first(params, "PermissionsBoundary") or _existing_boundary(op, params, account)
        if boundary:
            context["iam:PermissionsBoundary"] = [boundary]
    if action == "cognito-idp:CreateUserPool":
        COGNITO_TAGS.created(params)
        context.update({f"aws:RequestTag/{k}": [v] for k, v in (params.get("UserPoolTags") or {}).items()})
    resources = _resources(prefix, op, response, params, moto_resource, arns)
    calls = [Call(action, [r], {**context, **_tag_context(r, account, arns.region)}) for r in resources]
    passed = _passed_role(prefix, params)
    if passed:
        calls.append(Call("iam:PassRole", [passed], {"iam:PassedToService": [PASSED_TO[prefix]]}))
    return calls
