"""The Cognito client-credentials token endpoint (`POST /oauth2/token`) for
the app clients applied to the emulator: HTTP basic auth with the client's
id and secret, `grant_type=client_credentials`, an optional `scope`. The
access token is RS256, signed with the key the emulator publishes as the
pool's JWKS, with the claims Cognito puts in it (`iss` of the pool,
`client_id`, `scope`, `token_use`, `exp`...)."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

REGION = "eu-west-1"
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@dataclass
class OAuthError(Exception):
    status: int
    error: str
    description: str

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def signing_key() -> RSAKey:
    """The emulator's Cognito key: tokens verify against its published JWKS."""
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def _client(cognito: Any, client_id: str) -> dict[str, Any] | None:
    for pool in cognito.list_user_pools(MaxResults=60).get("UserPools", []):
        for listed in cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60).get("UserPoolClients", []):
            if listed["ClientId"] == client_id:
                return dict(
                    cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client_id)["UserPoolClient"]
                )
    return None


def _basic_auth(authorization: str) -> tuple[str, str]:
    if not authorization.lower().startswith("basic "):
        raise OAuthError(401, "invalid_client", "client authentication (HTTP basic) is required")
    try:
        client_id, _, secret = base64.b64decode(authorization[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as e:
        raise OAuthError(401, "invalid_client", "malformed basic authentication") from e
    return client_id, secret


def issue(cognito: Any, authorization: str, form: bytes, key: RSAKey) -> dict[str, Any]:
    """The token response, or `OAuthError`."""
    fields = {k: v[-1] for k, v in parse_qs(form.decode(errors="replace")).items()}
    client_id, secret = _basic_auth(authorization)
    client = _client(cognito, client_id)
    if client is None or not client.get("ClientSecret") or client["ClientSecret"] != secret:
        raise OAuthError(401, "invalid_client", "unknown client or wrong secret")
    if fields.get("grant_type") != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "only client_credentials is served")
    if "client_credentials" not in client.get("AllowedOAuthFlows", []) or not client.get(
        "AllowedOAuthFlowsUserPoolClient"
    ):
        raise OAuthError(400, "unauthorized_client", "the client may not use client_credentials")
    allowed = client.get("AllowedOAuthScopes", [])
    requested = fields.get("scope", "").split() or allowed
    if not requested or any(s not in allowed for s in requested):
        raise OAuthError(400, "invalid_scope", f"scopes allowed to this client: {' '.join(allowed)}")
    units = client.get("TokenValidityUnits", {}).get("AccessToken", "hours")
    lifetime = int(client.get("AccessTokenValidity", 1)) * _UNIT_SECONDS.get(units, 3600)
    now = int(time.time())
    claims = {
        "sub": client_id,
        "token_use": "access",
        "scope": " ".join(requested),
        "auth_time": now,
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{client['UserPoolId']}",
        "exp": now + lifetime,
        "iat": now,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client_id,
    }
    # "dummy" is the kid of the emulator's published key.
    token = jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)
    return {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}
