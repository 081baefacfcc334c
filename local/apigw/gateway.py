"""One request through the HTTP API as API Gateway handles it: route,
throttle, payload limit, authorizer, Lambda proxy integration (payload
format 2.0) through the emulator's Lambda Invoke, the response mapping, CORS
and the access-log line."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from . import config as cfg
from .jwt_auth import Identity, Jwks, Refused, authorize, event_claims

# API Gateway's HTTP API payload limit.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
ACCOUNT_ID = "123456789012"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @staticmethod
    def message(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
        return Answer(
            status, {"Content-Type": "application/json", **(headers or {})}, json.dumps({"message": message}).encode()
        )


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    source_ip: str
    # over the payload limit: the body was not read
    oversized: bool = False
    # filled in on the way, for the access log
    context: dict[str, Any] = field(default_factory=dict)


class TokenBucket:
    """Stage throttling: `burst` requests at once, refilled at `rate` per second."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, throttle: cfg.Throttle) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, then = self.buckets.get(key, (float(throttle.burst), now))
            tokens = min(float(throttle.burst), tokens + (now - then) * throttle.rate)
            allowed = tokens >= 1
            self.buckets[key] = (tokens - 1 if allowed else tokens, now)
            return allowed


class Gateway:
    def __init__(self, api_id: str, clients: Any, emulator: str) -> None:
        self.api_id = api_id
        self.apigw = clients("apigatewayv2")
        self.lambda_ = clients("lambda")
        self.logs = clients("logs")
        self.jwks = Jwks(emulator)
        self.buckets = TokenBucket()
        self.log_streams: set[str] = set()
        self.log_lock = threading.Lock()

    def handle(self, request: Request) -> Answer:
        started = time.time()
        request.context.update(
            requestId=str(uuid.uuid4()),
            requestTime=time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(started)),
            identity={"sourceIp": request.source_ip},
        )
        api = cfg.read(self.apigw, self.api_id)
        answer = self._answer(api, request)
        answer.headers.update(self._cors(api.cors, request, answer))
        answer.headers["apigw-requestid"] = request.context["requestId"]
        request.context.update(status=answer.status, responseLength=len(answer.body))
        self._access_log(api.stage, request.context)
        return answer

    def _answer(self, api: cfg.ApiConfig, request: Request) -> Answer:
        if request.method == "OPTIONS" and api.cors and "access-control-request-method" in request.headers:
            return Answer(204, {}, b"")
        path = request.path
        if api.stage.prefix:
            if not path.startswith(api.stage.prefix + "/"):
                return Answer.message(404, "Not Found")
            path = path[len(api.stage.prefix) :]
        found = next(((r, p) for r in api.routes if (p := r.matches(request.method, path)) is not None), None)
        if found is None and api.default_route is not None:
            found = (api.default_route, {})
        if found is None:
            return Answer.message(404, "Not Found")
        route, params = found
        request.context["routeKey"] = route.route_key
        throttle = api.stage.route_throttles.get(route.route_key, api.stage.throttle)
        if throttle is not None and not self.buckets.take(route.route_key, throttle):
            request.context["error"] = {"message": "Too Many Requests"}
            return Answer.message(429, "Too Many Requests")
        if request.oversized or len(request.body) > MAX_PAYLOAD_BYTES:
            request.context["error"] = {"message": "Request Entity Too Large"}
            return Answer.message(413, "Request Entity Too Large")
        try:
            identity = authorize(route, request.headers, self.jwks)
        except Refused as refused:
            request.context["authorizer"] = {"error": refused.reason}
            if refused.status == 403:
                return Answer.message(403, "Forbidden")
            return Answer.message(401, "Unauthorized", {"www-authenticate": 'Bearer error="invalid_token"'})
        if identity is not None:
            request.context["authorizer"] = {"claims": identity.claims}
        return self._integrate(api, route, params, request, identity)

    def _integrate(
        self, api: cfg.ApiConfig, route: cfg.Route, params: dict[str, str], request: Request, identity: Identity | None
    ) -> Answer:
        event = self._event(api, route, params, request, identity)
        started = time.monotonic()
        try:
            result = self.lambda_.invoke(FunctionName=route.function_arn, Payload=json.dumps(event).encode())
            payload = result["Payload"].read()
            failed = "FunctionError" in result
        except Exception as e:  # the function did not run: API Gateway's 500
            request.context["error"] = {"message": f"Internal Server Error ({type(e).__name__})"}
            return Answer.message(500, "Internal Server Error")
        finally:
            request.context["integrationLatency"] = int((time.monotonic() - started) * 1000)
        request.context["integrationStatus"] = 200
        if failed:
            request.context["error"] = {"message": "Internal Server Error"}
            return Answer.message(500, "Internal Server Error")
        return _response(payload)

    def _event(
        self, api: cfg.ApiConfig, route: cfg.Route, params: dict[str, str], request: Request, identity: Identity | None
    ) -> dict[str, Any]:
        """The payload-format-2.0 event, as API Gateway builds it."""
        try:
            body, encoded = request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(request.body).decode(), True
        cookies = [c.strip() for c in request.headers.get("cookie", "").split(";") if c.strip()]
        now = time.time()
        context: dict[str, Any] = {
            "accountId": ACCOUNT_ID,
            "apiId": api.api_id,
            "domainName": request.headers.get("host", "localhost"),
            "domainPrefix": request.headers.get("host", "localhost").split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": request.context["requestId"],
            "routeKey": route.route_key,
            "stage": api.stage.name,
            "time": request.context["requestTime"],
            "timeEpoch": int(now * 1000),
        }
        if identity is not None:
            context["authorizer"] = {"jwt": {"claims": event_claims(identity.claims), "scopes": identity.scopes}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.path,
            "rawQueryString": request.query,
            "headers": {k: v for k, v in request.headers.items() if k != "cookie"},
            "requestContext": context,
            "isBase64Encoded": encoded,
        }
        if cookies:
            event["cookies"] = cookies
        if request.query:
            event["queryStringParameters"] = _query(request.query)
        if params:
            event["pathParameters"] = params
        if request.body:
            event["body"] = body
        return event

    def _cors(self, cors: cfg.Cors | None, request: Request, answer: Answer) -> dict[str, str]:
        origin = request.headers.get("origin")
        if cors is None or origin is None or not ("*" in cors.allow_origins or origin in cors.allow_origins):
            return {}
        headers = {"access-control-allow-origin": "*" if "*" in cors.allow_origins else origin}
        if cors.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        if cors.expose_headers:
            headers["access-control-expose-headers"] = ",".join(cors.expose_headers)
        if request.method == "OPTIONS" and answer.status == 204:
            headers["access-control-allow-methods"] = ",".join(cors.allow_methods)
            if cors.allow_headers:
                headers["access-control-allow-headers"] = ",".join(cors.allow_headers)
            if cors.max_age is not None:
                headers["access-control-max-age"] = str(cors.max_age)
        return headers

    def _access_log(self, stage: cfg.Stage, context: dict[str, Any]) -> None:
        """One line in the configured format to the configured log group."""
        if not stage.log_group or not stage.log_format:
            return
        line = _render_log_format(stage.log_format, context)
        stream = f"local-{stage.name.strip('$')}"
        with self.log_lock:
            if stream not in self.log_streams:
                with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
                    self.logs.create_log_stream(logGroupName=stage.log_group, logStreamName=stream)
                self.log_streams.add(stream)
            self.logs.put_log_events(
                logGroupName=stage.log_group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
            )


def _query(query: str) -> dict[str, str]:
    return {k: ",".join(v) for k, v in parse_qs(query, keep_blank_values=True).items()}


def _response(payload: bytes) -> Answer:
    """The function's result as API Gateway maps payload format 2.0."""
    try:
        result = json.loads(payload or b"null")
    except ValueError:
        return Answer.message(500, "Internal Server Error")
    if not isinstance(result, dict) or "statusCode" not in result:
        # A bare value: 200 with it as a JSON body.
        return Answer(200, {"Content-Type": "application/json"}, json.dumps(result).encode())
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    return Answer(int(result["statusCode"]), headers, raw)


def _render_log_format(log_format: str, context: dict[str, Any]) -> str:
    """`$context.x.y` variables replaced by their values, `-` when unknown."""

    def value(match: re.Match[str]) -> str:
        node: Any = context
        for part in match.group(1).split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return "-"
        text = node if isinstance(node, str) else json.dumps(node) if isinstance(node, (dict, list)) else str(node)
        return json.dumps(text)[1:-1]  # safe inside the format's JSON strings

    return re.sub(r"\$context\.([A-Za-z0-9_.]+)", value, log_format)
