"""Bucket policies with conditions behave as in AWS (see motolocal/s3_policy.py)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import Launcher


def policy(effect: str, secure_transport: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Transport",
                    "Effect": effect,
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::guarded", "arn:aws:s3:::guarded/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": [secure_transport]}},
                }
            ],
        }
    )


def test_the_tls_only_policy_lets_requests_through(launcher: Launcher) -> None:
    s3 = launcher.client("s3")
    s3.create_bucket(Bucket="guarded", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(Bucket="guarded", Policy=policy("Deny", "false"))
    s3.put_object(Bucket="guarded", Key="state.json", Body=b"{}")
    assert s3.get_object(Bucket="guarded", Key="state.json")["Body"].read() == b"{}"


def test_a_deny_whose_condition_holds_still_denies(launcher: Launcher) -> None:
    s3 = launcher.client("s3")
    s3.create_bucket(Bucket="guarded", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(Bucket="guarded", Policy=policy("Deny", "true"))
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="guarded", Key="state.json", Body=b"{}")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_policy_refusing_other_encryption_and_keys_holds(launcher: Launcher) -> None:
    """The state bucket's policy (tfgen `secure_bucket`): a write may ask for
    the bucket's key or nothing (the KMS default applies), never AES256 or
    another key."""
    s3 = launcher.client("s3")
    s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    key = "arn:aws:kms:eu-west-1:123456789012:key/state"
    deny = {"Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::state/*"]}
    s3.put_bucket_policy(
        Bucket="state",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        **deny,
                        "Sid": "DenyOtherEncryption",
                        "Condition": {
                            "StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms"]},
                            "Null": {"s3:x-amz-server-side-encryption": ["false"]},
                        },
                    },
                    {
                        **deny,
                        "Sid": "DenyOtherKeys",
                        "Condition": {
                            "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [key]},
                            "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": ["false"]},
                        },
                    },
                ],
            }
        ),
    )
    s3.put_object(Bucket="state", Key="plain", Body=b"{}")
    s3.put_object(Bucket="state", Key="right-key", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    for refused in (
        {"ServerSideEncryption": "AES256"},
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:aws:kms:eu-west-1:123456789012:key/other"},
    ):
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket="state", Key="wrong", Body=b"{}", **refused)
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
