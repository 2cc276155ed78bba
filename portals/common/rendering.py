"""The Jinja environment of both portals and the rendering of their pages and error pages.

A portal's templates are looked up in its own folder first, then in the shell's
(``portals/common/templates``: the DSFR ``layout.html`` every portal's ``base.html``
extends, and ``error.html``). Autoescaped, and an undefined name is an error rather than
an empty string. Security headers are added by ``portals.common.security_headers``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from portals.common.assets import COMMON_URL, DSFR_URL

COMMON_TEMPLATES = Path(__file__).resolve().parent / "templates"
ERROR_TEMPLATE = "error.html"


def date_fr(value: date | datetime | None) -> str:
    """DD/MM/YYYY, or an empty string."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def environment(
    folder: Path, own_url: str, filters: Mapping[str, Callable[..., Any]] | None = None
) -> Environment:
    """A portal's environment: its ``folder`` before the shell's templates, the shared
    filters and the asset URLs (``DSFR_URL``, ``COMMON_URL`` for the shell's, and ``OWN_URL``
    for the portal's own files)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder), FileSystemLoader(COMMON_TEMPLATES)]),
        autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = date_fr
    env.filters.update(filters or {})
    env.globals.update(DSFR_URL=DSFR_URL, COMMON_URL=COMMON_URL, OWN_URL=own_url)
    return env


class Templates:
    """A portal's pages: ``anonymous`` is what its layout needs when nobody is signed in
    (error pages of the middlewares, pages before signing in)."""

    def __init__(self, env: Environment, anonymous: Mapping[str, Any]) -> None:
        self.environment = env
        self.anonymous = dict(anonymous)

    def render(
        self, template: str, context: Mapping[str, Any], status_code: int = 200
    ) -> HTMLResponse:
        html = self.environment.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status_code)

    def error_page(
        self, status_code: int, title: str, message: str, **context: Any
    ) -> HTMLResponse:
        """The French error page; anonymous unless ``context`` names the signed-in caller.
        Its signature is ``portals.common.failures.ErrorPage``'s, for the middlewares."""
        return self.render(
            ERROR_TEMPLATE,
            {**self.anonymous, **context, "title": title, "message": message},
            status_code,
        )
