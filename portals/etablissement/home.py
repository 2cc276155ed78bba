"""/ (accueil) and the choice of the school being worked on."""

from __future__ import annotations

from starlette.responses import Response

from portals.common.cookies import set_cookie
from portals.common.redirects import local_path, redirect
from portals.etablissement import destinations
from portals.etablissement.web import SCHOOL_COOKIE, Page, page_handler, parse_id


@page_handler(destinations.HOME)
async def home(page: Page) -> Response:
    return page.render(
        "home.html",
        tiles=page.tiles(),
        can_search=page.allows(destinations.STUDENTS),
    )


@page_handler(destinations.HOME)
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
    set_cookie(response, SCHOOL_COOKIE, str(school.id), secure=page.services.settings.cookie_secure)
    return response
