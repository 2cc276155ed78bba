"""Families portal (Sconet Télé-services): home page, health check, and its trust zone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from api.settings import load_settings
from portals.familles.app import create_familles_app


def _settings(tmp_path: Path):
    return load_settings({"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": "k" * 40})


async def test_home_and_health(tmp_path: Path) -> None:
    app = create_familles_app(_settings(tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://familles") as client:
        home = await client.get("/")
        assert home.status_code == 200
        assert "Sconet Télé-services — Espace familles" in home.text
        assert "CAR" in home.text and "CAE" in home.text
        assert "date de naissance" in home.text
        assert "/static/dsfr/dsfr.min.css" in home.text
        assert "unsafe-inline" not in home.headers["content-security-policy"]
        health = await client.get("/sante")
        assert health.status_code == 200 and health.text == "ok"
        assert (await client.get("/static/dsfr/dsfr.min.css")).status_code == 200
        assert (await client.get("/static/familles/familles.css")).status_code == 200
        # Nothing of the staff side is served here.
        assert (await client.get("/eleves")).status_code == 404
        assert (await client.get("/graphql")).status_code == 404


def test_families_portal_never_loads_the_admin_side() -> None:
    code = (
        "import sys, portals.familles.app as m; "
        "print(sorted(n for n in sys.modules if n == 'db' or n.startswith(('db.', 'api.resolvers', "
        "'api.auth', 'portals.etablissement'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert out.stdout.strip() == "[]"
