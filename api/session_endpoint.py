"""``/api/session``: a staff member exchanges login and password for a bearer token.

The token is a server-side staff session like the portal's, so the same
expiry and logout rules apply. Third-party software uses OAuth2 instead.
"""

from __future__ import annotations

import hmac
from json import JSONDecodeError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth.identities import authenticate_throttled
from api.auth.requests import CSRF_HEADER, client_address, identify, session_token
from api.auth.sessions import close_session, log_out_everywhere, open_session
from api.auth.throttling import Throttled
from api.services import services_of


async def create_api_session(request: Request) -> Response:
    try:
        body = await request.json()
    except JSONDecodeError:
        body = None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("login"), str)
        or not isinstance(body.get("password"), str)
    ):
        return JSONResponse(
            {"error": "invalid_request", "message": "login et password sont attendus en JSON."},
            status_code=400,
        )
    services = services_of(request)
    try:
        async with services.sessionmaker() as session, session.begin():
            user = await authenticate_throttled(
                session,
                services.sessionmaker,
                body["login"],
                body["password"],
                client_address(request),
            )
            if user is None:
                return JSONResponse(
                    {
                        "error": "invalid_credentials",
                        "message": "Identifiant ou mot de passe incorrect.",
                    },
                    status_code=401,
                )
            opened = await open_session(
                session, services.settings, user.id, client_address(request)
            )
    except Throttled as throttled:
        return JSONResponse(
            {"error": "too_many_attempts", "message": throttled.message_fr},
            status_code=429,
            headers={"Retry-After": str(throttled.seconds)},
        )
    return JSONResponse(
        {
            "token": opened.token,
            "tokenType": "Bearer",
            "idleMinutes": services.settings.session_idle_minutes,
        }
    )


async def delete_api_session(request: Request) -> Response:
    token, _via_cookie = session_token(request)
    async with services_of(request).sessionmaker() as session, session.begin():
        await close_session(session, token)
    return Response(status_code=204)


async def delete_all_api_sessions(request: Request) -> Response:
    """``DELETE /api/sessions``: end every session of the caller (bearer, or cookie with CSRF)."""
    caller = await identify(request)
    if caller is None:
        return JSONResponse(
            {"error": "unauthenticated", "message": "Authentification requise."}, status_code=401
        )
    sent = request.headers.get(CSRF_HEADER, "")
    if caller.via_cookie and not hmac.compare_digest(
        sent.encode(), caller.session.csrf_token.encode()
    ):
        return JSONResponse(
            {"error": "csrf", "message": f"En-tête {CSRF_HEADER} manquant ou invalide."},
            status_code=403,
        )
    async with services_of(request).sessionmaker() as session, session.begin():
        closed = await log_out_everywhere(session, caller.principal)
    return JSONResponse({"closedSessions": closed})
