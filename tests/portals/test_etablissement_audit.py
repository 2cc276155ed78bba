"""/journal: the audit trail on the staff portal, and reads of records recorded by the portal."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from db.audit import AuditEntry
from tests.portals.conftest import Portal, make_client
from tests.portals.test_etablissement_edit import open_form, submit
from tests.portals.test_etablissement_pages import text_of


def table_of(html: str) -> str:
    """The text of the journal's table body (the filter form repeats the French labels)."""
    match = re.search(r"<tbody>(.*)</tbody>", html, re.S)
    return text_of(match.group(1)) if match else ""


async def reads(sessionmaker) -> list[AuditEntry]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "read")))


async def test_opening_a_record_is_recorded_and_a_search_is_not(
    portal: Portal, other_portal: Portal, sessionmaker
) -> None:
    world = portal.world
    lina = world.students["lina"]
    await portal.login("registrar_a")
    search = await portal.get("/eleves", params={"nom": "a"})
    assert search.status_code == 200
    assert await reads(sessionmaker) == []
    record = await portal.get(f"/eleves/{lina}")
    assert record.status_code == 200
    [entry] = await reads(sessionmaker)
    assert entry.actor_id == world.users["registrar_a"]
    assert entry.remote_addr == "198.51.100.7"
    assert entry.school_id == world.school_a
    assert (entry.entity, entry.entity_id) == ("students", lina)
    # Out of reach: a 404, and nothing recorded.
    await other_portal.login("principal_b")
    assert (await other_portal.get(f"/eleves/{lina}")).status_code == 404
    assert len(await reads(sessionmaker)) == 1


async def test_the_principal_reads_the_journal_in_french(
    portal: Portal, other_portal: Portal
) -> None:
    world = portal.world
    lina = world.students["lina"]
    await portal.login("registrar_a")
    fields = await open_form(portal, lina)
    response = await submit(portal, lina, fields, usage_name="Durand")
    assert response.status_code == 303
    await portal.get(response.headers["location"])

    portal = other_portal
    await portal.login("principal_a")
    home = (await portal.get("/")).text
    assert 'href="/journal"' in home
    page = await portal.get("/journal")
    assert page.status_code == 200
    assert "Journal des accès et modifications" in text_of(page.text)
    text = table_of(page.text)
    assert "Registrar A (registrar_a)" in text
    assert "198.51.100.7" in text
    assert "Consultation" in text and "Fiche complète" in text
    assert f"Élève n° {lina}" in text
    assert "Modification" in text
    assert "usage_name : ∅ → Durand" in text
    assert "Création" in text
    assert re.search(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}:\d{2}", text)

    only_reads = table_of((await portal.get("/journal", params={"action": "read"})).text)
    assert "Consultation" in only_reads
    assert "Création" not in only_reads and "usage_name" not in only_reads

    by_user = table_of(
        (
            await portal.get("/journal", params={"utilisateur": "registrar_a", "objet": "students"})
        ).text
    )
    assert "Modification" in by_user and "Création" not in by_user

    tomorrow = text_of((await portal.get("/journal", params={"du": "2999-01-01"})).text)
    assert "Aucune entrée ne correspond à ces critères." in tomorrow
    wrong = await portal.get("/journal", params={"du": "demain"})
    assert "Le début de la période doit être une date" in text_of(wrong.text)


async def test_the_journal_is_paginated(portal: Portal) -> None:
    # The test world created more than one page of entries in school A.
    await portal.login("principal_a")
    first = (await portal.get("/journal", params={"action": "create"})).text
    ids = re.findall(r"n° (\d+)", table_of(first))
    match = re.search(r'href="(/journal\?[^"]*apres=[^"]+)"', first)
    assert match, "no next page link"
    second = (await portal.get(match.group(1).replace("&amp;", "&"))).text
    assert "Première page" in second
    assert ids and re.findall(r"n° (\d+)", table_of(second))


async def test_principal_b_sees_none_of_school_a_and_the_rectorat_sees_all(
    app: Any, portal: Portal, other_portal: Portal
) -> None:
    world = portal.world
    await portal.login("registrar_a")
    await portal.get(f"/eleves/{world.students['lina']}")
    await other_portal.login("principal_b")
    journal_b = table_of((await other_portal.get("/journal")).text)
    assert "Création" in journal_b and "Registrar A" not in journal_b
    assert f"Élève n° {world.students['lina']}" not in journal_b

    async with make_client(app) as http:
        rectorat = Portal(http, world)
        await rectorat.login("rectorat")
        journal = await rectorat.get("/journal", params={"perimetre": "academie", "action": "read"})
    academy = text_of(journal.text)
    assert "Registrar A (registrar_a)" in table_of(journal.text)
    assert "pour toute l'académie" in academy


async def test_a_teacher_has_no_journal(portal: Portal) -> None:
    await portal.login("teacher_a")
    home = (await portal.get("/")).text
    assert 'href="/journal"' not in home
    refused = await portal.get("/journal")
    assert refused.status_code == 403
    assert "Accès refusé" in refused.text
