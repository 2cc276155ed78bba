"""Access tokens of API clients: signed JWTs issued at ``/oauth/token`` and checked on every
API request.

A token is refused unless it is signed with ES256 by one of our published
keys (no ``alg: none``, no HMAC with the public key), names our issuer and
audience, has not expired, was not revoked, and its client is still active.
Schools and scopes come from the client's registration at each request, so
a change or a revocation applies at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import Surface, scope_permissions
from api.auth.principal import Principal
from api.auth.signing_keys import ALGORITHM, current_signing_key, published_keys
from core import clock
from db.clients import ApiClient, ApiClientSchool, RevokedToken

LIFETIME_SECONDS = 15 * 60


class InvalidToken(Exception):
    """The token cannot be trusted; ``reason`` is for logs, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: str


def audience(issuer: str) -> str:
    return issuer.rstrip("/") + "/graphql"


async def issue_token(
    session: AsyncSession, secret_key: str, issuer: str, client: ApiClient, scopes: frozenset[str]
) -> IssuedToken:
    now = int(clock.now().timestamp())
    key = await current_signing_key(session, secret_key)
    scope = " ".join(sorted(scopes))
    claims = {
        "iss": issuer,
        "sub": client.client_id,
        "aud": audience(issuer),
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "scope": scope,
    }
    token = jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"}, claims, key)
    return IssuedToken(token, LIFETIME_SECONDS, scope)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


async def verified_claims(session: AsyncSession, issuer: str, token: str) -> dict[str, object]:
    """The claims of a token we issued and that is still valid; ``InvalidToken`` otherwise."""
    try:
        decoded = jwt.decode(token, await published_keys(session), algorithms=[ALGORITHM])
        JWTClaimsRegistry(
            now=lambda: int(clock.now().timestamp()),
            leeway=30,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience(issuer)},
            sub={"essential": True},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise InvalidToken(type(exc).__name__) from exc
    claims = decoded.claims
    if await session.get(RevokedToken, str(claims["jti"])) is not None:
        raise InvalidToken("revoked token")
    return claims


async def client_principal(
    session: AsyncSession, issuer: str, token: str, remote_addr: str | None, surface: Surface
) -> tuple[Principal, ApiClient]:
    """The principal acting for the client named by a valid token, on that surface."""
    claims = await verified_claims(session, issuer, token)
    client = await session.scalar(select(ApiClient).where(ApiClient.client_id == claims["sub"]))
    if client is None or not client.is_active or client.revoked_at is not None:
        raise InvalidToken("client revoked or unknown")
    allowed = frozenset(client.scopes.split())
    scopes = frozenset(str(claims.get("scope", "")).split()) & allowed
    permissions = scope_permissions(scopes, surface)
    school_ids = (
        await session.scalars(
            select(ApiClientSchool.school_id).where(ApiClientSchool.client_id == client.id)
        )
    ).all()
    principal = Principal(
        kind="client",
        id=client.id,
        label=f"{client.name} ({client.client_id})",
        academy_id=client.academy_id,
        grants=frozenset(),
        remote_addr=remote_addr,
        school_permissions={school_id: permissions for school_id in school_ids},
        scopes=scopes,
    )
    return principal, client


async def revoke_token(session: AsyncSession, issuer: str, token: str, client: ApiClient) -> None:
    """RFC 7009: a client revokes one of its own tokens; anything else is silently ignored."""
    try:
        claims = await verified_claims(session, issuer, token)
    except InvalidToken:
        return
    if claims["sub"] != client.client_id:
        return
    expires = datetime.fromtimestamp(int(str(claims["exp"])), UTC)
    if await session.get(RevokedToken, str(claims["jti"])) is None:
        session.add(RevokedToken(jti=str(claims["jti"]), expires_at=expires))
