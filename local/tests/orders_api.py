"""Calling the local orders API as a client does: a token from the token
endpoint, then POST /orders with it (shared by the end-to-end, API and
corpus tests)."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from localcloud import LocalCloud


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode(errors="replace")


def send(url: str, body: bytes | None, headers: dict[str, str], method: str = "POST") -> Answer:
    """Raw bytes, only the given headers (urllib would add a Content-Type)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    try:
        connection.request(method, parts.path, body=body, headers=headers)
        answer = connection.getresponse()
        raw = answer.read()
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, _json_or_text(raw))
    finally:
        connection.close()


def token_answer(
    cloud: LocalCloud, scope: str | None = "orders/write", client_id: str | None = None, secret: str | None = None
) -> Answer:
    credentials = f"{client_id or cloud.outputs['client_id']}:{secret or cloud.client_secret()}"
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return send(
        cloud.token_url,
        urllib.parse.urlencode(form).encode(),
        {
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def token(cloud: LocalCloud) -> str:
    answer = token_answer(cloud)
    assert answer.status == 200, answer.body
    return str(answer.body["access_token"])


def post_orders(
    cloud: LocalCloud,
    body: bytes,
    bearer: str | None,
    content_type: str | None = "application/json",
    retry_throttled: bool = True,
) -> Answer:
    """POST /orders; a 429 (the local stage is throttled low on purpose) is
    retried after a pause, as a client would."""
    headers = {
        **({"Content-Type": content_type} if content_type else {}),
        **({"Authorization": f"Bearer {bearer}"} if bearer else {}),
    }
    for _ in range(20):
        answer = send(cloud.orders_url, body, headers)
        if answer.status != 429 or not retry_throttled:
            return answer
        time.sleep(0.5)
    return answer
