"""The bad-input corpus (tests/corpus/cases.toml) against the running local
cloud's post_lambda, through the local HTTP API with a token (as a client
calls it in AWS): every case answers its expected status, never a 5xx,
always as JSON; a refused case names the problem in `errorMessage` and
writes nothing of its request; an accepted one stores exactly what it sent.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from orders_api import token

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text())["case"]
# A real API Gateway (HTTP API, payload 2.0) event, as post_lambda's own tests use.
EVENT = json.loads((REPO / "lambdas" / "post_lambda" / "tests" / "fixtures" / "apigw_v2_post_orders.json").read_text())
RECORD_ID = re.compile(rb'"record_id"\s*:\s*"((?:[^"\\]|\\.){1,3000})"')


@dataclass
class Answer:
    status: int
    content_type: str | None
    body: Any


def body_of(case: dict[str, Any]) -> bytes:
    if "body" in case:
        return (CORPUS / case["body"]).read_bytes()
    rule = case["generate"]
    items = (rule["item"].replace("{i}", str(i)) for i in range(rule["count"]))
    return (rule["prefix"] + rule["separator"].join(items) + rule["suffix"]).encode()


def record_ids(body: bytes) -> list[str]:
    """Every record_id string the body names (valid JSON or not)."""
    found = []
    for match in RECORD_ID.finditer(body):
        try:
            found.append(json.loads(b'"' + match.group(1) + b'"'))
        except ValueError:
            continue  # not decodable (broken escapes): nothing could store it
    return list(dict.fromkeys(found))


def headers_for(case: dict[str, Any]) -> dict[str, str]:
    content_type = case.get("content_type", "application/json")
    return {"Content-Type": content_type} if content_type else {}


def send_to_url(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """Raw bytes, only the given headers (urllib would add a Content-Type)."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"no host in {url}")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        answer = connection.getresponse()
        raw = answer.read()
        return Answer(answer.status, answer.getheader("Content-Type"), _json_or_text(raw))
    finally:
        connection.close()


def send_base64_event(invoke_url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """The body as API Gateway hands a binary body to Lambda, through the
    runtime's Invoke API."""
    event = dict(EVENT, body=base64.b64encode(body).decode(), isBase64Encoded=True)
    event["headers"] = {k: v for k, v in EVENT["headers"].items() if k not in ("content-type", "content-length")}
    event["headers"].update({k.lower(): v for k, v in headers.items()})
    answer = send_to_url(invoke_url, json.dumps(event).encode(), {"Content-Type": "application/json"})
    if answer.status != 200 or not isinstance(answer.body, dict) or "statusCode" not in answer.body:
        # The function itself failed: a 5xx for the caller.
        return Answer(502, None, answer.body)
    response = answer.body
    content_type = {k.lower(): v for k, v in (response.get("headers") or {}).items()}.get("content-type")
    payload = response.get("body") or ""
    if response.get("isBase64Encoded"):
        payload = base64.b64decode(payload).decode(errors="replace")
    return Answer(int(response["statusCode"]), content_type, _json_or_text(payload))


def _json_or_text(raw: bytes | str) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode(errors="replace") if isinstance(raw, bytes) else raw


def item_count(dynamodb: Any, table: str) -> int:
    count, start = 0, None
    while True:
        page = dynamodb.scan(TableName=table, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        count += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def stored_items(dynamodb: Any, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for at in range(0, len(ids), 100):
        keys: list[dict[str, Any]] = [{"record_id": {"S": i}} for i in ids[at : at + 100]]
        while keys:
            page = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys}})
            for item in page["Responses"].get(table, []):
                found[item["record_id"]["S"]] = item
            keys = page.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return found


def case_id(case: dict[str, Any]) -> str:
    return f"{case['id']}-{case['name']}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_corpus_case(cloud: Any, case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    if "xfail" in case:
        request.applymarker(pytest.mark.xfail(reason=case["xfail"], strict=True))
    table = cloud.outputs["orders_table_name"]
    dynamodb = cloud.client("dynamodb")
    body = body_of(case)
    ids = record_ids(body)
    before = item_count(dynamodb, table)

    if case.get("via", "url") == "url":
        headers = {**headers_for(case), "Authorization": f"Bearer {token(cloud)}"}
        answer = send_to_url(cloud.orders_url, body, headers)
        while answer.status == 429:  # the local stage is throttled low on purpose
            time.sleep(0.5)
            answer = send_to_url(cloud.orders_url, body, headers)
    else:
        invoke = f"http://127.0.0.1:{cloud.settings.lambda_port}/2015-03-31/functions/post_lambda/invocations"
        answer = send_base64_event(invoke, body, headers_for(case))

    shown = str(answer.body)[:300]
    assert answer.status < 500, f"a 5xx: {answer.status} {shown}"
    assert answer.status == case["status"], shown
    assert answer.content_type == "application/json", shown
    stored = stored_items(dynamodb, table, ids)
    if answer.status >= 400:
        assert isinstance(answer.body, dict) and list(answer.body) == ["errorMessage"], shown
        message = answer.body["errorMessage"]
        assert isinstance(message, str) and message
        if "message_exact" in case:
            assert message == case["message_exact"]
        if "message" in case:
            assert case["message"] in message
        # Nothing of a refused request is written.
        assert stored == {}, f"refused, yet stored: {sorted(stored)[:5]}"
        assert item_count(dynamodb, table) == before
    else:
        assert answer.body == {"stored": len(ids)}
        assert sorted(stored) == sorted(ids)
        assert set(case.get("stores", [])) <= set(stored)
        assert item_count(dynamodb, table) == before + len(ids)
        expected = case.get("item")
        if expected:
            item = stored[expected["record_id"]["S"] if "record_id" in expected else ids[0]]
            assert {name: item.get(name) for name in expected} == expected


def test_the_corpus_has_at_least_50_refusals_and_no_stray_files() -> None:
    refused = [c for c in CASES if c["status"] >= 400 and "xfail" not in c]
    assert len(refused) >= 50, len(refused)
    assert len({c["id"] for c in CASES}) == len(CASES), "case ids are unique"
    named = {c["body"] for c in CASES if "body" in c}
    on_disk = {f"bodies/{p.name}" for p in (CORPUS / "bodies").iterdir()}
    assert named == on_disk, f"missing: {named - on_disk}, not in the manifest: {on_disk - named}"
    for case in CASES:
        assert ("body" in case) != ("generate" in case), case_id(case)
        assert case.get("via", "url") in ("url", "invoke-base64"), case_id(case)
        assert case["status"] < 500, "the corpus expects no 5xx"
