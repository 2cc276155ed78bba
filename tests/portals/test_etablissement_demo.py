"""Every page of the staff portal on the demo académie, for each demo role."""

from __future__ import annotations

import re

import pytest

from api.demo import DEMO_PASSWORD
from tests.portals.conftest import Portal, make_client


@pytest.mark.parametrize(
    "login",
    [
        "demo.principal",
        "demo.secretariat",
        "demo.cpe",
        "demo.enseignant",
        "demo.gestionnaire",
        "demo.rectorat",
    ],
)
async def test_every_page_renders_for_every_role(app, demo, login: str) -> None:
    async with make_client(app) as http:
        portal = Portal(http, None)  # type: ignore[arg-type]
        signed_in = await portal.login(login, DEMO_PASSWORD)
        assert signed_in.status_code == 303, signed_in.text
        pages = [
            "/",
            "/eleves",
            "/eleves?tri=naissance",
            f"/eleves?division={demo['division']}",
            "/divisions",
            f"/divisions/{demo['division']}",
            "/statistiques",
            f"/eleves/{demo['student']}",
            "/compte",
            "/delegations",
        ]
        for path in pages:
            response = await portal.get(path)
            expected = {200}
            if path == "/delegations" and login != "demo.principal":
                expected = {403}
            if path == "/statistiques" and login == "demo.enseignant":
                expected = {403}
            if path.startswith("/eleves/") and login == "demo.enseignant":
                expected = {200, 404}  # only the students of the divisions taught
            assert response.status_code in expected, f"{login} {path}: {response.status_code}"
        listing = await portal.get("/eleves")
        total = re.search(r"([\d\u202f]+) élèves trouvés", listing.text)
        if login != "demo.enseignant":
            assert total is not None and int(total.group(1).replace("\u202f", "")) > 100


async def test_the_academy_administrator_sees_the_pages_of_the_role(app, demo) -> None:
    async with make_client(app) as http:
        portal = Portal(http, None)  # type: ignore[arg-type]
        assert (await portal.login("demo.admin", DEMO_PASSWORD)).status_code == 303
        for path, expected in [
            ("/", 200),
            ("/compte", 200),
            ("/journal", 200),
            ("/delegations", 403),
        ]:
            response = await portal.get(path)
            assert response.status_code == expected, f"{path}: {response.status_code}"
        account = await portal.get("/compte")
        assert "Exigence académique" in account.text
        home = await portal.get("/")
        assert 'href="/journal"' in home.text and 'href="/eleves"' not in home.text
