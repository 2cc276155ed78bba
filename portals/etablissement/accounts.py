"""/comptes: the principal manages his school's staff accounts; the académie administrator the
principals and the académie-level accounts."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api.auth.rights import ROLE_LABELS_FR
from api.resolvers.accounts import (
    NewAccount,
    create_account,
    manageable_accounts,
    manageable_roles,
    manageable_schools,
    set_account_active,
)
from api.resolvers.invitations import resend_invitation
from api.resolvers.second_factor import reset_second_factor
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

EMPTY_FORM = {"login": "", "display_name": "", "email": "", "role": "", "school_id": ""}


async def _render(page: Page, status: int = 200, **context: Any) -> Response:
    roles = manageable_roles(page.principal)
    values: dict[str, Any] = {
        "form": EMPTY_FORM,
        "field_errors": {},
        "message": page.request.query_params.get("message"),
        "error": None,
    } | context
    return page.render(
        "accounts.html",
        status,
        accounts=await page.work.read(manageable_accounts),
        role_options=[(r.value, ROLE_LABELS_FR[r]) for r in roles],
        school_options=[
            (s.id, f"{s.name} ({s.uai})") for s in await page.work.read(manageable_schools)
        ],
        role_labels=ROLE_LABELS_FR,
        can_reset=page.may(reset_second_factor),
        **values,
    )


@page_handler(destinations.ACCOUNTS)
async def accounts(page: Page) -> Response:
    if page.request.method == "GET":
        return await _render(page)
    form = await page.request.form()
    entered = {key: str(form.get(key) or "") for key in EMPTY_FORM}
    account = NewAccount(
        login=entered["login"],
        display_name=entered["display_name"],
        role=entered["role"],
        password=str(form.get("password") or ""),
        school_id=parse_id(entered["school_id"]),
        email=entered["email"] or None,
    )
    try:
        async with page.work.writing(None) as transaction:
            user = await transaction.run(create_account, account)
    except ValidationFailed as failed:
        errors = {e.field: e.message for e in failed.errors}
        return await _render(page, 400, form=entered, field_errors=errors)
    except NotFound:
        return await _render(
            page,
            400,
            form=entered,
            field_errors={"schoolId": "Établissement hors de votre périmètre."},
        )
    return redirect(page.url("/comptes", message=f"Compte {user.login} créé."))


@page_handler(destinations.ACCOUNTS)
async def account_state(page: Page) -> Response:
    user_id = parse_id(page.request.path_params.get("user_id"))
    action = page.request.path_params.get("action")
    if user_id is None or action not in ("activer", "desactiver"):
        raise NotFound("StaffUser", user_id)
    try:
        async with page.work.writing(None) as transaction:
            user = await transaction.run(set_account_active, user_id, action == "activer")
    except ValidationFailed as failed:
        return await _render(page, 400, message=None, error=failed.errors[0].message)
    done = "réactivé" if user.is_active else "désactivé (ses sessions sont fermées)"
    return redirect(page.url("/comptes", message=f"Compte {user.login} {done}."))


@page_handler(destinations.ACCOUNTS)
async def invite_again(page: Page) -> Response:
    """A new invitation link by e-mail (the previous one stops working)."""
    user_id = parse_id(page.request.path_params.get("user_id"))
    if user_id is None:
        raise NotFound("StaffUser", user_id)
    try:
        async with page.work.writing(None) as transaction:
            invitation = await transaction.run(
                resend_invitation, user_id, portal_address=page.services.settings.api_issuer()
            )
    except ValidationFailed as failed:
        return await _render(page, 400, message=None, error=failed.errors[0].message)
    user = invitation.user
    done = (
        f"envoyée à {user.email}" if invitation.emailed else "créée (ce compte n'a pas de courriel)"
    )
    return redirect(page.url("/comptes", message=f"Nouvelle invitation de {user.login} {done}."))
