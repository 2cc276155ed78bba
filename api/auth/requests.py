"""Who is behind an HTTP request: a staff session cookie or a bearer session token."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from api.auth.identities import load_principal
from api.auth.principal import Principal
from api.auth.sessions import COOKIE_NAME, OpenSession, resume_session
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
        if open_session is not None:
            principal = await load_principal(
                session, open_session.user_id, client_address(connection)
            )
            if principal is not None:
                caller = Caller(principal, open_session, via_cookie)
    connection.scope["caller"] = caller
    return caller
