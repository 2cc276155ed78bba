"""Who is behind an HTTP request: a staff session (cookie or bearer session token) or an API
client (bearer access token, a JWT)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from api.auth.access_tokens import InvalidToken, client_principal, looks_like_jwt
from api.auth.client_scopes import Surface
from api.auth.identities import load_principal
from api.auth.principal import Principal
from api.auth.sessions import COOKIE_NAME, OpenSession, resume_session
from api.auth.throttling import Key, RateLimited, consume_request
from api.services import services_of

# Cookie-authenticated API calls repeat the session's CSRF token in this header.
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Caller:
    principal: Principal
    session: OpenSession
    via_cookie: bool


def client_address(connection: HTTPConnection) -> str | None:
    return connection.client.host if connection.client else None


def session_token(connection: HTTPConnection) -> tuple[str | None, bool]:
    authorization = connection.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip(), False
    return connection.cookies.get(COOKIE_NAME), True


async def identify(connection: HTTPConnection) -> Caller | None:
    """The caller of this request, or None when anonymous or the session has expired.

    Cached on the request so that middleware and handlers share one lookup.
    """
    if "caller" in connection.scope:
        cached: Caller | None = connection.scope["caller"]
        return cached
    token, via_cookie = session_token(connection)
    services = services_of(connection)
    caller = None
    async with services.sessionmaker() as session, session.begin():
        open_session = await resume_session(session, services.settings, token)
        # A session still waiting for its second factor acts as nobody.
        if open_session is not None and open_session.active:
            principal = await load_principal(
                session, open_session.user_id, client_address(connection)
            )
            if principal is not None:
                caller = Caller(principal, open_session, via_cookie)
    connection.scope["caller"] = caller
    return caller


@dataclass(frozen=True)
class ClientCall:
    """An API client's request: its principal, or why it is refused."""

    principal: Principal | None
    status: int = 200
    error: str = ""
    retry_after: int | None = None


def bearer_jwt(connection: HTTPConnection) -> str | None:
    """The access token of an API client, if the request carries one (a JWT, not a session)."""
    token, via_cookie = session_token(connection)
    if token is None or via_cookie or not looks_like_jwt(token):
        return None
    return token


async def identify_client(
    connection: HTTPConnection, token: str, issuer: str, surface: Surface
) -> ClientCall:
    """Checks the client's token, then counts the request against the client's rate."""
    services = services_of(connection)
    async with services.sessionmaker() as session, session.begin():
        try:
            principal, client = await client_principal(
                session, issuer, token, client_address(connection), surface
            )
        except InvalidToken:
            return ClientCall(None, 401, "invalid_token")
        try:
            await consume_request(
                session, Key("client", client.client_id), client.requests_per_minute
            )
        except RateLimited as limited:
            return ClientCall(None, 429, "rate_limited", limited.retry_after_seconds)
    return ClientCall(principal)


async def pending_login(connection: HTTPConnection) -> OpenSession | None:
    """The browser's session while it is between password and second factor (or enrolment)."""
    token = connection.cookies.get(COOKIE_NAME)
    services = services_of(connection)
    async with services.sessionmaker() as session, session.begin():
        found = await resume_session(session, services.settings, token)
    return found if found is not None and not found.active else None
