"""Jinja2 rendering of the staff portal's pages: its templates and filters over the shell's
environment (``portals.common.rendering``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse

from portals.common.rendering import Templates, environment
from portals.etablissement import labels

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
OWN_URL = "/static/etablissement"

PAGES = Templates(
    environment(
        TEMPLATES,
        OWN_URL,
        {
            "sex": lambda v: labels.label_of(labels.SEX, v),
            "sex_short": lambda v: labels.label_of(labels.SEX_SHORT, v),
            "regime": lambda v: labels.label_of(labels.REGIME, v),
            "exit_reason": lambda v: labels.label_of(labels.EXIT_REASON, v),
            "passage_outcome": lambda v: labels.label_of(labels.PASSAGE_OUTCOME, v),
            "relationship": lambda v: labels.label_of(labels.RELATIONSHIP, v),
            "school_kind": lambda v: labels.label_of(labels.SCHOOL_KIND, v),
            "responsibility": labels.responsibility,
            "country": labels.country,
            "thousands": lambda n: f"{n:,}".replace(",", "\u202f"),
        },
    ),
    # Before signing in (and on the middlewares' error pages): no menu, no member's tools.
    anonymous={"page": None},
)


def render(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return PAGES.render(template, context, status_code)
