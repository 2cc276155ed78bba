"""``/api/session``: a staff member exchanges login and password for a bearer token.

The token is a server-side staff session like the portal's, so the same
expiry and logout rules apply. Third-party software uses OAuth2 instead.
"""

from __future__ import annotations

import hmac
from json import JSONDecodeError
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth.identities import authenticate_throttled, login_stage
from api.auth.requests import CSRF_HEADER, client_address, identify, session_token
from api.auth.second_factor import code_keys
from api.auth.sessions import close_session, log_out_everywhere, open_session
from api.auth.throttling import Throttled, ensure_not_blocked, record_failure, record_success
from api.resolvers.second_factor import second_factor_passes
from api.services import services_of
from db.accounts import SessionStage


class SecondFactorRefused(Exception):
    """The password was right, the second factor is missing or wrong: the answer to send."""

    def __init__(self, response: Response, user_id: int, count_failure: bool) -> None:
        super().__init__("second factor refused")
        self.response = response
        self.user_id = user_id
        self.count_failure = count_failure


async def _check_second_factor(
    request: Request, session: AsyncSession, user_id: int, body: dict[str, Any]
) -> None:
    """Returns when the body's ``otp`` (or ``recoveryCode``) is right; else raises."""
    code = body.get("otp") or body.get("recoveryCode")
    if not isinstance(code, str) or not code.strip() or len(code) > 40:
        raise SecondFactorRefused(
            JSONResponse(
                {
                    "error": "SECOND_FACTOR_REQUIRED",
                    "message": "Ce compte a une clé OTP : envoyez le code dans « otp ».",
                },
                status_code=401,
            ),
            user_id,
            count_failure=False,
        )
    services = services_of(request)
    keys = code_keys(user_id)
    await ensure_not_blocked(session, keys)
    if not await second_factor_passes(
        session, services.settings.secret_key, user_id, code, client_address(request)
    ):
        raise SecondFactorRefused(
            JSONResponse(
                {"error": "invalid_second_factor", "message": "Code incorrect ou déjà utilisé."},
                status_code=401,
            ),
            user_id,
            count_failure=True,
        )
    await record_success(session, [key for key, _ in keys])


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
            stage = await login_stage(session, user)
            if stage is SessionStage.ENROLMENT:
                return JSONResponse(
                    {
                        "error": "second_factor_enrolment_required",
                        "message": "L'académie exige une clé OTP : enregistrez-la d'abord "
                        "en vous connectant au portail.",
                    },
                    status_code=403,
                )
            if stage is SessionStage.SECOND_FACTOR:
                await _check_second_factor(request, session, user.id, body)
            opened = await open_session(
                session, services.settings, user.id, client_address(request)
            )
    except SecondFactorRefused as refused:
        # Counted once the login's transaction is over (SQLite allows one writer at a time).
        if refused.count_failure:
            async with services.sessionmaker() as counting, counting.begin():
                await record_failure(counting, code_keys(refused.user_id))
        return refused.response
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
