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
    assert "L'INE doit compter 11 caractères (10 chiffres et une lettre)." in page
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
