"""The home page of each demo role: a tile for each thing the role does, nothing it cannot do."""

from __future__ import annotations

import re
from html import unescape

import pytest

from api.demo import DEMO_PASSWORD
from tests.portals.conftest import Portal, make_client
from tests.portals.test_etablissement_pages import text_of

TILE = re.compile(r'<h3 class="fr-tile__title"><a href="([^"]+)">([^<]+)</a></h3>')
SCHOOL_DAILY = {"/eleves": "Rechercher un élève", "/divisions": "Divisions et groupes"}
STATISTICS = {"/absences/statistiques": "Absentéisme", "/statistiques": "Statistiques"}
# Imports for who writes the school's students, exports for who may export them too.
EXCHANGES = {"/echanges": "Échanges avec SIECLE et STS-WEB"}
ABSENCES = {"/absences/appel": "Faire l'appel", "/absences": "Absences de la semaine"}
# Launched and read by the school's principal and secretariat, consolidated by the rectorat.
HEADCOUNTS = {"/constat": "Constat de rentrée"}
# Who grades: the principal every class of his school, a teacher the classes he teaches.
GRADES = {"/notes": "Notes"}

LIAISONS = {"/liaisons": "Tableau de bord des liaisons"}
PASSAGE = {"/passage": "Passage et année en préparation"}
EXPECTED_TILES = {
    "demo.principal": {
        **ABSENCES,
        **GRADES,
        "/absences/a-contacter": "Familles à contacter",
        "/teleservices": "Télé-services",
        **SCHOOL_DAILY,
        **STATISTICS,
        **HEADCOUNTS,
        **EXCHANGES,
        **LIAISONS,
        "/journal": "Journal des accès et modifications",
        "/delegations": "Délégations",
        "/nomenclatures": "Nomenclatures de l'établissement",
        "/rentree": "Rentrée",
        "/comptes": "Comptes des personnels",
        **PASSAGE,
        "/finances": "Finances",
        "/bourses": "Bourses",
    },
    "demo.secretariat": {
        **PASSAGE,
        "/teleservices": "Télé-services",
        **SCHOOL_DAILY,
        **STATISTICS,
        **HEADCOUNTS,
        **EXCHANGES,
        **LIAISONS,
    },
    "demo.cpe": {
        **ABSENCES,
        "/absences/a-contacter": "Familles à contacter",
        **SCHOOL_DAILY,
        **STATISTICS,
        **EXCHANGES,
    },
    "demo.enseignant": {
        **ABSENCES,
        **GRADES,
        **SCHOOL_DAILY,
        "/absences/statistiques": "Absentéisme",
    },
    "demo.gestionnaire": {
        **SCHOOL_DAILY,
        **STATISTICS,
        "/finances": "Finances",
        "/bourses": "Bourses",
    },
    "demo.rectorat": {
        **SCHOOL_DAILY,
        **STATISTICS,
        **LIAISONS,
        **HEADCOUNTS,
        "/journal": "Journal des accès et modifications",
        "/rentree": "Rentrée",
    },
    "demo.admin": {
        **EXCHANGES,
        "/journal": "Journal des accès et modifications",
        "/rentree": "Rentrée",
        "/etablissements": "Établissements de l'académie",
        "/annees": "Années scolaires",
        "/comptes": "Comptes des personnels",
        "/clients": "Clients de l'API",
    },
}
EVERY_TILE = {path for tiles in EXPECTED_TILES.values() for path in tiles}


@pytest.mark.parametrize("login", sorted(EXPECTED_TILES))
async def test_each_role_gets_the_tiles_it_may_use_and_no_other(app, demo, login: str) -> None:
    async with make_client(app) as http:
        portal = Portal(http, None)  # type: ignore[arg-type]
        assert (await portal.login(login, DEMO_PASSWORD)).status_code == 303
        home = await portal.get("/")
        assert home.status_code == 200
        tiles = {path: unescape(title) for path, title in TILE.findall(home.text)}
        assert tiles == EXPECTED_TILES[login]
        for path in tiles:
            response = await portal.get(path)
            assert response.status_code == 200, f"{login} {path}: {response.status_code}"
        # What the role may not do is refused, not only hidden: the menu and the guards
        # read the same table.
        for path in EVERY_TILE - set(tiles):
            response = await portal.get(path)
            assert response.status_code == 403, f"{login} {path}: {response.status_code}"
            assert f'href="{path}"' not in home.text


async def test_the_academy_administrator_home_and_journal_need_no_school(app, demo) -> None:
    async with make_client(app) as http:
        portal = Portal(http, None)  # type: ignore[arg-type]
        assert (await portal.login("demo.admin", DEMO_PASSWORD)).status_code == 303
        home = text_of((await portal.get("/")).text)
        assert re.search(r"Bonjour \w", home), home[:400]
        assert "Administrateur académique" in home
        assert "Aucun établissement" not in home, home
        journal = await portal.get("/journal")
        assert journal.status_code == 200
        text = text_of(journal.text)
        assert "pour toute l'académie" in text
        assert ", ," not in text
        assert "Aucun établissement" not in text
