"""Static assets of both portals: the DSFR from the repository's node_modules, and each
portal's own CSS.

Nothing is fetched from a CDN: the browser gets every file from the portal's own server.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api.settings import PROJECT_ROOT

DSFR_DIST = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
DSFR_URL = "/static/dsfr"
# The shell's own files (portals/common/static): what both portals' layout needs beyond the
# DSFR (reflow rules, keyboard access to the tables that scroll).
COMMON_STATIC = Path(__file__).resolve().parent / "static"
COMMON_URL = "/static/commun"


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


def static_mounts(own_url: str, own_folder: Path, name: str) -> list[Mount]:
    """The DSFR at ``DSFR_URL``, the shell's files at ``COMMON_URL`` and the portal's own
    files at ``own_url``."""
    return [
        Mount(DSFR_URL, app=StaticFiles(directory=dsfr_dist()), name="dsfr"),
        Mount(COMMON_URL, app=StaticFiles(directory=COMMON_STATIC), name="commun"),
        Mount(own_url, app=StaticFiles(directory=own_folder), name=name),
    ]
