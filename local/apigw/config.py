"""The applied configuration of one HTTP API, read from the emulator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Lambda proxy integrations name the function inside their invoke URI.
_INVOKE_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<function>.+)/invocations$")


@dataclass(frozen=True)
class Authorizer:
    authorizer_id: str
    issuer: str
    audience: tuple[str, ...]
    # e.g. "$request.header.Authorization"
    identity_sources: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    route_key: str
    method: str
    path: str
    function_arn: str
    payload_format_version: str
    timeout_seconds: float
    authorizer: Authorizer | None
    scopes: tuple[str, ...]

    def matches(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route serves the request, else None."""
        if self.method not in ("ANY", method):
            return None
        pattern = re.escape(self.path)
        pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", pattern)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class Throttle:
    rate: float
    burst: int


@dataclass(frozen=True)
class Stage:
    name: str
    throttle: Throttle | None
    route_throttles: dict[str, Throttle]
    log_group: str | None
    log_format: str | None

    @property
    def prefix(self) -> str:
        return "" if self.name == "$default" else f"/{self.name}"


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class ApiConfig:
    api_id: str
    routes: list[Route]
    stage: Stage
    cors: Cors | None
    default_route: Route | None = field(default=None)


def _throttle(settings: dict[str, Any] | None) -> Throttle | None:
    if not settings or "ThrottlingRateLimit" not in settings:
        return None
    return Throttle(float(settings["ThrottlingRateLimit"]), int(settings.get("ThrottlingBurstLimit", 0)))


def _log_group(destination_arn: str | None) -> str | None:
    # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
    if not destination_arn or ":log-group:" not in destination_arn:
        return None
    name = destination_arn.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


def read(apigw: Any, api_id: str) -> ApiConfig:
    """The API as applied: every route with its integration and authorizer,
    the stage (the `$default` one if there is one) and CORS."""
    api = apigw.get_api(ApiId=api_id)
    authorizers: dict[str, Authorizer | None] = {}

    def authorizer(authorizer_id: str) -> Authorizer | None:
        # One by one: the emulator has GetAuthorizer but not GetAuthorizers.
        if authorizer_id not in authorizers:
            a = apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
            jwt = a.get("JwtConfiguration", {})
            authorizers[authorizer_id] = (
                Authorizer(
                    authorizer_id,
                    jwt.get("Issuer", ""),
                    tuple(jwt.get("Audience", [])),
                    tuple(a.get("IdentitySource", [])),
                )
                if a.get("AuthorizerType") == "JWT"
                else None
            )
        return authorizers[authorizer_id]

    integrations = {i["IntegrationId"]: i for i in apigw.get_integrations(ApiId=api_id).get("Items", [])}
    routes = []
    default_route = None
    for r in apigw.get_routes(ApiId=api_id).get("Items", []):
        integration = integrations.get(r.get("Target", "").removeprefix("integrations/"))
        found = _INVOKE_URI.match(integration.get("IntegrationUri", "")) if integration else None
        if not integration or not found:
            continue  # only Lambda proxy integrations are served locally
        method, _, path = r["RouteKey"].partition(" ")
        route = Route(
            route_key=r["RouteKey"],
            method=method,
            path=path,
            function_arn=found["function"],
            payload_format_version=integration.get("PayloadFormatVersion", "2.0"),
            timeout_seconds=int(integration.get("TimeoutInMillis", 30_000)) / 1000,
            authorizer=authorizer(r["AuthorizerId"]) if r.get("AuthorizationType") == "JWT" else None,
            scopes=tuple(r.get("AuthorizationScopes", [])),
        )
        if r["RouteKey"] == "$default":
            default_route = route
        else:
            routes.append(route)
    stages = apigw.get_stages(ApiId=api_id).get("Items", [])
    chosen = next((s for s in stages if s["StageName"] == "$default"), stages[0] if stages else None)
    if chosen is None:
        raise LookupError(f"API {api_id} has no stage: nothing is deployed")
    log = chosen.get("AccessLogSettings", {})
    stage = Stage(
        name=chosen["StageName"],
        throttle=_throttle(chosen.get("DefaultRouteSettings")),
        route_throttles={
            key: t for key, settings in chosen.get("RouteSettings", {}).items() if (t := _throttle(settings))
        },
        log_group=_log_group(log.get("DestinationArn")),
        log_format=log.get("Format"),
    )
    cors_settings = api.get("CorsConfiguration")
    cors = (
        Cors(
            tuple(cors_settings.get("AllowOrigins", [])),
            tuple(m.upper() for m in cors_settings.get("AllowMethods", [])),
            tuple(h.lower() for h in cors_settings.get("AllowHeaders", [])),
            tuple(cors_settings.get("ExposeHeaders", [])),
            cors_settings.get("MaxAge"),
            bool(cors_settings.get("AllowCredentials", False)),
        )
        if cors_settings
        else None
    )
    return ApiConfig(api_id, routes, stage, cors, default_route)
