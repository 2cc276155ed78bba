"""Jinja2 rendering of the portal's pages (their security headers: ``portals.security_headers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from portals.etablissement import labels
from portals.etablissement.assets import DSFR_URL, OWN_URL

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = labels.date_fr
    env.filters["sex"] = lambda v: labels.label_of(labels.SEX, v)
    env.filters["sex_short"] = lambda v: labels.label_of(labels.SEX_SHORT, v)
    env.filters["regime"] = lambda v: labels.label_of(labels.REGIME, v)
    env.filters["exit_reason"] = lambda v: labels.label_of(labels.EXIT_REASON, v)
    env.filters["relationship"] = lambda v: labels.label_of(labels.RELATIONSHIP, v)
    env.filters["school_kind"] = lambda v: labels.label_of(labels.SCHOOL_KIND, v)
    env.filters["responsibility"] = labels.responsibility
    env.filters["country"] = labels.country
    env.filters["thousands"] = lambda n: f"{n:,}".replace(",", "\u202f")
    env.globals["DSFR_URL"] = DSFR_URL
    env.globals["OWN_URL"] = OWN_URL
    return env


ENVIRONMENT = _environment()


def render(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = ENVIRONMENT.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)
