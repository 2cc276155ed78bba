"""/invitation/<token>: a staff member invited by e-mail (an account created without a
password) chooses his password, once; then signs in as everyone does.

The page is shown before signing in: its CSRF token is a double-submit cookie, as on the
login form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.auth.requests import client_address
from api.resolvers.invitations import (
    MAX_TOKEN_LENGTH,
    InvitationRefused,
    InvitationView,
    accept_invitation,
    invitation_for,
)
from api.resolvers.work import Visitor
from api.services import services_of
from core.errors import ValidationFailed
from portals.common import csrf
from portals.common.redirects import redirect
from portals.etablissement.rendering import render
from portals.etablissement.web import LOGIN_PATH

FORM = csrf.AnonymousForms("sconet_invitation_csrf", path="/invitation")


def _page(
    request: Request,
    *,
    view: InvitationView | None = None,
    refusal: str | None = None,
    field_errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
    new_token: bool = False,
) -> Response:
    token = FORM.token(request, fresh=new_token)
    response = render(
        "invitation.html",
        {
            "page": None,
            "csrf_token": token,
            "view": view,
            "refusal": refusal,
            "field_errors": field_errors or {},
            "error": error,
            "action": request.url.path,
        },
        status_code,
    )
    return FORM.keep(request, response, token, secure=services_of(request).settings.cookie_secure)


async def invitation(request: Request) -> Response:
    visitor = Visitor.of(services_of(request))
    token = str(request.path_params.get("token") or "")[: MAX_TOKEN_LENGTH + 1]
    form = await request.form() if request.method == "POST" else None
    # A post without the form's token is refused before the link is even looked up.
    forged = form is not None and not csrf.matches(form.get(csrf.FIELD), FORM.expected(request))
    try:
        view = await visitor.run(invitation_for, token)
    except InvitationRefused as refused:
        return _page(request, refusal=refused.message, status_code=403 if forged else 410)
    if form is None:
        return _page(request, view=view)
    if forged:
        return _page(
            request,
            view=view,
            error="Le formulaire a expiré : saisissez à nouveau votre mot de passe.",
            status_code=403,
            new_token=True,
        )
    password = str(form.get("password") or "")[:1001]
    confirmation = str(form.get("confirmation") or "")[:1001]
    try:
        await visitor.run(accept_invitation, token, password, confirmation, client_address(request))
    except InvitationRefused as refused:
        return _page(request, refusal=refused.message, status_code=410)
    except ValidationFailed as failed:
        errors = {e.field: e.message for e in failed.errors}
        return _page(request, view=view, field_errors=errors, status_code=400)
    return redirect(f"{LOGIN_PATH}?invitation=1")
