"""/connexion and /deconnexion: staff sign in with login and password to a server-side session.

The login form has no session yet, so its CSRF token is a double-submit
cookie: a random value set as an HttpOnly cookie and repeated in a hidden
field; the POST is accepted only when both are present and equal.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from api.auth.identities import count_wrong_password
from api.auth.requests import Caller, client_address, identify, session_token
from api.auth.sessions import COOKIE_NAME, close_session, log_out_everywhere
from api.auth.throttling import Throttled
from api.resolvers.sign_in import sign_in
from api.resolvers.vocabulary import SessionStage
from api.resolvers.work import Visitor
from api.services import services_of
from portals.common import csrf
from portals.common.cookies import delete_cookie, set_cookie
from portals.common.redirects import local_path, redirect
from portals.etablissement.rendering import render
from portals.etablissement.web import LOGIN_PATH, NEXT_PARAM, anonymous_error

LOGIN_CSRF_COOKIE = "sconet_connexion_csrf"
# The login form has no session yet: its token is a double-submit cookie.
LOGIN_FORM = csrf.AnonymousForms(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
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
    token = LOGIN_FORM.token(request, fresh=new_token)
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
            "password_chosen": request.query_params.get("invitation") == "1",
        },
        status_code,
    )
    return LOGIN_FORM.keep(
        request, response, token, secure=services_of(request).settings.cookie_secure
    )


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
    if not csrf.matches(form.get(csrf.FIELD), LOGIN_FORM.expected(request)):
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
    visitor, address = Visitor.of(services), client_address(request)
    try:
        opened = await visitor.run(
            sign_in, services.settings, login, password, address, previous_token
        )
    except Throttled as throttled:
        return _login_form(
            request, target=target, login=login, error=throttled.message_fr, status_code=429
        )
    if opened is None:
        # Counted in a transaction of its own, which nothing of the attempt can roll back.
        await visitor.run(count_wrong_password, login, address)
        return _login_form(request, target=target, login=login, error=BAD_CREDENTIALS)
    next_step = {
        SessionStage.SECOND_FACTOR: "/connexion/code",
        SessionStage.ENROLMENT: "/connexion/enrolement",
    }.get(opened.stage)
    response = redirect(f"{next_step}?{urlencode({NEXT_PARAM: target})}" if next_step else target)
    secure = services.settings.cookie_secure
    set_cookie(response, COOKIE_NAME, opened.token, secure=secure)
    delete_cookie(response, LOGIN_CSRF_COOKIE, secure=secure, path=LOGIN_PATH)
    return response


async def _checked_caller(request: Request) -> tuple[Caller | None, Response | None]:
    """The caller if the form's CSRF token is theirs; else the error page to answer with."""
    caller = await identify(request)
    if caller is None:
        return None, None
    if await csrf.checked_form(request, caller.session.csrf_token) is None:
        return caller, csrf.refused(anonymous_error)
    return caller, None


async def logout_everywhere(request: Request) -> Response:
    """End every session of the signed-in staff member, this one included."""
    services = services_of(request)
    caller, refused = await _checked_caller(request)
    if refused is not None:
        return refused
    if caller is not None:
        await Visitor.of(services).run(log_out_everywhere, caller.principal)
    response = redirect(f"{LOGIN_PATH}?deconnexion=partout")
    delete_cookie(response, COOKIE_NAME, secure=services.settings.cookie_secure)
    return response


async def logout(request: Request) -> Response:
    services = services_of(request)
    caller, refused = await _checked_caller(request)
    if refused is not None:
        return refused
    if caller is not None:
        await Visitor.of(services).run(close_session, caller.session.token)
    response = redirect(f"{LOGIN_PATH}?deconnexion=1")
    delete_cookie(response, COOKIE_NAME, secure=services.settings.cookie_secure)
    return response
