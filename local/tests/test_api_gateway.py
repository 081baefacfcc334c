"""The orders API as the local cloud serves it (local/apigw), from the
configuration applied to the emulator: the token endpoint, the JWT
authorizer (401), the route's scope (403), stage throttling (429), the
payload limit (413), bodies that are not UTF-8 (base64 to the handler), the
access log, and proof that it reads the applied configuration: change the
authorizer's audience or the route's scope in the emulator, and the token
it accepted before is refused.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from apigw.tokens import signing_key  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from orders_api import Answer, post_orders, send, token, token_answer  # noqa: E402

UNAUTHORIZED = {"message": "Unauthorized"}
FORBIDDEN = {"message": "Forbidden"}


def body(prefix: str) -> bytes:
    return json.dumps([{"record_id": f"{prefix}-{uuid.uuid4()}", "p": 1}]).encode()


def minted(cloud: LocalCloud, key: RSAKey | None = None, **changes: Any) -> str:
    """A token like the token endpoint's, with `changes` to its claims."""
    valid = jwt.decode(token(cloud), signing_key()).claims
    claims = {**valid, **changes}
    return jwt.encode(
        {"alg": "RS256", "kid": "dummy"}, {k: v for k, v in claims.items() if v is not None}, key or signing_key()
    )


def api_resources(cloud: LocalCloud) -> tuple[Any, str, dict[str, Any], dict[str, Any]]:
    apigw = cloud.client("apigatewayv2")
    route = next(r for r in apigw.get_routes(ApiId=cloud.api_id)["Items"] if r["RouteKey"] == "POST /orders")
    authorizer = apigw.get_authorizer(ApiId=cloud.api_id, AuthorizerId=route["AuthorizerId"])
    return apigw, cloud.api_id, authorizer, route


@pytest.fixture
def settled(cloud: LocalCloud) -> Iterator[LocalCloud]:
    """The stage's token bucket refilled (the local stage is throttled low)."""
    time.sleep(2.5)
    yield cloud


def test_a_token_from_the_token_endpoint_posts_orders(settled: LocalCloud) -> None:
    answer = token_answer(settled)
    assert answer.status == 200
    assert answer.body["token_type"] == "Bearer" and answer.body["expires_in"] == 3600
    claims = jwt.decode(answer.body["access_token"], signing_key()).claims
    assert claims["client_id"] == settled.outputs["client_id"] and claims["scope"] == "orders/write"
    assert claims["iss"].startswith("https://cognito-idp.eu-west-1.amazonaws.com/")
    posted = post_orders(settled, body("api-ok"), answer.body["access_token"])
    assert (posted.status, posted.body) == (201, {"stored": 1})


def test_the_token_endpoint_answers_oauth_errors(settled: LocalCloud) -> None:
    wrong_secret = token_answer(settled, secret="not-the-secret")
    assert (wrong_secret.status, wrong_secret.body["error"]) == (401, "invalid_client")
    unknown = token_answer(settled, client_id="no-such-client")
    assert (unknown.status, unknown.body["error"]) == (401, "invalid_client")
    scope = token_answer(settled, scope="orders/admin")
    assert (scope.status, scope.body["error"]) == (400, "invalid_scope")


@pytest.mark.parametrize("case", ["no token", "expired", "other issuer", "bad signature", "not a JWT"])
def test_a_missing_or_bad_token_is_401(settled: LocalCloud, case: str) -> None:
    bearer = {
        "no token": None,
        "expired": lambda: minted(settled, exp=int(time.time()) - 60, iat=int(time.time()) - 3660),
        "other issuer": lambda: minted(settled, iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"),
        "bad signature": lambda: minted(settled, key=RSAKey.generate_key(2048)),
        "not a JWT": lambda: "not-a-jwt",
    }[case]
    answer = post_orders(settled, body("api-401"), bearer() if callable(bearer) else None)
    assert (answer.status, answer.body) == (401, UNAUTHORIZED)


def test_a_token_without_the_scope_is_403(settled: LocalCloud) -> None:
    answer = post_orders(settled, body("api-403"), minted(settled, scope="orders/read"))
    assert (answer.status, answer.body) == (403, FORBIDDEN)


def test_a_body_over_the_payload_limit_is_413(settled: LocalCloud) -> None:
    answer = post_orders(settled, b"[" + b" " * (10 * 1024 * 1024) + b"]", token(settled))
    assert (answer.status, answer.body) == (413, {"message": "Request Entity Too Large"})


def test_a_body_that_is_not_utf8_reaches_the_handler_and_is_refused(settled: LocalCloud) -> None:
    answer = post_orders(settled, b'[{"record_id": "caf\xe9"}]', token(settled))
    assert answer.status == 400
    assert answer.body["errorMessage"].startswith("Request body is not valid UTF-8")


def test_a_burst_over_the_stage_limits_is_429(settled: LocalCloud) -> None:
    answers: list[Answer] = []
    lock = threading.Lock()

    def one() -> None:
        answer = post_orders(settled, b"[]", None, retry_throttled=False)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status for a in answers)
    assert 429 in statuses, statuses
    assert {json.dumps(a.body) for a in answers if a.status == 429} == {'{"message": "Too Many Requests"}'}
    time.sleep(2.5)


def test_the_api_reads_the_applied_authorizer_and_route(settled: LocalCloud) -> None:
    apigw, api_id, authorizer, route = api_resources(settled)
    bearer = token(settled)
    assert post_orders(settled, body("api-config"), bearer).status == 201
    jwt_configuration = authorizer["JwtConfiguration"]
    try:
        apigw.update_authorizer(
            ApiId=api_id,
            AuthorizerId=authorizer["AuthorizerId"],
            JwtConfiguration={**jwt_configuration, "Audience": ["some-other-client"]},
        )
        assert post_orders(settled, body("api-config"), bearer).status == 401
    finally:
        apigw.update_authorizer(
            ApiId=api_id, AuthorizerId=authorizer["AuthorizerId"], JwtConfiguration=jwt_configuration
        )
    try:
        apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationScopes=["orders/admin"])
        assert post_orders(settled, body("api-config"), bearer).status == 403
    finally:
        apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationScopes=route["AuthorizationScopes"])
    assert post_orders(settled, body("api-config"), bearer).status == 201


def test_every_request_writes_an_access_log_line_in_the_configured_format(settled: LocalCloud) -> None:
    stage = settled.client("apigatewayv2").get_stages(ApiId=settled.api_id)["Items"][0]
    group = stage["AccessLogSettings"]["DestinationArn"].split(":log-group:")[1].removesuffix(":*")
    answer = post_orders(settled, body("api-log"), None)
    request_id = answer.headers["apigw-requestid"]
    logs = settled.client("logs")
    lines = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
    mine = [line for line in lines if line["requestId"] == request_id]
    assert len(mine) == 1, lines[-3:]
    assert set(mine[0]) == set(json.loads(stage["AccessLogSettings"]["Format"]))
    assert (mine[0]["status"], mine[0]["routeKey"]) == ("401", "POST /orders")


def test_the_function_url_is_no_way_around_the_authorizer(settled: LocalCloud) -> None:
    answer = send(settled.function_url, body("api-bypass"), {"Content-Type": "application/json"})
    assert answer.status == 403
    assert "client_id claim" in answer.body["errorMessage"]
