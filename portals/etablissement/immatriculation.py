"""/liaisons: the "Tableau de bord des liaisons" with the académie base (BEA): the students
sent for an INE, the immatriculations received, what still waits; for a school's
secretariat and principal, and académie-wide for the rectorat, who settles the probable
duplicates (/liaisons/doublons). The files themselves go through /echanges."""

from __future__ import annotations

from starlette.responses import Response

from api.resolvers.immatriculation import (
    DuplicateResolution,
    liaison_dashboard,
    probable_duplicates,
    settle_probable_duplicate,
)
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, redirect

ACADEMY_SCOPE = "academie"
RESOLUTIONS = [
    (DuplicateResolution.DISTINCT.value, "Deux élèves distincts"),
    (DuplicateResolution.SAME.value, "Le même élève (à fusionner dans la base académique)"),
]
RESOLUTION_LABELS = dict(RESOLUTIONS)
STATE_LABELS = {
    "previewed": "En attente d'application",
    "applied": "Appliqué",
    "refused": "Refusé",
}


@page_handler(destinations.LIAISONS)
async def dashboard(page: Page) -> Response:
    academy_allowed = page.may_academy_wide(liaison_dashboard)
    school = page.school
    whole_academy = academy_allowed and (
        school is None or page.request.query_params.get("perimetre") == ACADEMY_SCOPE
    )
    if whole_academy:
        board = await page.work.read(liaison_dashboard, None)
    else:
        if school is None or not page.may(liaison_dashboard, school.id):
            raise page.refusal(liaison_dashboard)
        board = await page.work.read(liaison_dashboard, school.id)
    return page.render(
        "immatriculation/dashboard.html",
        board=board,
        whole_academy=whole_academy,
        academy_allowed=academy_allowed,
        duplicates_allowed=page.may_academy_wide(probable_duplicates),
        state_labels=STATE_LABELS,
        message=page.request.query_params.get("message"),
    )


async def _render_duplicates(
    page: Page, status: int = 200, errors: dict[int, str] | None = None
) -> Response:
    settled = page.request.query_params.get("tranches") == "1"
    return page.render(
        "immatriculation/duplicates.html",
        status,
        duplicates=await page.work.read(probable_duplicates, settled=settled),
        settled=settled,
        resolutions=RESOLUTIONS,
        resolution_labels=RESOLUTION_LABELS,
        errors=errors or {},
        message=page.request.query_params.get("message"),
    )


@page_handler(destinations.PROBABLE_DUPLICATES)
async def duplicates(page: Page) -> Response:
    if not page.may_academy_wide(probable_duplicates):
        raise page.refusal(probable_duplicates)
    return await _render_duplicates(page)


@page_handler(destinations.PROBABLE_DUPLICATES)
async def settle(page: Page) -> Response:
    if not page.may_academy_wide(settle_probable_duplicate):
        raise page.refusal(settle_probable_duplicate)
    duplicate_id = int(page.request.path_params["duplicate_id"])
    form = await page.request.form(max_files=0, max_fields=5)
    # One form per duplicate on the page: each its own field name (and ids).
    resolution = str(form.get(f"resolution-{duplicate_id}") or "")
    if resolution not in RESOLUTION_LABELS:
        return await _render_duplicates(
            page, 400, {duplicate_id: "Choisissez s'il s'agit de deux élèves ou du même."}
        )
    try:
        async with page.work.writing(None) as transaction:
            await transaction.run(settle_probable_duplicate, duplicate_id, resolution)
    except ValidationFailed as failed:
        return await _render_duplicates(
            page, 400, {duplicate_id: " ".join(e.message for e in failed.errors)}
        )
    except NotFound:
        return page.error(404, "Doublon introuvable", "Ce doublon probable n'existe pas.")
    return redirect(page.url("/liaisons/doublons", message="Décision enregistrée."))
