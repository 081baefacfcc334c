"""Every IAM policy document in the generated Terraform JSON, with its
`${...}` references resolved to representative ARNs.

Identity policies (a role's inline policies and the managed policies
attached to it, a customer-managed policy on its own, a permissions
boundary) and resource policies (KMS key, bucket, topic and queue
policies). A reference resolves to the ARN the resource will have: its name
where the ARN carries one, and for generated ids (a KMS key id, an API id)
a stand-in that names the environment and the resource, so the checks can
tell this environment's resources from another's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION = "eu-west-1"
# A stand-in account per configuration where the configuration does not
# pin one (`allowed_account_ids` in its provider).
DEFAULT_ACCOUNTS = {"local": "123456789012", "dev": "111111111111", "prod": "222222222222"}
REFERENCE = re.compile(r"\$\{([^{}]+)\}")

# resource type -> policy-document attributes
RESOURCE_POLICIES = {
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_sqs_queue_policy": "policy",
}


class UnresolvedReference(ValueError):
    """A reference in a policy the checker cannot turn into an ARN."""


@dataclass
class Policy:
    """One policy document and where it came from."""

    config: str  # terraform/<config>
    address: str  # e.g. aws_iam_role_policy.lambda_b
    kind: str  # "identity", "boundary" or "resource"
    document: dict[str, Any]

    def statements(self) -> list[dict[str, Any]]:
        statements = self.document.get("Statement", [])
        return statements if isinstance(statements, list) else [statements]


@dataclass
class Role:
    config: str
    address: str
    name: str
    arn: str
    trust: dict[str, Any]
    policies: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    boundary_arn: str | None = None


@dataclass
class Configuration:
    name: str
    account: str
    resources: dict[str, dict[str, dict[str, Any]]]
    roles: dict[str, Role] = field(default_factory=dict)  # address -> role
    policies: list[Policy] = field(default_factory=list)  # every document

    def resource(self, address: str) -> dict[str, Any]:
        kind, name = address.split(".", 1)
        return self.resources.get(kind, {}).get(name, {})


def _account_of(name: str, blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        aws = (block.get("provider") or {}).get("aws")
        if isinstance(aws, dict) and aws.get("allowed_account_ids"):
            return str(aws["allowed_account_ids"][0])
    return DEFAULT_ACCOUNTS.get(name, "000000000000")


def _arn(kind: str, body: dict[str, Any], logical: str, config: Configuration) -> str:
    r, a = REGION, config.account
    env = config.name
    named = {
        "aws_dynamodb_table": lambda: f"arn:aws:dynamodb:{r}:{a}:table/{body['name']}",
        "aws_s3_bucket": lambda: f"arn:aws:s3:::{body['bucket']}",
        "aws_sns_topic": lambda: f"arn:aws:sns:{r}:{a}:{body['name']}",
        "aws_sqs_queue": lambda: f"arn:aws:sqs:{r}:{a}:{body['name']}",
        "aws_cloudwatch_log_group": lambda: f"arn:aws:logs:{r}:{a}:log-group:{body['name']}",
        "aws_lambda_function": lambda: f"arn:aws:lambda:{r}:{a}:function:{body['function_name']}",
        "aws_sfn_state_machine": lambda: f"arn:aws:states:{r}:{a}:stateMachine:{body['name']}",
        "aws_iam_role": lambda: f"arn:aws:iam::{a}:role/{body['name']}",
        "aws_iam_policy": lambda: f"arn:aws:iam::{a}:policy/{body['name']}",
        "aws_codebuild_project": lambda: f"arn:aws:codebuild:{r}:{a}:project/{body['name']}",
        "aws_codepipeline": lambda: f"arn:aws:codepipeline:{r}:{a}:{body['name']}",
        "aws_scheduler_schedule": lambda: f"arn:aws:scheduler:{r}:{a}:schedule/default/{body['name']}",
        # generated ids: a stand-in naming the environment and the resource
        "aws_kms_key": lambda: f"arn:aws:kms:{r}:{a}:key/auction-{env}-{logical}-key-id",
        "aws_codeconnections_connection": lambda: (
            f"arn:aws:codeconnections:{r}:{a}:connection/auction-{env}-{logical}-id"
        ),
        "aws_cognito_user_pool": lambda: f"arn:aws:cognito-idp:{r}:{a}:userpool/{r}_auction-{env}-{logical}",
    }
    if kind not in named:
        raise UnresolvedReference(f"no ARN rule for {kind} (add one to tools/iam_check/policies.py)")
    return named[kind]()


def resolve(text: str, config: Configuration) -> str:
    def one(match: re.Match[str]) -> str:
        reference = match.group(1)
        if reference == "data.aws_caller_identity.current.account_id":
            return config.account
        parts = reference.split(".")
        if len(parts) != 3 or not parts[0].startswith("aws_"):
            raise UnresolvedReference(f"cannot resolve ${{{reference}}} in a policy of terraform/{config.name}")
        kind, logical, attribute = parts
        body = config.resource(f"{kind}.{logical}")
        if not body:
            raise UnresolvedReference(f"${{{reference}}}: no {kind}.{logical} in terraform/{config.name}")
        if attribute == "arn":
            return _arn(kind, body, logical, config)
        for key in ("name", "bucket", "function_name"):
            if attribute in (key, "id") and key in body:
                return str(body[key])
        if kind == "aws_kms_key" and attribute in ("key_id", "id"):
            return _arn(kind, body, logical, config).rsplit("/", 1)[1]
        raise UnresolvedReference(f"cannot resolve ${{{reference}}} in a policy of terraform/{config.name}")

    # Terraform's escape for a literal `${` (IAM policy variables) is `$${`.
    marker = "\x00"
    return REFERENCE.sub(one, text.replace("$${", marker)).replace(marker, "${")


def _document(raw: str, config: Configuration) -> dict[str, Any]:
    return dict(json.loads(resolve(raw, config)))


def load(config_dir: Path, account: str | None = None) -> Configuration:
    """`account`: resolve the configuration's account id to this one (the
    emulator's, say) instead of its pinned or stand-in account."""
    blocks = [json.loads(p.read_text()) for p in sorted(config_dir.glob("*.tf.json"))]
    resources: dict[str, dict[str, dict[str, Any]]] = {}
    for block in blocks:
        for kind, by_name in (block.get("resource") or {}).items():
            resources.setdefault(kind, {}).update(by_name)
    config = Configuration(config_dir.name, account or _account_of(config_dir.name, blocks), resources)
    managed: dict[str, Policy] = {}
    for logical, body in resources.get("aws_iam_policy", {}).items():
        policy = Policy(config.name, f"aws_iam_policy.{logical}", "identity", _document(body["policy"], config))
        managed[_arn("aws_iam_policy", body, logical, config)] = policy
        config.policies.append(policy)
    for logical, body in resources.get("aws_iam_role", {}).items():
        role = Role(
            config.name,
            f"aws_iam_role.{logical}",
            body["name"],
            _arn("aws_iam_role", body, logical, config),
            _document(body["assume_role_policy"], config),
        )
        if body.get("permissions_boundary"):
            role.boundary_arn = resolve(body["permissions_boundary"], config)
            role.boundary = managed.get(role.boundary_arn)
            if role.boundary is not None:
                role.boundary.kind = "boundary"
        config.roles[role.address] = role
    by_reference = {
        f"${{aws_iam_role.{r.address.split('.', 1)[1]}.{attr}}}": r
        for r in config.roles.values()
        for attr in ("id", "name")
    }
    for logical, body in resources.get("aws_iam_role_policy", {}).items():
        policy = Policy(config.name, f"aws_iam_role_policy.{logical}", "identity", _document(body["policy"], config))
        config.policies.append(policy)
        role = by_reference.get(body["role"]) or _role_named(config, body["role"])
        role.policies.append(policy)
    for body in resources.get("aws_iam_role_policy_attachment", {}).values():
        role = by_reference.get(body["role"]) or _role_named(config, body["role"])
        arn = resolve(body["policy_arn"], config)
        if arn in managed:
            role.policies.append(managed[arn])
    for kind, attribute in RESOURCE_POLICIES.items():
        for logical, body in resources.get(kind, {}).items():
            if body.get(attribute):
                config.policies.append(
                    Policy(config.name, f"{kind}.{logical}", "resource", _document(body[attribute], config))
                )
    return config


def _role_named(config: Configuration, name: str) -> Role:
    for role in config.roles.values():
        if role.name == name:
            return role
    raise UnresolvedReference(f"a policy of terraform/{config.name} names role {name!r}, which it does not define")


def load_all(terraform_dir: Path) -> list[Configuration]:
    return [load(d) for d in sorted(terraform_dir.iterdir()) if d.is_dir() and any(d.glob("*.tf.json"))]
