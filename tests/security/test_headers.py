"""Every response of both portals and the API carries the security headers; templates hold no
inline script or style, so the strict Content-Security-Policy never needs an exception."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import PROJECT_ROOT, load_settings
from portals.familles.app import create_familles_app
from tests.portals.conftest import make_client

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
DOCUMENTS = {
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


def assert_hardened(response: httpx.Response, *, static: bool = False) -> None:
    expected = EXPECTED if static else EXPECTED | DOCUMENTS
    for name, value in expected.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    if static:
        # An SVG served with the page policy would have its own <style> blocked.
        assert "content-security-policy" not in response.headers
        assert response.headers.get("cache-control") != "no-store"
        return
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in response.headers["permissions-policy"]


async def test_every_kind_of_staff_response_is_hardened(portal, world):
    anonymous = [
        await portal.get("/connexion"),
        await portal.get("/eleves"),  # redirect to the login page
        await portal.get("/page-inconnue", headers={"accept": "text/html"}),
        await portal.http.post("/graphql", json={"query": "{ schools { id } }"}),
        await portal.http.post("/api/session", json={"login": "x", "password": "y"}),
    ]
    for response in anonymous:
        assert_hardened(response)
    await portal.login("principal_a")
    signed_in = [
        await portal.get("/"),
        await portal.get(f"/eleves/{world.students['lina']}"),
        await portal.get(f"/exports/students.csv?division={world.division_a1}"),
    ]
    for response in signed_in:
        assert response.status_code == 200, response.request.url
        assert_hardened(response)
    static = await portal.get("/static/dsfr/dsfr.min.css")
    assert static.status_code == 200
    assert_hardened(static, static=True)
    assert_hardened(await portal.get("/static/dsfr/favicon/favicon.svg"), static=True)


@pytest.mark.parametrize("secure", [True, False])
async def test_hsts_only_when_served_over_https(settings, tmp_path, secure):
    env = {
        "SCONET_DATABASE_URL": settings.database_url,
        "SCONET_TS_DATABASE_URL": settings.ts_database_url,
        "SCONET_SECRET_KEY": settings.secret_key,
        "SCONET_VAR_DIR": str(tmp_path),
        "SCONET_PUBLIC_URL": settings.public_url,
        "SCONET_COOKIE_SECURE": "true" if secure else "false",
    }
    app = create_app(load_settings(env))
    try:
        async with make_client(app) as http:
            response = await http.get("/connexion")
        assert ("strict-transport-security" in response.headers) is secure
    finally:
        await app.state.services.engine.dispose()


async def test_every_families_response_is_hardened(tmp_path: Path):
    app = create_familles_app(
        load_settings({"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": "k" * 40})
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://familles") as client:
        for path in ("/", "/sante", "/inconnue"):
            assert_hardened(await client.get(path))
        assert_hardened(await client.get("/static/dsfr/dsfr.min.css"), static=True)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def test_no_template_holds_inline_script_handlers_or_styles():
    templates = sorted((PROJECT_ROOT / "portals").glob("**/templates/**/*.html"))
    assert len(templates) > 5
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE):
            match = pattern.search(text)
            assert match is None, f"{template.relative_to(PROJECT_ROOT)}: {match.group(0)!r}"
