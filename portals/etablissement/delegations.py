"""/delegations: the principal's DELEGCE screen — each staff member's rights in the school."""

from __future__ import annotations

from starlette.responses import Response

from api.auth.rights import RIGHT_LABELS_FR, ROLE_LABELS_FR
from api.resolvers.delegations import school_staff_rights, set_staff_rights
from api.resolvers.second_factor import reset_second_factor
from api.resolvers.vocabulary import Right
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect


async def _render(page: Page, message: str | None = None, error: str | None = None) -> Response:
    school = page.school
    # The page's guard (destinations.DELEGATIONS) already asked for a working school.
    if school is None:
        raise page.refusal(school_staff_rights)
    staff = await page.work.read(school_staff_rights, school.id)
    return page.render(
        "delegations.html",
        400 if error else 200,
        staff=staff,
        rights=[(right, RIGHT_LABELS_FR[right]) for right in Right],
        role_labels=ROLE_LABELS_FR,
        can_reset=page.may(reset_second_factor, school.id),
        message=message or page.request.query_params.get("message"),
        error=error,
    )


@page_handler(destinations.DELEGATIONS)
async def delegations(page: Page) -> Response:
    if page.request.method == "GET":
        return await _render(page)
    form = await page.request.form()
    school = page.school
    user_id = parse_id(form.get("user_id"))
    if school is None or user_id is None:
        raise NotFound("StaffUser", form.get("user_id"))
    try:
        wanted = [Right(str(value)) for value in form.getlist("rights")]
    except ValueError:
        return await _render(page, error="Droit inconnu : rechargez la page.")
    try:
        async with page.work.writing(school.id) as transaction:
            found = await transaction.run(set_staff_rights, school.id, user_id, wanted)
    except ValidationFailed as failed:
        return await _render(page, error=failed.errors[0].message)
    return redirect(
        page.url("/delegations", message=f"Droits de {found.user.display_name} enregistrés.")
    )
