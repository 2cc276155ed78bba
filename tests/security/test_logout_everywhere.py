"""Logging out of every session at once, from the portal or the API."""

from __future__ import annotations

from sqlalchemy import select

from api.auth.sessions import COOKIE_NAME
from db.audit import AuditEntry
from tests.portals.conftest import csrf_of, make_client
from tests.world import PASSWORD


async def _api_token(http, login: str) -> str:
    response = await http.post("/api/session", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


async def _signed_in(http, token: str) -> bool:
    response = await http.post(
        "/graphql",
        json={"query": "{ schools { id } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    return response.status_code == 200


async def test_the_portal_closes_every_session_of_the_user_only(app, portal, world, sessionmaker):
    async with make_client(app) as other:
        api_token = await _api_token(other, "principal_a")
        colleague = await _api_token(other, "registrar_a")
        await portal.login("principal_a")
        home = await portal.get("/")
        assert "Se déconnecter partout" in home.text
        # Without the page's CSRF token nothing happens.
        refused = await portal.http.post("/deconnexion-partout", data={"csrf_token": "x"})
        assert refused.status_code == 403
        assert await _signed_in(other, api_token)
        done = await portal.http.post(
            "/deconnexion-partout", data={"csrf_token": csrf_of(home.text)}
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/connexion?deconnexion=partout"
        assert "toutes vos sessions" in (await portal.get(done.headers["location"])).text.lower()
        assert (await portal.get("/")).status_code == 303
        assert not await _signed_in(other, api_token)
        assert await _signed_in(other, colleague)
    async with sessionmaker() as session:
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "logout_all"))
        ).all()
        assert entry.actor_id == world.users["principal_a"] and entry.after == {"sessions": 2}


async def test_the_api_closes_every_session(app, portal, world):
    await portal.login("cpe_a")
    async with make_client(app) as http:
        first = await _api_token(http, "cpe_a")
        second = await _api_token(http, "cpe_a")
        response = await http.delete("/api/sessions", headers={"authorization": f"Bearer {first}"})
        assert response.status_code == 200 and response.json() == {"closedSessions": 3}
        assert not await _signed_in(http, second)
        again = await http.delete("/api/sessions", headers={"authorization": f"Bearer {first}"})
        assert again.status_code == 401
    assert (await portal.get("/")).status_code == 303


async def test_a_cookie_caller_needs_the_csrf_header(app, portal):
    await portal.login("cpe_a")
    assert portal.http.cookies.get(COOKIE_NAME)
    refused = await portal.http.delete("/api/sessions")
    assert refused.status_code == 403 and refused.json()["error"] == "csrf"
    assert (await portal.get("/")).status_code == 200
