"""Static assets of the staff portal: the DSFR from the repository's node_modules, and our own CSS.

Nothing is fetched from a CDN: the browser gets every file from this server.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api.settings import PROJECT_ROOT

DSFR_DIST = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
OWN_STATIC = Path(__file__).resolve().parent / "static"
DSFR_URL = "/static/dsfr"
OWN_URL = "/static/etablissement"


class AssetsMissing(RuntimeError):
    """The DSFR package is not installed beside the project."""


def dsfr_dist(root: Path | None = None) -> Path:
    """The DSFR ``dist`` folder; raises with the command to run when it is missing."""
    dist = (root / "node_modules" / "@gouvfr" / "dsfr" / "dist") if root else DSFR_DIST
    if not (dist / "dsfr.min.css").is_file():
        raise AssetsMissing(
            f"Le système de design de l'État (DSFR) est introuvable dans {dist}. "
            "Lancez `npm ci` à la racine du dépôt pour l'installer."
        )
    return dist


def static_mounts() -> list[Mount]:
    return [
        Mount(DSFR_URL, app=StaticFiles(directory=dsfr_dist()), name="dsfr"),
        Mount(OWN_URL, app=StaticFiles(directory=OWN_STATIC), name="etablissement-static"),
    ]
