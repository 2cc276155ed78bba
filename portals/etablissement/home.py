"""/ (accueil) and the choice of the school being worked on."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from api.auth.permissions import Permission
from portals.etablissement.web import (
    SCHOOL_COOKIE,
    Page,
    local_path,
    page_handler,
    parse_id,
    redirect,
    set_cookie,
)


@dataclass(frozen=True)
class Tile:
    title: str
    detail: str
    href: str
    permission: Permission


TILES = (
    Tile(
        "Rechercher un élève",
        "Par nom, INE, division ou MEF ; consulter et mettre à jour la fiche élève.",
        "/eleves",
        Permission.STUDENTS_READ,
    ),
    Tile(
        "Divisions et groupes",
        "Les classes de l'établissement, leurs effectifs et les listes de classe à exporter.",
        "/divisions",
        Permission.STRUCTURES_READ,
    ),
    Tile(
        "Statistiques",
        "Effectifs par MEF, division, sexe, âge et régime.",
        "/statistiques",
        Permission.STATISTICS_READ,
    ),
)


@page_handler("accueil")
async def home(page: Page) -> Response:
    return page.render(
        "home.html",
        tiles=[t for t in TILES if page.can(t.permission)],
        can_search=page.can(Permission.STUDENTS_READ),
    )


@page_handler("accueil")
async def choose_school(page: Page) -> Response:
    """POST: remember the school chosen among those in reach (rectorat, several schools)."""
    form = await page.request.form()
    target = local_path(str(form.get("retour") or "/"))
    wanted = parse_id(form.get("etablissement"))
    school = next((s for s in page.schools if s.id == wanted), None)
    if school is None:
        return page.error(
            400, "Établissement inconnu", "Cet établissement ne fait pas partie de votre périmètre."
        )
    response = redirect(target)
    set_cookie(response, page.services, SCHOOL_COOKIE, str(school.id))
    return response
