"""The local API's parts on their own, without a cloud (fast): route
matching, the stage's token bucket, the access-log format, claims as API
Gateway passes them, the Lambda proxy answer mapping, CORS, and the
configuration as read from the emulator's answers."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "local"))

from apigw import config as cfg  # noqa: E402
from apigw.gateway import Answer, Gateway, Request, TokenBucket, _render_log_format, _response  # noqa: E402
from apigw.jwt_auth import Refused, event_claims, token_from  # noqa: E402

FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:auction-local-post-lambda"


class FakeApigw:
    """The emulator's apigatewayv2 answers for one API."""

    def __init__(self, cors: dict[str, Any] | None = None, stage_name: str = "$default") -> None:
        self.cors = cors
        self.stage_name = stage_name

    def get_api(self, ApiId: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        return {"ApiId": ApiId, **({"CorsConfiguration": self.cors} if self.cors else {})}

    def get_authorizer(self, ApiId: str, AuthorizerId: str) -> dict[str, Any]:  # noqa: N803
        return {
            "AuthorizerId": AuthorizerId,
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Audience": ["client-1"], "Issuer": "https://cognito-idp.eu-west-1.amazonaws.com/p1"},
        }

    def get_integrations(self, ApiId: str) -> dict[str, Any]:  # noqa: N803
        uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"
        return {"Items": [{"IntegrationId": "i1", "IntegrationUri": uri, "PayloadFormatVersion": "2.0"}]}

    def get_routes(self, ApiId: str) -> dict[str, Any]:  # noqa: N803
        return {
            "Items": [
                {
                    "RouteKey": "POST /orders",
                    "Target": "integrations/i1",
                    "AuthorizationType": "JWT",
                    "AuthorizerId": "a1",
                    "AuthorizationScopes": ["orders/write"],
                },
                {"RouteKey": "GET /orders/{id}", "Target": "integrations/i1", "AuthorizationType": "NONE"},
            ]
        }

    def get_stages(self, ApiId: str) -> dict[str, Any]:  # noqa: N803
        return {
            "Items": [
                {
                    "StageName": self.stage_name,
                    "DefaultRouteSettings": {"ThrottlingRateLimit": 5.0, "ThrottlingBurstLimit": 10},
                    "AccessLogSettings": {
                        "DestinationArn": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/x:*",
                        "Format": '{"status": "$context.status"}',
                    },
                }
            ]
        }


def test_the_configuration_is_read_as_applied() -> None:
    api = cfg.read(FakeApigw(), "api1")
    post, get = api.routes
    assert (post.route_key, post.function_arn, post.scopes) == ("POST /orders", FUNCTION, ("orders/write",))
    assert post.authorizer is not None and post.authorizer.audience == ("client-1",)
    assert get.authorizer is None
    assert api.stage.throttle == cfg.Throttle(5.0, 10)
    assert api.stage.log_group == "/aws/apigateway/x"


def test_routes_match_methods_and_path_parameters() -> None:
    api = cfg.read(FakeApigw(), "api1")
    post, get = api.routes
    assert post.matches("POST", "/orders") == {}
    assert post.matches("GET", "/orders") is None
    assert get.matches("GET", "/orders/42") == {"id": "42"}
    assert get.matches("GET", "/orders/42/x") is None


def test_the_token_bucket_allows_the_burst_then_the_rate() -> None:
    bucket = TokenBucket()
    throttle = cfg.Throttle(rate=0.001, burst=3)
    assert [bucket.take("r", throttle) for _ in range(5)] == [True, True, True, False, False]


def test_the_access_log_line_fills_the_configured_format() -> None:
    line = _render_log_format(
        '{"id": "$context.requestId", "status": "$context.status", "who": "$context.authorizer.claims.client_id"}',
        {"requestId": "r-1", "status": 401, "authorizer": {"claims": {"client_id": 'c"1'}}},
    )
    assert json.loads(line) == {"id": "r-1", "status": "401", "who": 'c"1'}
    assert json.loads(_render_log_format('{"e": "$context.error.message"}', {})) == {"e": "-"}


def test_claims_reach_the_function_as_strings() -> None:
    assert event_claims({"exp": 5, "scope": "a b", "flag": True, "aud": ["x", "y"]}) == {
        "exp": "5",
        "scope": "a b",
        "flag": "true",
        "aud": "[x y]",
    }


def test_the_token_comes_from_the_identity_source_with_or_without_bearer() -> None:
    authorizer = cfg.Authorizer("a1", "iss", ("aud",), ("$request.header.Authorization",))
    assert token_from({"authorization": "Bearer abc"}, authorizer) == "abc"
    assert token_from({"authorization": "abc"}, authorizer) == "abc"
    try:
        token_from({}, authorizer)
        raise AssertionError("no token must be refused")
    except Refused as refused:
        assert refused.status == 401


def test_proxy_answers_are_mapped_as_payload_format_2() -> None:
    mapped = _response(
        json.dumps(
            {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": '{"stored": 1}'}
        ).encode()
    )
    assert (mapped.status, mapped.body) == (201, b'{"stored": 1}')
    binary = _response(
        json.dumps({"statusCode": 200, "body": base64.b64encode(b"\xff").decode(), "isBase64Encoded": True}).encode()
    )
    assert binary.body == b"\xff"
    bare = _response(b'{"stored": 1}')
    assert (bare.status, json.loads(bare.body)) == (200, {"stored": 1})


def test_cors_preflight_and_headers_follow_the_api_configuration() -> None:
    gateway = Gateway.__new__(Gateway)
    cors = {
        "AllowOrigins": ["https://app.example"],
        "AllowMethods": ["POST"],
        "AllowHeaders": ["authorization"],
        "MaxAge": 60,
    }
    api = cfg.read(FakeApigw(cors=cors), "api1")
    preflight = Request(
        "OPTIONS",
        "/orders",
        "",
        {"origin": "https://app.example", "access-control-request-method": "POST"},
        b"",
        "127.0.0.1",
    )
    answer = gateway._answer(api, preflight)
    headers = gateway._cors(api.cors, preflight, answer)
    assert answer.status == 204
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-methods"] == "POST"
    other = Request(
        "OPTIONS",
        "/orders",
        "",
        {"origin": "https://evil.example", "access-control-request-method": "POST"},
        b"",
        "127.0.0.1",
    )
    assert gateway._cors(api.cors, other, Answer(204, {}, b"")) == {}


def test_a_named_stage_is_served_under_its_name() -> None:
    api = cfg.read(FakeApigw(stage_name="v1"), "api1")
    gateway = Gateway.__new__(Gateway)
    missing = gateway._answer(api, Request("POST", "/orders", "", {}, b"", "127.0.0.1"))
    assert (missing.status, json.loads(missing.body)) == (404, {"message": "Not Found"})
