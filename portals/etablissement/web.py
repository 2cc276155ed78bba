"""What every page of the staff portal shares: the signed-in caller, the school and year
being worked on, CSRF checking, error pages and write transactions.

A handler is written as ``async def handler(page: Page) -> Response`` and wrapped
with ``@page_handler(nav)``. The wrapper sends anonymous visitors to the login
page, checks the CSRF token of every POST, opens one read session for the
request, and turns ``NotFound`` and ``PermissionDenied`` into French error pages.

A page runs domain functions through ``page.work`` (``api.resolvers.work``): its reads in the
request's read session, each change in a transaction of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.auth.guard import permission_of
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.requests import Caller, identify
from api.auth.rights import ROLE_LABELS_FR
from api.resolvers.schools import (
    School,
    SchoolYear,
    is_year_over,
    school_years,
    visible_schools,
)
from api.resolvers.vocabulary import SchoolYearState
from api.resolvers.work import Work
from api.services import Services, services_of
from core.errors import NotFound
from portals.common import csrf
from portals.common.redirects import redirect
from portals.etablissement.destinations import ABSENCE_MENU, MENU, TILES, Destination
from portals.etablissement.rendering import PAGES, render

SCHOOL_COOKIE = "sconet_etablissement"
LOGIN_PATH = "/connexion"
NEXT_PARAM = "suivant"


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    if target == "/":
        return redirect(LOGIN_PATH)
    return redirect(f"{LOGIN_PATH}?{urlencode({NEXT_PARAM: target})}")


def parse_id(raw: Any) -> int | None:
    """A positive integer id from a query or form value, else None."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 12:
        return None
    value = int(text)
    return value if value > 0 else None


@dataclass
class Page:
    """One request to a portal page, by a signed-in staff member."""

    request: Request
    services: Services
    caller: Caller
    work: Work
    nav: str
    schools: list[School] = field(default_factory=list)
    school: School | None = None
    years: list[SchoolYear] = field(default_factory=list)
    year: SchoolYear | None = None
    # The working school's current year (its own once it switched, else its académie's).
    current_year: SchoolYear | None = None

    @property
    def principal(self) -> Principal:
        return self.caller.principal

    @property
    def csrf_token(self) -> str:
        return self.caller.session.csrf_token

    def may(self, fn: Callable[..., Any], school_id: int | None = None) -> bool:
        """Whether the caller may run the domain function ``fn``, as its ``@requires``
        declares, in this school (anywhere when ``school_id`` is None): what a page shows or
        offers is asked of the function its action calls, never of a permission again."""
        return self._holds(_declared(fn), school_id)

    def may_academy_wide(self, fn: Callable[..., Any]) -> bool:
        """``may`` for the whole académie (an académie role), not only in some schools."""
        return self.principal.academy_wide(_declared(fn))

    def only_taught(self, fn: Callable[..., Any], school_id: int) -> bool:
        """Whether ``fn`` reaches, in this school, only the divisions and groups the caller
        teaches (the right comes from the teacher role alone)."""
        return school_id in self.principal.teaching_only_school_ids(_declared(fn))

    def refusal(self, fn: Callable[..., Any]) -> PermissionDenied:
        """The refusal to raise when the caller may not run ``fn`` here."""
        return PermissionDenied(_declared(fn))

    def _holds(self, permission: Permission, school_id: int | None) -> bool:
        if school_id is None:
            return self.principal.has(permission)
        return permission in self.principal.permissions_in(school_id)

    def school_name(self, school_id: int | None) -> str:
        for school in self.schools:
            if school.id == school_id:
                return school.name
        return "Académie" if school_id is None else ""

    def role_labels(self) -> list[str]:
        labels = []
        for school_id, role in sorted(
            self.principal.grants, key=lambda g: (g[0] is not None, g[0] or 0, g[1].value)
        ):
            where = self.school_name(school_id)
            labels.append(f"{ROLE_LABELS_FR[role]} — {where}" if where else ROLE_LABELS_FR[role])
        return labels

    def acts_for_academy(self) -> bool:
        """Holds an académie role (rectorat, administrator): works without a school."""
        return any(school_id is None for school_id, _role in self.principal.grants)

    def user_name(self) -> str:
        # Principal.label reads "Display Name (login)".
        return self.principal.label.rsplit(" (", 1)[0]

    def school_options(self) -> list[tuple[int, str]]:
        return [(s.id, f"{s.name} ({s.uai})") for s in self.schools]

    def year_state(self, year: SchoolYear) -> str:
        """The year as the working school lives it: en cours, en préparation or close (a
        school that has switched has closed its académie's current year)."""
        if self.current_year is not None and year.id == self.current_year.id:
            return "en cours"
        if is_year_over(year, self.current_year):
            return "close"
        if year.state is SchoolYearState.IN_PREPARATION:
            return "en préparation"
        return "en cours"

    def year_options(self) -> list[tuple[int, str]]:
        return [(y.id, f"{y.label} ({self.year_state(y)})") for y in self.years]

    @property
    def year_over(self) -> bool:
        """The year shown is over for the working school: read-only, no edit button."""
        return self.year is not None and is_year_over(self.year, self.current_year)

    def is_over(self, year: SchoolYear) -> bool:
        return is_year_over(year, self.current_year)

    @property
    def year_in_preparation(self) -> bool:
        """The year shown is the one the working school prepares (after its current one)."""
        return (
            self.year is not None
            and self.current_year is not None
            and self.year.start_year > self.current_year.start_year
            and not self.year_over
        )

    def year_query(self) -> str:
        """``?annee=`` for the links of a page shown for a year chosen in the selector."""
        chosen = self.request.query_params.get("annee")
        return f"?annee={self.year.id}" if chosen and self.year is not None else ""

    def allows(self, destination: Destination) -> bool:
        school_id = self.school.id if destination.in_working_school and self.school else None
        if destination.in_working_school and school_id is None:
            return False
        return destination.allowed(lambda p: self._holds(p, school_id))

    def require(self, destination: Destination) -> None:
        if not self.allows(destination):
            raise PermissionDenied(destination.permissions[0])

    def nav_items(self) -> list[Destination]:
        items: list[Destination] = []
        for item in MENU:
            if self.allows(item) and item.key not in {i.key for i in items}:
                items.append(item)
        return items

    def tiles(self) -> list[Destination]:
        return [item for item in TILES if self.allows(item)]

    def absence_menu(self) -> list[tuple[str, str, Destination]]:
        return [entry for entry in ABSENCE_MENU if self.allows(entry[2])]

    def url(self, path: str, **params: Any) -> str:
        """``path`` with the non-empty params as a query string."""
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return f"{path}?{urlencode(query)}" if query else path

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(template, {"page": self, **context}, status_code)

    def error(self, status_code: int, title: str, message: str) -> HTMLResponse:
        return PAGES.error_page(status_code, title, message, page=self)


def _declared(fn: Callable[..., Any]) -> Permission:
    permission = permission_of(fn)
    if permission is None:
        # Without a declaration the answer would be made up here: the function must declare it.
        raise TypeError(f"{fn.__qualname__} has no @requires")
    return permission


def anonymous_error(status_code: int, title: str, message: str) -> HTMLResponse:
    return PAGES.error_page(status_code, title, message)


async def _load_scope(page: Page) -> None:
    """The schools in reach, the one being worked on (cookie), and the school year (``annee``)."""
    try:
        page.schools = await page.work.read(visible_schools)
    except PermissionDenied:
        page.schools = []
    wanted = parse_id(page.request.cookies.get(SCHOOL_COOKIE))
    page.school = next((s for s in page.schools if s.id == wanted), None) or (
        page.schools[0] if page.schools else None
    )
    page.years = await page.work.read(school_years)
    wanted_year = parse_id(page.request.query_params.get("annee"))
    # The working school's current year by default: it may have switched before its académie.
    current_id = page.school.current_year_id if page.school else None
    page.current_year = next((y for y in page.years if y.id == current_id), None) or next(
        (y for y in page.years if y.state is SchoolYearState.CURRENT), None
    )
    page.year = (
        next((y for y in page.years if y.id == wanted_year), None)
        or page.current_year
        or (page.years[0] if page.years else None)
    )


Handler = Callable[[Page], Awaitable[Response]]


def page_handler(
    destination: Destination,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wraps a page of ``destination``: refused (403) to whoever may not go there."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            caller = await identify(request)
            if caller is None:
                return login_redirect(request)
            services = services_of(request)
            if request.method == "POST" and (
                await csrf.checked_form(request, caller.session.csrf_token) is None
            ):
                return csrf.refused(anonymous_error)
            async with Work.of(services, caller.principal) as work:
                page = Page(request, services, caller, work, destination.key)
                await _load_scope(page)
                try:
                    page.require(destination)
                    response = await handler(page)
                    # Reads of full records were recorded in the read session (and first
                    # uses may have stored defaults): written before answering.
                    await work.commit()
                    return response
                except NotFound:
                    return page.error(
                        404,
                        "Page introuvable",
                        "Cette fiche n'existe pas ou ne fait pas partie de votre périmètre.",
                    )
                except PermissionDenied:
                    return page.error(
                        403,
                        "Accès refusé",
                        "Votre profil ne permet pas d'accéder à cette page.",
                    )

        return endpoint

    return decorate
