"""No internal error text reaches a client; a database outage answers 503 and stops start-up.

Each surface (GraphQL, an API endpoint, both portals) is made to fail with an
exception whose text stands for leaked SQL: the answer is a generic message
with a reference, and the log has the reference with the traceback.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import httpx
import pytest
from click.testing import CliRunner

from api.app import create_app
from api.auth.sessions import COOKIE_NAME
from portals.familles.app import create_familles_app
from portals.familles.pages import SESSION_COOKIE
from tests.portals.familles.family_steps import CSRF

SECRET = "SECRET SQL TEXT"
REFERENCE = re.compile(r"référence ([0-9A-F]{8})")
# A PostgreSQL port nobody listens on, and a SQLite file in a folder that does not exist.
UNREACHABLE = {
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:1/sconet",
    "sqlite": "sqlite+aiosqlite:////nonexistent-sconet-folder/sconet.sqlite3",
}


def _explode(*_args, **_kwargs):
    raise RuntimeError(f"{SECRET}: INSERT INTO students (ine) VALUES ('123456789AB')")


def _logged_with_traceback(caplog, reference: str) -> None:
    records = [r for r in caplog.records if reference in r.getMessage()]
    assert records, f"reference {reference} not logged"
    assert records[0].exc_info is not None
    assert SECRET in caplog.text  # the traceback is in the log, and only there


async def test_graphql_masks_an_unexpected_exception(gql, monkeypatch, caplog):
    from api.schema import schools

    monkeypatch.setattr(schools.resolvers, "visible_schools", _explode)
    with caplog.at_level(logging.INFO):
        response = await gql.raw("principal_a", "{ schools { uai } }")
    assert SECRET not in response.text and "INSERT" not in response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    reference = error["extensions"]["reference"]
    assert error["message"].startswith(f"Erreur interne (référence {reference})")
    _logged_with_traceback(caplog, reference)


async def test_an_api_endpoint_answers_a_reference(gql, monkeypatch, caplog):
    from api.endpoints import api_session

    monkeypatch.setattr(api_session, "authenticate_throttled", _explode)
    with caplog.at_level(logging.INFO):
        response = await gql.http.post(
            "/api/session", json={"login": "principal_a", "password": "x"}
        )
    assert response.status_code == 500
    assert SECRET not in response.text
    body = response.json()
    assert body["error"] == "internal_server_error"
    assert f"référence {body['reference']}" in body["message"]
    _logged_with_traceback(caplog, body["reference"])


async def test_the_staff_portal_answers_a_french_page_with_a_reference(portal, monkeypatch, caplog):
    from portals.etablissement import web

    await portal.login("principal_a")
    monkeypatch.setattr(web, "visible_schools", _explode)
    with caplog.at_level(logging.INFO):
        response = await portal.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Erreur interne" in response.text and SECRET not in response.text
    assert response.headers["x-frame-options"] == "DENY"  # inside the security headers
    _logged_with_traceback(caplog, REFERENCE.search(response.text).group(1))


async def test_the_families_portal_answers_a_french_page_with_a_reference(
    settings, monkeypatch, caplog
):
    from portals.familles import pages

    monkeypatch.setattr(pages, "_anonymous_token", _explode)
    app = create_familles_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as client:
            with caplog.at_level(logging.INFO):
                response = await client.get("/", headers={"Accept": "text/html"})
    finally:
        await app.state.ts_engine.dispose()
    assert response.status_code == 500
    assert "Erreur interne" in response.text and SECRET not in response.text
    _logged_with_traceback(caplog, REFERENCE.search(response.text).group(1))


async def test_health_endpoints_answer_ok_when_their_database_answers(settings, app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        assert (await http.get("/sante")).text == "ok"
    families = create_familles_app(settings)
    try:
        transport = httpx.ASGITransport(app=families)
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as http:
            assert (await http.get("/sante")).text == "ok"
    finally:
        await families.state.ts_engine.dispose()


@pytest.fixture(params=sorted(UNREACHABLE))
def unreachable(request):
    return UNREACHABLE[request.param]


async def test_the_staff_app_answers_503_while_its_database_is_down(settings, unreachable):
    app = create_app(replace(settings, database_url=unreachable))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            health = await http.get("/sante")
            session = await http.post("/api/session", json={"login": "a", "password": "b"})
            # A signed-in browser: its session is looked up in the database that is down.
            page = await http.get(
                "/eleves",
                headers={"Accept": "text/html", "Cookie": f"{COOKIE_NAME}=un-jeton-de-session"},
            )
    finally:
        await app.state.services.engine.dispose()
    assert (health.status_code, health.text) == (503, "indisponible")
    assert session.status_code == 503
    assert session.json()["error"] == "service_unavailable"
    assert session.json()["message"].startswith("Service momentanément indisponible")
    assert "127.0.0.1" not in session.text and "sqlite" not in session.text.lower()
    assert page.status_code == 503 and "indisponible" in page.text


async def test_the_families_app_answers_503_while_its_database_is_down(settings, unreachable):
    app = create_familles_app(replace(settings, ts_database_url=unreachable))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as http:
            health = await http.get("/sante")
            home = await http.get(
                "/enfants",
                headers={"Accept": "text/html", "Cookie": f"{SESSION_COOKIE}=un-jeton-de-session"},
            )
    finally:
        await app.state.ts_engine.dispose()
    assert (health.status_code, health.text) == (503, "indisponible")
    assert home.status_code == 503
    assert "Service momentanément indisponible" in home.text
    assert CSRF.search(home.text) is None


@pytest.mark.parametrize("variable", ["SCONET_DATABASE_URL", "SCONET_TS_DATABASE_URL"])
def test_serve_refuses_to_start_naming_the_unreachable_database(
    settings, unreachable, variable, monkeypatch, tmp_path
):
    import uvicorn

    from api import cli

    def no_server(*_args, **_kwargs):
        raise AssertionError("no server may start without its databases")

    monkeypatch.setattr(uvicorn, "Server", no_server)
    env = {
        "SCONET_DATABASE_URL": settings.database_url,
        "SCONET_TS_DATABASE_URL": settings.ts_database_url,
        "SCONET_SECRET_KEY": settings.secret_key,
        "SCONET_PUBLIC_URL": settings.public_url,
        "SCONET_VAR_DIR": str(tmp_path),
        variable: unreachable,
    }
    result = CliRunner().invoke(cli.main, ["serve", "--no-worker"], env=env)
    assert result.exit_code != 0
    assert f"({variable}) est injoignable" in result.output
