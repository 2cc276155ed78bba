"""Jinja2 rendering of the families portal's pages (their security headers:
``portals.security_headers``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from families.accounts import FamilyAccount, FamilySession

# The signed-in member (his account and this browser's session), or None when anonymous.
Member = tuple[FamilyAccount, FamilySession] | None

HERE = Path(__file__).resolve().parent
DSFR_URL = "/static/dsfr"
OWN_URL = "/static/familles"


def date_fr(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def decimal_fr(value: Any) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.globals.update(DSFR_URL=DSFR_URL, OWN_URL=OWN_URL)
_templates.filters.update(date_fr=date_fr, decimal_fr=decimal_fr)


def render(
    template: str, status_code: int = 200, *, member: Member, **context: Any
) -> HTMLResponse:
    """Every page through here, so that each one has what the common layout needs: the member
    (his menu) and the token of the forms, the sign-out one included; anonymous pages pass
    the token of their own forms."""
    account, session = member if member is not None else (None, None)
    context.setdefault("csrf", session.csrf_token if session is not None else "")
    html = _templates.get_template(template).render(member=account, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
