"""Staff portal: editing a student's identity, field-level French errors, concurrency and audit."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from db.audit import AuditEntry
from db.students import Student
from tests.portals.conftest import Portal, csrf_of
from tests.portals.test_etablissement_pages import text_of


def form_fields(html: str) -> dict[str, str]:
    """The text and hidden inputs of the page's edit form, and the checked radio."""
    fields = dict(
        re.findall(
            r'<input class="fr-input[^"]*" type="text" id="[^"]+" name="([^"]+)" value="([^"]*)"',
            html,
        )
    )
    fields["version"] = re.search(r'name="version" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    fields["sex"] = re.search(r'name="sex" value="(\w)" checked', html).group(1)  # type: ignore[union-attr]
    fields["csrf_token"] = csrf_of(html)
    return fields


async def open_form(portal: Portal, student_id: int) -> dict[str, str]:
    response = await portal.get(f"/eleves/{student_id}/modifier")
    assert response.status_code == 200, response.text
    return form_fields(response.text)


async def submit(portal: Portal, student_id: int, fields: dict[str, str], **changes: Any):
    return await portal.http.post(f"/eleves/{student_id}/modifier", data={**fields, **changes})


async def test_edit_form_is_prefilled(portal: Portal) -> None:
    lina = portal.world.students["lina"]
    await portal.login("principal_a")
    fields = await open_form(portal, lina)
    assert fields["family_name"] == "Martin"
    assert fields["first_name"] == "Lina"
    assert fields["birth_date"] == "14/03/2015"
    assert fields["ine"] == "1234567890A"
    assert fields["sex"] == "F"
    assert fields["version"] == "1"


async def test_successful_edit_shows_a_notice_and_is_audited(portal: Portal, sessionmaker) -> None:
    world = portal.world
    lina = world.students["lina"]
    await portal.login("registrar_a")
    fields = await open_form(portal, lina)
    response = await submit(portal, lina, fields, usage_name="Durand", birth_date="15/03/2015")
    assert response.status_code == 303
    assert response.headers["location"] == f"/eleves/{lina}?enregistre=1"
    record = text_of((await portal.get(response.headers["location"])).text)
    assert "Modifications enregistrées" in record
    assert "Nom d'usage DURAND" in record
    assert "Date de naissance 15/03/2015" in record
    async with sessionmaker() as session:
        student = await session.get(Student, lina)
        assert student is not None
        assert student.usage_name == "Durand"
        assert student.version == 2
        entry = await session.scalar(
            select(AuditEntry)
            .where(AuditEntry.entity == "students", AuditEntry.entity_id == lina)
            .where(AuditEntry.action == "update")
        )
    assert entry is not None
    assert entry.actor_id == world.users["registrar_a"]
    assert entry.school_id == world.school_a
    assert entry.remote_addr == "198.51.100.7"
    assert entry.before == {"usage_name": None, "birth_date": "2015-03-14"}
    assert entry.after == {"usage_name": "Durand", "birth_date": "2015-03-15"}


async def test_invalid_birth_date_is_shown_under_its_field(portal: Portal, sessionmaker) -> None:
    lina = portal.world.students["lina"]
    await portal.login("principal_a")
    fields = await open_form(portal, lina)
    response = await submit(portal, lina, fields, birth_date="31/02/2015", usage_name="Durand")
    assert response.status_code == 400
    html = response.text
    block = re.search(r'<div class="fr-input-group fr-input-group--error">(.*?)</div>', html, re.S)
    assert block is not None
    assert 'name="birth_date"' in block.group(1)
    assert 'value="31/02/2015"' in block.group(1)
    assert 'aria-describedby="erreur-birth_date"' in block.group(1)
    assert "La date de naissance n&#39;est pas une date valide (JJ/MM/AAAA)." in block.group(1)
    # The rest of what the user typed is kept.
    assert 'name="usage_name" value="Durand"' in html
    assert "La fiche n'a pas été enregistrée" in text_of(html)
    async with sessionmaker() as session:
        student = await session.get(Student, lina)
        assert student is not None and student.usage_name is None


async def test_several_errors_each_under_their_field(portal: Portal) -> None:
    lina = portal.world.students["lina"]
    await portal.login("principal_a")
    fields = await open_form(portal, lina)
    response = await submit(
        portal, lina, fields, family_name="", first_name="L1na", ine="123", birth_commune_code=""
    )
    assert response.status_code == 400
    page = text_of(response.text)
    assert "Le nom de famille est obligatoire." in page
    assert (
        "Le prénom n'est pas valide : lettres, espaces, tirets et apostrophes uniquement." in page
    )
    assert "L'INE n'est pas valide : attendu 10 chiffres et une lettre, 9 chiffres" in page
    assert "La commune de naissance est obligatoire pour un élève né en France." in page
    assert "4 erreurs sont à corriger" in page
    assert response.text.count("fr-input-group--error") == 4
    for field in ("family_name", "first_name", "ine", "birth_commune_code"):
        assert f'id="erreur-{field}" class="fr-error-text"' in response.text


async def test_concurrent_edit_is_not_lost(portal: Portal, other_portal: Portal) -> None:
    lina = portal.world.students["lina"]
    await portal.login("principal_a")
    await other_portal.login("registrar_a")
    mine = await open_form(portal, lina)
    theirs = await open_form(other_portal, lina)
    assert (await submit(other_portal, lina, theirs, usage_name="Durand")).status_code == 303
    response = await submit(portal, lina, mine, first_name_2="Marie")
    assert response.status_code == 400
    assert "La fiche a été modifiée par quelqu&#39;un d&#39;autre" in response.text
    record = text_of((await portal.get(f"/eleves/{lina}")).text)
    assert "Nom d'usage DURAND" in record
    assert "Marie" not in record


async def test_missing_version_is_treated_as_stale(portal: Portal) -> None:
    lina = portal.world.students["lina"]
    await portal.login("principal_a")
    fields = await open_form(portal, lina)
    del fields["version"]
    response = await submit(portal, lina, fields, usage_name="Durand")
    assert response.status_code == 400
    assert "rechargez-la avant d&#39;enregistrer" in response.text


async def test_reader_cannot_post_an_edit(portal: Portal) -> None:
    lina = portal.world.students["lina"]
    await portal.login("cpe_a")
    page = await portal.get(f"/eleves/{lina}")
    response = await portal.http.post(
        f"/eleves/{lina}/modifier",
        data={"csrf_token": csrf_of(page.text), "family_name": "Pirate", "version": "1"},
    )
    assert response.status_code == 403
    assert "PIRATE" not in (await portal.get(f"/eleves/{lina}")).text


def _new_student_form(html: str, world: Any, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_of(html),
        "family_name": "Martin",
        "first_name": "Lina",
        "sex": "F",
        "birth_date": "14/03/2015",
        "birth_commune_code": "93048",
        "mef_id": str(world.mef_6),
        "division_id": str(world.division_b1),
        "regime": "externe",
        "entry_date": "02/11/2026",
        **changes,
    }


async def test_creating_a_probable_duplicate_asks_for_confirmation(
    portal: Portal, sessionmaker
) -> None:
    """School B types in a student of school A's name, birth date and place."""
    world = portal.world
    await portal.login("principal_b")
    search = await portal.get("/eleves")
    assert 'href="/eleves/nouveau"' in search.text
    blank = await portal.get("/eleves/nouveau")
    assert blank.status_code == 200
    warned = await portal.http.post("/eleves/nouveau", data=_new_student_form(blank.text, world))
    assert warned.status_code == 400
    page = text_of(warned.text)
    assert "Doublon probable" in page and "déjà inscrit dans l'académie" in page
    assert "Jean Moulin" not in page
    assert 'name="confirm_duplicate" value="1"' in warned.text
    async with sessionmaker() as session:
        assert (
            len((await session.scalars(select(Student).where(Student.first_name == "Lina"))).all())
            == 1
        )
    confirmed = await portal.http.post(
        "/eleves/nouveau",
        data=_new_student_form(warned.text, world, confirm_duplicate="1"),
    )
    assert confirmed.status_code == 303
    assert re.fullmatch(r"/eleves/\d+\?enregistre=1", confirmed.headers["location"])
    record = await portal.get(confirmed.headers["location"])
    assert "6X" in text_of(record.text)


async def test_creation_errors_are_linked_to_their_fields(portal: Portal) -> None:
    world = portal.world
    await portal.login("registrar_a")
    blank = await portal.get("/eleves/nouveau")
    wrong = {
        "identity": dict(family_name="", birth_date="31/02/2015"),
        "enrolment": dict(first_name="Zoé", mef_id="", division_id="", entry_date="31/02/2026"),
    }
    for part, fields in (
        ("identity", ("family_name", "birth_date")),
        ("enrolment", ("mef_id", "entry_date")),
    ):
        refused = await portal.http.post(
            "/eleves/nouveau", data=_new_student_form(blank.text, world, **wrong[part])
        )
        assert refused.status_code == 400, part
        for field in fields:
            assert f'href="#champ-{field}"' in refused.text, field
            assert f'aria-describedby="erreur-{field}"' in refused.text, field
        assert "Doublon probable" not in refused.text


async def test_readers_cannot_create_students(portal: Portal) -> None:
    await portal.login("cpe_a")
    assert (await portal.get("/eleves/nouveau")).status_code == 403
    assert 'href="/eleves/nouveau"' not in (await portal.get("/eleves")).text
