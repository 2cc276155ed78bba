"""/clients: the académie administrator registers, rotates and revokes API clients."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.clients import ApiClient
from tests.portals.conftest import csrf_of
from tests.world import uai


async def test_register_show_the_secret_once_and_revoke(portal, sessionmaker):
    await portal.login("admin")
    page = await portal.get("/clients")
    assert page.status_code == 200 and "Aucun client enregistré" in page.text
    bad = await portal.http.post("/clients", data={"csrf_token": csrf_of(page.text), "name": ""})
    assert bad.status_code == 400
    assert "Donnez un nom au client." in bad.text
    assert "Choisissez au moins un établissement." in bad.text
    assert "Choisissez au moins une portée." in bad.text
    done = await portal.http.post(
        "/clients",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "ENT du 93",
            "schools": [uai("0930001")],
            "scopes": ["students:read", "absences:read"],
            "rate": "120",
        },
    )
    assert done.status_code == 200
    secret = re.search(r'id="client-secret">([^<]+)<', done.text).group(1)
    listing = await portal.get("/clients")
    assert "ENT du 93" in listing.text and secret not in listing.text
    async with sessionmaker() as session:
        client = await session.scalar(select(ApiClient))
    assert client.requests_per_minute == 120 and client.scopes == "absences:read students:read"
    rotated = await portal.http.post(
        f"/clients/{client.id}/nouveau-secret", data={"csrf_token": csrf_of(listing.text)}
    )
    assert re.search(r'id="client-secret">([^<]+)<', rotated.text).group(1) != secret
    revoked = await portal.http.post(
        f"/clients/{client.id}/revoquer", data={"csrf_token": csrf_of(listing.text)}
    )
    assert revoked.status_code == 303
    assert "révoqué" in (await portal.get(revoked.headers["location"])).text


async def test_only_the_academy_administrator_reaches_the_page(portal):
    await portal.login("principal_a")
    assert (await portal.get("/clients")).status_code == 403
    assert 'href="/clients"' not in (await portal.get("/")).text


async def test_the_oneroster_scopes_are_offered_and_granted(portal, sessionmaker):
    await portal.login("admin")
    page = await portal.get("/clients")
    for scope, label in (
        ("roster-core.readonly", "OneRoster : établissements"),
        ("roster.readonly", "avec les responsables des élèves"),
        ("roster-demographics.readonly", "données démographiques"),
    ):
        assert f'value="{scope}"' in page.text and label in page.text
    done = await portal.http.post(
        "/clients",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "ENT OneRoster",
            "schools": [uai("0930001")],
            "scopes": ["roster.readonly", "roster-demographics.readonly"],
            "rate": "600",
        },
    )
    assert done.status_code == 200
    async with sessionmaker() as session:
        client = await session.scalar(select(ApiClient))
    assert client.scopes == "roster-demographics.readonly roster.readonly"
