"""/eleves/arrivee: school B's principal receives Éloïse from school A; the search shows what
identifies her only, a refused take names its field and changes nothing, the record then
spans both schools, and both schools' journals show the transfer."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.enrollments import Enrollment
from tests.portals.conftest import Portal
from tests.portals.test_etablissement_audit import table_of
from tests.portals.test_etablissement_pages import text_of

ARRIVAL = "/eleves/arrivee"
BY_NAME = {"family_name": "elan", "first_name": "ELOISE", "birth_date": "30/06/2015", "ine": ""}


async def _enrollments(sessionmaker) -> list[tuple[object, ...]]:
    async with sessionmaker() as session:
        rows = await session.scalars(select(Enrollment).order_by(Enrollment.id))
        return [(e.id, e.school_id, e.exit_date, e.exit_reason) for e in rows]


async def test_only_who_may_receive_sees_the_page(portal: Portal, other_portal: Portal):
    await portal.login("principal_b")
    search = await portal.get("/eleves")
    assert f'href="{ARRIVAL}"' in search.text
    page = await portal.get(ARRIVAL)
    assert page.status_code == 200
    assert "Arrivée d'un élève d'un autre établissement" in text_of(page.text)
    await other_portal.login("cpe_a")
    assert f'href="{ARRIVAL}"' not in (await other_portal.get("/eleves")).text
    assert (await other_portal.get(ARRIVAL)).status_code == 403


async def test_the_search_shows_what_identifies_her_only(portal: Portal):
    world = portal.world
    await portal.login("principal_b")
    found = await portal.post_form(ARRIVAL, ARRIVAL, {**BY_NAME, "action": "rechercher"})
    assert found.status_code == 200
    text = text_of(found.text)
    assert "ÉLAN Éloïse" in text and "30/06/2015" in text
    assert "Collège Jean Moulin (0930001" in text and "6EME" in text
    # Nothing more: no guardian, address, INE.
    for hidden in ("Sophie", "rue de Paris", "INE 1"):
        assert hidden not in text
    assert f'value="{world.students["eloise"]}"' in found.text
    # Without criteria: the error names the INE field and links to it.
    refused = await portal.post_form(ARRIVAL, ARRIVAL, {"action": "rechercher"})
    assert refused.status_code == 400
    assert 'href="#champ-ine"' in refused.text
    assert re.search(r'id="champ-ine"[^>]*aria-invalid="true"', refused.text)


async def test_taking_her_file(portal: Portal, other_portal: Portal, sessionmaker):
    world = portal.world
    eloise = world.students["eloise"]
    await portal.login("principal_b")
    take = {
        **BY_NAME,
        "action": "prendre",
        "student_id": str(eloise),
        "school_year_id": str(world.year_id),
        "mef_id": "",
        "division_id": str(world.division_b1),
        "regime": "externe",
        "entry_date": "07/12/2026",
    }
    before = await _enrollments(sessionmaker)
    refused = await portal.post_form(ARRIVAL, ARRIVAL, take)
    assert refused.status_code == 400
    assert "Le dossier n'a pas été pris" in text_of(refused.text)
    assert 'href="#champ-mef_id"' in refused.text
    assert await _enrollments(sessionmaker) == before

    taken = await portal.post_form(ARRIVAL, ARRIVAL, {**take, "mef_id": str(world.mef_6)})
    assert taken.status_code == 303, taken.text
    assert taken.headers["location"] == f"/eleves/{eloise}?enregistre=arrivee#titre-scolarite"
    record = text_of((await portal.get(taken.headers["location"])).text)
    assert "Le dossier de l'élève a été pris" in record
    assert "Sophie" in record  # her guardian came with her, not retyped
    assert "Collège Louise Michel" in record and "Collège Jean Moulin" in record
    assert "Changement d'établissement" in record

    # The former school: her history says where she went; its journal shows the transfer.
    await other_portal.login("principal_a")
    seen = text_of((await other_portal.get(f"/eleves/{eloise}")).text)
    assert "Collège Louise Michel" in seen and "06/12/2026" in seen
    journal = table_of((await other_portal.get("/journal", params={"action": "transfer"})).text)
    assert "Changement d'établissement" in journal
    assert "Départ vers Collège Louise Michel" in journal and "Sortie le 06/12/2026" in journal
    assert "Principal B" in journal
    # The receiving school's journal: the arrival and the searches.
    journal = table_of((await portal.get("/journal")).text)
    assert "Arrivée de Collège Jean Moulin" in journal
    assert "Recherche" in journal and "par nom, prénom et date de naissance" in journal
