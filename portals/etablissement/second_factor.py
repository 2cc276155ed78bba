"""The second factor on the staff portal: the code asked after the password, enrolment (at
login when the académie requires it, or from "Mon compte"), recovery codes, resets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.auth.requests import client_address, pending_login
from api.auth.sessions import COOKIE_NAME, OpenSession, activate_session
from api.auth.throttling import Throttled
from api.resolvers import second_factor
from api.resolvers.vocabulary import SessionStage
from api.resolvers.work import Visitor
from api.services import services_of
from core.errors import ValidationFailed
from portals.common import csrf
from portals.common.cookies import set_cookie
from portals.common.redirects import local_path, redirect
from portals.etablissement import destinations
from portals.etablissement.rendering import render
from portals.etablissement.web import (
    LOGIN_PATH,
    NEXT_PARAM,
    Page,
    anonymous_error,
    page_handler,
)

WRONG_CODE = "Code incorrect ou déjà utilisé."


async def _pending(request: Request, stage: SessionStage) -> tuple[OpenSession | None, str]:
    pending = await pending_login(request)
    if pending is None or pending.stage is not stage:
        return None, ""
    if request.method == "POST":
        form = await csrf.checked_form(request, pending.csrf_token)
        if form is None:
            return None, "csrf"
        return pending, local_path(str(form.get(NEXT_PARAM) or ""))
    return pending, local_path(request.query_params.get(NEXT_PARAM))


async def _activate(request: Request, pending: OpenSession, target: str) -> Response:
    services = services_of(request)
    opened = await Visitor.of(services).run(
        activate_session, services.settings, pending, client_address(request)
    )
    response = redirect(target)
    set_cookie(response, COOKIE_NAME, opened.token, secure=services.settings.cookie_secure)
    return response


async def code_page(request: Request) -> Response:
    """``/connexion/code``: the second step of a login."""
    pending, target = await _pending(request, SessionStage.SECOND_FACTOR)
    if target == "csrf":
        return csrf.refused(anonymous_error)
    if pending is None:
        return redirect(LOGIN_PATH)

    def form(
        error: str | None = None, field_error: str | None = None, status: int = 200
    ) -> Response:
        return render(
            "second_factor/code.html",
            {
                "page": None,
                "csrf_token": pending.csrf_token,
                "target": target,
                "error": error,
                "field_error": field_error,
            },
            status,
        )

    if request.method == "GET":
        return form()
    code = str((await request.form()).get("code") or "")
    if not code.strip() or len(code) > 40:
        return form(field_error="Saisissez le code.")
    services = services_of(request)
    visitor = Visitor.of(services)
    try:
        passed = await visitor.run(
            second_factor.second_factor_checked,
            services.settings.secret_key,
            pending.user_id,
            code,
            client_address(request),
        )
    except Throttled as throttled:
        return form(error=throttled.message_fr, status=429)
    if not passed:
        await visitor.run(second_factor.count_wrong_code, pending.user_id)
        return form(field_error=WRONG_CODE)
    return await _activate(request, pending, target)


async def _enrolment_form(
    request: Request,
    user_id: int,
    csrf_token: str,
    action: str,
    target: str,
    *,
    required: bool,
    page: Page | None = None,
) -> Response:
    """GET shows the QR code; POST checks the first code and shows the recovery codes."""
    services = services_of(request)
    visitor, secret_key = Visitor.of(services), services.settings.secret_key
    address = client_address(request)
    field_error = None
    if request.method == "POST":
        code = str((await request.form()).get("code") or "")
        try:
            codes = await visitor.run(
                second_factor.confirm_enrolment, secret_key, user_id, code, address
            )
            return render(
                "second_factor/recovery_codes.html",
                {"page": page, "codes": codes, "target": target},
            )
        except ValidationFailed as failed:
            field_error = failed.errors[0].message
    try:
        enrolment = await visitor.run(second_factor.start_enrolment, secret_key, user_id, address)
    except ValidationFailed:
        return redirect(target)
    return render(
        "second_factor/enrol.html",
        {
            "page": page,
            "enrolment": enrolment,
            "csrf_token": csrf_token,
            "action": action,
            "target": target,
            "field_error": field_error,
            "required": required,
        },
        400 if field_error else 200,
    )


async def enrolment_at_login(request: Request) -> Response:
    """``/connexion/enrolement``: the académie requires a key the user has not enrolled yet."""
    pending, target = await _pending(request, SessionStage.ENROLMENT)
    if target == "csrf":
        return csrf.refused(anonymous_error)
    if pending is None:
        return redirect(LOGIN_PATH)
    response = await _enrolment_form(
        request, pending.user_id, pending.csrf_token, "/connexion/enrolement", target, required=True
    )
    if request.method == "POST" and response.status_code == 200:
        # Enrolled: the session becomes a full one, under a new token.
        activated = await _activate(request, pending, target)
        response.headers.append("set-cookie", activated.headers["set-cookie"])
    return response


@page_handler(destinations.ACCOUNT)
async def account(page: Page) -> Response:
    status = await page.work.read(second_factor.second_factor_status)
    return page.render(
        "second_factor/account.html",
        enrolled=status.enrolled_at is not None,
        enrolled_at=status.enrolled_at,
        codes_left=status.codes_left,
        required=status.required,
        can_require=page.may_academy_wide(second_factor.set_second_factor_required),
        message=page.request.query_params.get("message"),
        field_error=None,
    )


@page_handler(destinations.ACCOUNT)
async def enrol(page: Page) -> Response:
    return await _enrolment_form(
        page.request,
        page.principal.id or 0,
        page.csrf_token,
        "/compte/cle-otp",
        "/compte",
        required=False,
        page=page,
    )


@page_handler(destinations.ACCOUNT)
async def renew_recovery_codes(page: Page) -> Response:
    code = str((await page.request.form()).get("code") or "")
    # As at sign-in, the code is checked on the account itself (no principal taken), and a
    # wrong one is counted by a step of its own, which the refused renewal cannot undo.
    visitor, user_id = Visitor.of(page.services), page.principal.id or 0
    try:
        codes = await visitor.run(
            second_factor.renew_recovery_codes,
            page.services.settings.secret_key,
            user_id,
            code,
            page.principal.remote_addr,
        )
    except (ValidationFailed, Throttled) as failed:
        if isinstance(failed, ValidationFailed):
            await visitor.run(second_factor.count_wrong_code, user_id)
        message = failed.message_fr if isinstance(failed, Throttled) else WRONG_CODE
        return page.error(400, "Codes de secours", message)
    return page.render("second_factor/recovery_codes.html", codes=codes, target="/compte")


@page_handler(destinations.ACCOUNT)
async def require_everywhere(page: Page) -> Response:
    wanted = str((await page.request.form()).get("exiger") or "") == "oui"
    async with page.work.writing(None) as transaction:
        await transaction.run(second_factor.set_second_factor_required, wanted)
    message = "La clé OTP est désormais exigée." if wanted else "La clé OTP n'est plus exigée."
    return redirect(page.url("/compte", message=message))


@page_handler(destinations.ACCOUNTS)
async def reset(page: Page) -> Response:
    user_id: int = page.request.path_params["user_id"]
    async with page.work.writing(None) as transaction:
        user = await transaction.run(second_factor.reset_second_factor, user_id)
    back = local_path(str((await page.request.form()).get(NEXT_PARAM) or ""), "/compte")
    return redirect(page.url(back, message=f"Clé OTP de {user.display_name} réinitialisée."))
