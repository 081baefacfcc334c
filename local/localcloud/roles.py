"""Acting as a generated role in the emulator: credentials from its STS, and
what an AWS service does with a role (EventBridge Scheduler firing a
schedule). The emulator enforces IAM on such requests (motolocal/iam_enforce.py)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

REGION = "eu-west-1"
ADMIN_KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def admin_client(endpoint: str, service: str) -> Any:
    """Setup and inspection: the emulator's unrestricted test credentials."""
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, config=Config(s3={"addressing_style": "path"}), **ADMIN_KEYS
    )


def assume(endpoint: str, role_arn: str, session: str) -> dict[str, str]:
    """Keys of a session of `role_arn`, as boto3 client arguments."""
    answer = admin_client(endpoint, "sts").assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def as_environment(keys: dict[str, str]) -> dict[str, str]:
    """The same keys as the AWS_* variables SDKs and Terraform read."""
    return {
        "AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": keys["aws_session_token"],
    }


def role_client(endpoint: str, service: str, keys: dict[str, str]) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        **keys,
    )


def fire_schedule(endpoint: str, schedule_name: str) -> str:
    """Starts a run as EventBridge Scheduler does when the schedule fires:
    with the schedule's own role, its target and its input. Returns the
    execution ARN. (moto stores schedules but never fires them.)"""
    schedule = admin_client(endpoint, "scheduler").get_schedule(Name=schedule_name)
    target = schedule["Target"]
    if ":states:" not in target["Arn"]:
        raise ValueError(f"schedule {schedule_name} targets {target['Arn']}, not a state machine")
    keys = assume(endpoint, target["RoleArn"], "scheduler")
    sfn = role_client(endpoint, "stepfunctions", keys)
    answer = sfn.start_execution(stateMachineArn=target["Arn"], input=target.get("Input") or json.dumps({}))
    return str(answer["executionArn"])
