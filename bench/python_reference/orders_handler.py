"""The Python reference for `make bench`: POST /orders as the company's
original Python Lambda did it, so the Rust function is measured against
what it replaces.

Module scope, as in any Python Lambda: boto3 is imported and the table
resource built once per cold start. Per request: the body is parsed
(numbers as Decimal, which boto3 requires), every record gets the TTL and
is put through `Table.batch_writer()`, which sends BatchWriteItem calls of
25 one after another and re-sends UnprocessedItems. No validation beyond
the original's empty-body check: a bad record fails inside boto3.
"""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from typing import Any

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
TTL_SECONDS = 24 * 60 * 60


def _answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = event.get("body")
    if not body:
        return _answer(400, {"errorMessage": "Request body is empty"})
    records = json.loads(body, parse_float=Decimal)
    expires_at = int(time.time()) + TTL_SECONDS
    with TABLE.batch_writer() as batch:
        for record in records:
            record["expires_at"] = expires_at
            batch.put_item(Item=record)
    return _answer(201, {"stored": len(records)})
