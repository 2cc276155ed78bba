"""The families portal (Sconet Télé-services): parents and students, outside the staff trust zone.

This process never reaches the admin database: it imports nothing from ``db``
or ``api.resolvers`` and will read only the télé-services database (package
``tsdb``), which replication fills with what families may see. For now it
serves the home page explaining how an account is created, and ``/sante``.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from api.settings import PROJECT_ROOT, Settings
from portals.security_headers import SecurityHeaders

HERE = Path(__file__).resolve().parent
DSFR_DIST = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
DSFR_URL = "/static/dsfr"
OWN_URL = "/static/familles"

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.globals.update(DSFR_URL=DSFR_URL, OWN_URL=OWN_URL)


class AssetsMissing(RuntimeError):
    """The DSFR package is not installed beside the project."""


def _dsfr_dist() -> Path:
    if not (DSFR_DIST / "dsfr.min.css").is_file():
        raise AssetsMissing(
            f"Le système de design de l'État (DSFR) est introuvable dans {DSFR_DIST}. "
            "Lancez `npm ci` à la racine du dépôt pour l'installer."
        )
    return DSFR_DIST


def _render(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


async def home(_request: Request) -> Response:
    return _render("home.html")


async def health(_request: Request) -> Response:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


def familles_routes() -> list[BaseRoute]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/sante", health, methods=["GET"]),
        Mount(DSFR_URL, app=StaticFiles(directory=_dsfr_dist()), name="dsfr"),
        Mount(OWN_URL, app=StaticFiles(directory=HERE / "static"), name="familles-static"),
    ]


def create_familles_app(settings: Settings) -> Starlette:
    """The families portal application; ``settings`` will give it the télé-services database."""
    app = Starlette(
        routes=familles_routes(),
        middleware=[Middleware(SecurityHeaders, https_only=settings.cookie_secure)],
    )
    app.state.settings = settings
    return app
