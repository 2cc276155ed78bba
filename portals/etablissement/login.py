"""/connexion and /deconnexion: staff sign in with login and password to a server-side session.

The login form has no session yet, so its CSRF token is a double-submit
cookie: a random value set as an HttpOnly cookie and repeated in a hidden
field; the POST is accepted only when both are present and equal.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from api.auth.identities import authenticate_throttled, login_stage, record_as_self
from api.auth.requests import Caller, client_address, identify, session_token
from api.auth.sessions import (
    COOKIE_NAME,
    OpenSession,
    close_session,
    log_out_everywhere,
    open_session,
)
from api.auth.throttling import Throttled
from api.resolvers.vocabulary import SessionStage
from api.services import services_of
from portals.etablissement.rendering import render
from portals.etablissement.web import (
    LOGIN_PATH,
    NEXT_PARAM,
    anonymous_error,
    delete_cookie,
    local_path,
    redirect,
    set_cookie,
)

LOGIN_CSRF_COOKIE = "sconet_connexion_csrf"
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def _login_form(
    request: Request,
    *,
    target: str,
    login: str = "",
    error: str | None = None,
    field_errors: dict[str, str] | None = None,
    status_code: int = 200,
    new_token: bool = False,
) -> Response:
    token = None if new_token else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    response = render(
        "login.html",
        {
            "page": None,
            "csrf_token": token,
            "target": target,
            "login": login,
            "error": error,
            "field_errors": field_errors or {},
            "logged_out": request.query_params.get("deconnexion") in ("1", "partout"),
            "logged_out_everywhere": request.query_params.get("deconnexion") == "partout",
        },
        status_code,
    )
    set_cookie(response, services_of(request), LOGIN_CSRF_COOKIE, token, path=LOGIN_PATH)
    return response


async def login_page(request: Request) -> Response:
    target = local_path(request.query_params.get(NEXT_PARAM))
    if await identify(request) is not None:
        return redirect(target)
    return _login_form(request, target=target)


async def login_submit(request: Request) -> Response:
    services = services_of(request)
    form = await request.form()
    target = local_path(str(form.get(NEXT_PARAM) or ""))
    login = str(form.get("login") or "").strip()
    password = str(form.get("password") or "")
    sent = str(form.get("csrf_token") or "")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_form(
            request,
            target=target,
            login=login,
            error="Le formulaire de connexion a expiré : saisissez à nouveau vos identifiants.",
            status_code=403,
            new_token=True,
        )
    field_errors = {}
    if not login:
        field_errors["login"] = "Saisissez votre identifiant."
    if not password:
        field_errors["password"] = "Saisissez votre mot de passe."
    if field_errors or len(login) > 100 or len(password) > 1000:
        return _login_form(
            request,
            target=target,
            login=login,
            error=None if field_errors else BAD_CREDENTIALS,
            field_errors=field_errors,
        )
    previous_token, _via_cookie = session_token(request)
    try:
        opened = await _password_login(request, login, password, previous_token)
    except Throttled as throttled:
        return _login_form(
            request, target=target, login=login, error=throttled.message_fr, status_code=429
        )
    if opened is None:
        return _login_form(request, target=target, login=login, error=BAD_CREDENTIALS)
    next_step = {
        SessionStage.SECOND_FACTOR: "/connexion/code",
        SessionStage.ENROLMENT: "/connexion/enrolement",
    }.get(opened.stage)
    response = redirect(f"{next_step}?{urlencode({NEXT_PARAM: target})}" if next_step else target)
    set_cookie(response, services, COOKIE_NAME, opened.token)
    delete_cookie(response, services, LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


async def _password_login(
    request: Request, login: str, password: str, previous_token: str | None
) -> OpenSession | None:
    services = services_of(request)
    async with services.sessionmaker() as session, session.begin():
        user = await authenticate_throttled(
            session, services.sessionmaker, login, password, client_address(request)
        )
        if user is None:
            opened = None
        else:
            # authenticate() may upgrade the password hash: that change is audited too.
            record_as_self(session, user, client_address(request))
            await close_session(session, previous_token)
            opened = await open_session(
                session,
                services.settings,
                user.id,
                client_address(request),
                await login_stage(session, user),
            )
    return opened


async def _checked_caller(request: Request) -> tuple[Caller | None, Response | None]:
    """The caller if the form's CSRF token is theirs; else the error page to answer with."""
    caller = await identify(request)
    if caller is None:
        return None, None
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    if not hmac.compare_digest(sent.encode(), caller.session.csrf_token.encode()):
        return caller, anonymous_error(
            403,
            "Formulaire expiré",
            "La déconnexion n'a pas pu être vérifiée. Rechargez la page puis recommencez.",
        )
    return caller, None


async def logout_everywhere(request: Request) -> Response:
    """End every session of the signed-in staff member, this one included."""
    services = services_of(request)
    caller, refused = await _checked_caller(request)
    if refused is not None:
        return refused
    if caller is not None:
        async with services.sessionmaker() as session, session.begin():
            await log_out_everywhere(session, caller.principal)
    response = redirect(f"{LOGIN_PATH}?deconnexion=partout")
    delete_cookie(response, services, COOKIE_NAME)
    return response


async def logout(request: Request) -> Response:
    services = services_of(request)
    caller, refused = await _checked_caller(request)
    if refused is not None:
        return refused
    if caller is not None:
        async with services.sessionmaker() as session, session.begin():
            await close_session(session, caller.session.token)
    response = redirect(f"{LOGIN_PATH}?deconnexion=1")
    delete_cookie(response, services, COOKIE_NAME)
    return response
