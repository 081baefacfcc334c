"""Step Functions tasks call other services with the state machine's role.

moto's interpreter builds every client of a task (Lambda invoke, SNS
publish, ...) with the fixed keys `ak`/`sk`, whatever the state machine's
role. AWS signs those calls with the role's credentials; here each task's
client gets credentials of the role in the task's `StateCredentials` (the
execution's role unless the state names its own), from the emulator's STS,
so IAM enforcement (`iam_enforce.py`) sees the state machine's own role.
A role the emulator does not know (a state machine a test made with a
made-up role ARN) gets the administrator keys instead, with a warning:
Terraform always creates the role of a generated state machine.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

import boto3
from botocore.client import BaseClient
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client

from .patching import replace

_MODULES = [
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
]
_ADMIN = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
LOG = logging.getLogger("motolocal.stepfunctions")


class RoleSessions:
    """Credentials per role, from the emulator's STS; renewed well before
    moto's default hour runs out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cached: dict[str, dict[str, str]] = {}

    def credentials(self, role_arn: str, region: str) -> dict[str, str] | None:
        """None when the emulator has no such role (a state machine made
        by hand in a test, with a made-up role ARN)."""
        with self.lock:
            if role_arn not in self.cached:
                endpoint = f"http://localhost:{moto_server_port()}"
                iam = boto3.client("iam", region_name=region, endpoint_url=endpoint, **_ADMIN)
                try:
                    iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])
                except iam.exceptions.NoSuchEntityException:
                    LOG.warning("role %s does not exist: its tasks run unchecked (administrator keys)", role_arn)
                    return None
                sts = boto3.client("sts", region_name=region, endpoint_url=endpoint, **_ADMIN)
                answer = sts.assume_role(RoleArn=role_arn, RoleSessionName="states")["Credentials"]
                self.cached[role_arn] = {
                    "aws_access_key_id": answer["AccessKeyId"],
                    "aws_secret_access_key": answer["SecretAccessKey"],
                    "aws_session_token": answer["SessionToken"],
                }
            return self.cached[role_arn]


def install() -> RoleSessions:
    sessions = RoleSessions()
    original = moto_boto_client.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
        client = original(region=region, service=service, state_credentials=state_credentials)
        role_arn = getattr(state_credentials, "role_arn", None)
        keys = (sessions.credentials(role_arn, region) if role_arn else None) or _ADMIN
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=client.meta.endpoint_url,
            config=client.meta.config,
            **keys,
        )

    for name in _MODULES:
        replace(importlib.import_module(name), "boto_client_for", lambda _original: boto_client_for)
    return sessions
