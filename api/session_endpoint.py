"""``/api/session``: a staff member exchanges login and password for a bearer token.

The token is a server-side staff session like the portal's, so the same
expiry and logout rules apply. Third-party software uses OAuth2 instead.
"""

from __future__ import annotations

from json import JSONDecodeError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth.identities import authenticate
from api.auth.requests import client_address, session_token
from api.auth.sessions import close_session, open_session
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
    async with services.sessionmaker() as session, session.begin():
        user = await authenticate(session, body["login"], body["password"])
        if user is None:
            return JSONResponse(
                {
                    "error": "invalid_credentials",
                    "message": "Identifiant ou mot de passe incorrect.",
                },
                status_code=401,
            )
        opened = await open_session(session, services.settings, user.id, client_address(request))
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
