"""Jinja2 rendering of the families portal's pages: its templates and filters over the
shell's environment (``portals.common.rendering``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse

from core.money import format_euros
from families.accounts import FamilyAccount, FamilySession
from portals.common.rendering import Templates, environment

# The signed-in member (his account and this browser's session), or None when anonymous.
Member = tuple[FamilyAccount, FamilySession] | None

HERE = Path(__file__).resolve().parent
OWN_URL = "/static/familles"


def decimal_fr(value: Any) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def balance_fr(balance: Decimal) -> str:
    """What a balance means to the family: positive it owes, negative it has a credit."""
    if balance > 0:
        return f"Vous devez {format_euros(balance)}"
    if balance < 0:
        return f"Votre compte est créditeur de {format_euros(-balance)}"
    return "À jour"


PAGES = Templates(
    environment(
        HERE / "templates",
        OWN_URL,
        {"decimal_fr": decimal_fr, "euros": format_euros, "balance_fr": balance_fr},
    ),
    # Before signing in (and on the middlewares' error pages): the links to sign in.
    anonymous={"member": None, "csrf": ""},
)


def _layout_context(member: Member, context: dict[str, Any]) -> dict[str, Any]:
    """What the layout needs: the member (his menu) and the token of the forms, the sign-out
    one included; anonymous pages pass the token of their own forms."""
    account, session = member if member is not None else (None, None)
    context.setdefault("csrf", session.csrf_token if session is not None else "")
    return {**context, "member": account}


def render(
    template: str, status_code: int = 200, *, member: Member, **context: Any
) -> HTMLResponse:
    """Every page through here, so that each one has what the layout needs."""
    return PAGES.render(template, _layout_context(member, context), status_code)


def error_page(
    status_code: int, title: str, message: str, *, member: Member = None
) -> HTMLResponse:
    """The shell's error page, with the member's menu when he is signed in."""
    return PAGES.error_page(status_code, title, message, **_layout_context(member, {}))
