"""The HTTP access log names the path, never the query: no searched name, INE or token."""

from __future__ import annotations

import logging

import httpx

from portals.familles.app import create_familles_app

NAME = "DUPONTSECRET"
INE = "123456789AB"
TOKEN = "jeton-tres-secret-0123456789"


def _access_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "sconet.access"]


async def test_staff_requests_are_logged_without_their_query(portal, caplog):
    await portal.login("principal_a")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sconet.access"):
        answer = await portal.get(f"/eleves?nom={NAME}&ine={INE}&jeton={TOKEN}")
    assert answer.status_code == 200
    lines = _access_lines(caplog)
    assert lines == ['"GET /eleves" 200 ' + lines[0].rsplit(" ", 2)[1] + " ms"]
    everything = caplog.text + " ".join(lines)
    for secret in (NAME, INE, TOKEN):
        assert secret not in everything


async def test_family_tokens_are_not_logged(settings, caplog):
    app = create_familles_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as client:
            with caplog.at_level(logging.INFO, logger="sconet.access"):
                await client.get(f"/confirmer?jeton={TOKEN}")
                await client.get(f"/nouveau-mot-de-passe?jeton={TOKEN}")
    finally:
        await app.state.ts_engine.dispose()
    lines = _access_lines(caplog)
    assert [line.split('"')[1] for line in lines] == [
        "GET /confirmer",
        "GET /nouveau-mot-de-passe",
    ]
    assert TOKEN not in caplog.text
