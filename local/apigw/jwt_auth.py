"""The JWT authorizer as API Gateway applies it to an HTTP API route: the
token from the identity source, its signature against the issuer's JWKS,
`iss`, `exp`/`nbf`, the audience (`aud` or `client_id`), then the route's
scopes. 401 for a token that is missing or invalid, 403 for a valid one
without a required scope."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .config import Authorizer, Route

# Cognito user pools: the issuer API Gateway trusts in AWS, and where the
# emulator serves that pool's keys.
_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<pool>[\w-]+)$")
_CLOCK_SKEW_S = 0


class Refused(Exception):
    """The request is not authorized: `status` 401 or 403, and why (for the
    access log's `$context.authorizer.error`, never for the caller)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    claims: dict[str, Any]
    scopes: list[str]


class Jwks:
    """Issuer → its key set, fetched from the emulator."""

    def __init__(self, emulator: str) -> None:
        self.emulator = emulator

    def url(self, issuer: str) -> str | None:
        found = _COGNITO_ISSUER.match(issuer)
        return f"{self.emulator}/{found['pool']}/.well-known/jwks.json" if found else None

    def keys(self, issuer: str) -> KeySet:
        url = self.url(issuer)
        if url is None:
            raise Refused(401, f"issuer {issuer} has no key set in the local cloud")
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (the emulator's loopback URL)
            return KeySet.import_key_set(json.loads(answer.read()))


def token_from(headers: dict[str, str], authorizer: Authorizer) -> str:
    for source in authorizer.identity_sources or ("$request.header.Authorization",):
        if source.startswith("$request.header."):
            value = headers.get(source.removeprefix("$request.header.").lower(), "").strip()
            if value:
                # API Gateway takes the token with or without the Bearer prefix.
                return value[7:].strip() if value[:7].lower() == "bearer " else value
    raise Refused(401, "no token in the identity source")


def authorize(route: Route, headers: dict[str, str], jwks: Jwks) -> Identity | None:
    """The caller's identity, or `Refused`. None for a route without an authorizer."""
    authorizer = route.authorizer
    if authorizer is None:
        return None
    token = token_from(headers, authorizer)
    try:
        decoded = jwt.decode(token, jwks.keys(authorizer.issuer), algorithms=["RS256"])
    except (JoseError, ValueError) as e:
        raise Refused(401, f"invalid token: {e}") from e
    claims = dict(decoded.claims)
    now = time.time()
    if claims.get("iss") != authorizer.issuer:
        raise Refused(401, f"issuer {claims.get('iss')!r} is not {authorizer.issuer}")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now - _CLOCK_SKEW_S:
        raise Refused(401, "the token has expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now + _CLOCK_SKEW_S:
        raise Refused(401, "the token is not valid yet")
    audiences = claims.get("aud", [])
    audiences = [audiences] if isinstance(audiences, str) else list(audiences)
    if "client_id" in claims:
        audiences.append(claims["client_id"])
    if not set(audiences) & set(authorizer.audience):
        raise Refused(401, "the token's audience is not the authorizer's")
    scopes = str(claims.get("scope", "")).split()
    if route.scopes and not set(scopes) & set(route.scopes):
        raise Refused(403, f"the token has none of the route's scopes {list(route.scopes)}")
    return Identity(claims, scopes)


def event_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway passes them to the function: every value a string."""

    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return "[" + " ".join(text(v) for v in value) + "]"
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, dict) else str(value)

    return {name: text(value) for name, value in claims.items()}
