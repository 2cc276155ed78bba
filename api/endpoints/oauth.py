"""The OAuth 2.0 authorization server for third-party clients (client credentials grant).

``POST /oauth/token`` (RFC 6749 §4.4; client_secret_basic or client_secret_post),
``POST /oauth/revoke`` (RFC 7009), ``GET /oauth/jwks.json`` and
``GET /.well-known/oauth-authorization-server`` (RFC 8414). Errors use
authlib's RFC 6749 error model (descriptions in ASCII English, as RFC 6749 §5.2 requires of
``error_description``; they are read by developers, not families or staff). Failed client authentications are throttled
per (client id, address) and per address, like staff logins per account and address.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote, urlsplit

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.auth import throttling
from api.auth.access_tokens import issue_token, revoke_token
from api.auth.client_scopes import ALL_SCOPES, UnknownScope, parse_scopes
from api.auth.requests import client_address
from api.auth.signing_keys import published_keys
from api.auth.throttling import GuessPolicy, Key, Throttled, ensure_not_blocked, record_failure
from api.resolvers.clients import secret_matches
from api.services import services_of
from db.clients import ApiClient

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def issuer_of(request: Request) -> str:
    """The configured public address: never the request's Host header, which the caller chooses."""
    return services_of(request).settings.api_issuer()


def _error(error: OAuth2Error, status: int | None = None) -> JSONResponse:
    return JSONResponse(
        dict(error.get_body()),
        status_code=status or error.status_code,
        headers=dict(error.get_headers()),
    )


def _slow_down(throttled: Throttled) -> JSONResponse:
    return JSONResponse(
        {
            "error": "slow_down",
            "error_description": f"Too many failed attempts: retry in {throttled.seconds} s.",
        },
        status_code=429,
        headers={"Retry-After": str(throttled.seconds)},
    )


def _credentials(request: Request, form: dict[str, str]) -> tuple[str, str, bool]:
    """client id, secret, and whether they came in an Authorization: Basic header."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClientError(description="Unreadable Authorization header.") from exc
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret), True
    return form.get("client_id", ""), form.get("client_secret", ""), False


def client_auth_keys(client_id: str, address: str | None) -> list[tuple[Key, GuessPolicy]]:
    """What a wrong secret counts against: the client from this address, and the address.

    Never the client alone: whoever knows a client_id (it is no secret) could otherwise lock
    the real client out from anywhere. Secrets are long random strings, so spreading guesses
    over many addresses gains a guesser nothing.
    """
    if not address:
        return [(Key("client-auth", client_id), throttling.ACCOUNT_POLICY)]
    return [
        (Key("client-auth", f"{client_id}@{address}"), throttling.ACCOUNT_POLICY),
        (Key("address", address), throttling.ADDRESS_POLICY),
    ]


async def _authenticated_client(
    request: Request, session: AsyncSession, form: dict[str, str]
) -> ApiClient:
    client_id, secret, basic = _credentials(request, form)
    if not client_id or len(client_id) > 64 or len(secret) > 200:
        raise InvalidClientError(description="Client authentication is required.", status_code=401)
    keys = client_auth_keys(client_id, client_address(request))
    await ensure_not_blocked(session, keys)
    client = await session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None or not client.is_active or not secret_matches(client, secret):
        async with services_of(request).sessionmaker() as counting, counting.begin():
            await record_failure(counting, keys)
        error = InvalidClientError(description="Unknown or revoked client, or wrong secret.")
        if basic:
            error.status_code = 401
        raise error
    return client


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def token(request: Request) -> Response:
    services = services_of(request)
    form = await _form(request)
    try:
        async with services.sessionmaker() as session, session.begin():
            client = await _authenticated_client(request, session, form)
            if form.get("grant_type") != "client_credentials":
                if not form.get("grant_type"):
                    raise InvalidRequestError(description="grant_type is required.")
                raise UnsupportedGrantTypeError(form["grant_type"])
            allowed = frozenset(client.scopes.split())
            try:
                asked = parse_scopes(form.get("scope", "")) or allowed
            except UnknownScope as unknown:
                raise InvalidScopeError(description=f"Unknown scope: {unknown.scope}.") from None
            if not asked <= allowed:
                beyond = " ".join(sorted(asked - allowed))
                raise InvalidScopeError(description=f"Scope not granted to this client: {beyond}.")
            issued = await issue_token(
                session, services.settings.secret_key, issuer_of(request), client, asked
            )
    except Throttled as throttled:
        return _slow_down(throttled)
    except OAuth2Error as error:
        return _error(error)
    return JSONResponse(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def revoke(request: Request) -> Response:
    services = services_of(request)
    form = await _form(request)
    try:
        async with services.sessionmaker() as session, session.begin():
            client = await _authenticated_client(request, session, form)
            if not form.get("token"):
                raise InvalidRequestError(description="token is required.")
            await revoke_token(session, issuer_of(request), form["token"], client)
    except Throttled as throttled:
        return _slow_down(throttled)
    except OAuth2Error as error:
        return _error(error)
    return Response(status_code=200)


async def jwks(request: Request) -> Response:
    async with services_of(request).sessionmaker() as session:
        keys = await published_keys(session)
    return JSONResponse(
        keys.as_dict(private=False), headers={"Cache-Control": "public, max-age=300"}
    )


class ClientCredentialsMetadata(AuthorizationServerMetadata):
    """RFC 8414 metadata of a server with a token endpoint only (client credentials)."""

    def validate_response_types_supported(self) -> None:
        # No authorization endpoint, hence no response type to announce.
        if self.get("response_types_supported") not in (None, []):
            super().validate_response_types_supported()

    def validate_issuer(self) -> None:
        # The embedded default serves plain http (its issuer is the configured listening
        # address); RFC 8414 wants https, which production's SCONET_PUBLIC_URL gives.
        if urlsplit(self.get("issuer") or "").scheme == "http":
            return
        super().validate_issuer()


def server_metadata(issuer: str) -> ClientCredentialsMetadata:
    metadata = ClientCredentialsMetadata(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/oauth/token",
            "jwks_uri": f"{issuer}/oauth/jwks.json",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "scopes_supported": list(ALL_SCOPES),
        }
    )
    metadata.validate()
    return metadata


async def metadata(request: Request) -> Response:
    return JSONResponse(dict(server_metadata(issuer_of(request))))


def oauth_routes() -> list[BaseRoute]:
    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/oauth/jwks.json", jwks, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    ]
