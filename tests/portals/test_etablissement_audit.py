"""/journal: the audit trail on the staff portal, and reads of records recorded by the portal."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.clock import SetClock
from db.absences import AbsenceSettings, HolidayZone
from db.audit import UNAUDITED_COLUMNS, AuditActor, AuditEntry, is_redacted, set_actor
from db.base import Base
from db.teleservices import ActivationCode, CodeKind
from portals.etablissement.audit import ENTITIES
from portals.etablissement.labels import FIELD_LABELS
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
    assert "Élève MARTIN Lina" in text and f"Élève n° {lina}" not in text
    assert "Modification" in text
    assert "Nom d'usage : ∅ → Durand" in text
    assert "Création" in text
    assert re.search(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}:\d{2}", text)

    only_reads = table_of((await portal.get("/journal", params={"action": "read"})).text)
    assert "Consultation" in only_reads
    assert "Création" not in only_reads and "Nom d'usage" not in only_reads

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
    rows = re.findall(r"<tr>", first.split("<tbody>")[1])
    match = re.search(r'href="(/journal\?[^"]*apres=[^"]+)"', first)
    assert match, "no next page link"
    second = (await portal.get(match.group(1).replace("&amp;", "&"))).text
    assert "Première page" in second
    assert len(rows) == 50 and re.findall(r"<tr>", second.split("<tbody>")[1])


async def test_principal_b_sees_none_of_school_a_and_the_rectorat_sees_all(
    app: Any, portal: Portal, other_portal: Portal
) -> None:
    world = portal.world
    await portal.login("registrar_a")
    await portal.get(f"/eleves/{world.students['lina']}")
    await other_portal.login("principal_b")
    journal_b = table_of((await other_portal.get("/journal")).text)
    assert "Création" in journal_b and "Registrar A" not in journal_b
    assert "MARTIN Lina" not in journal_b

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


async def test_the_journal_names_objects_labels_fields_and_shows_paris_time(
    portal: Portal, other_portal: Portal, app: Any, clock: SetClock
) -> None:
    world = portal.world
    lina = world.students["lina"]
    # 23:30 UTC in winter: 00:30 the next day in Paris.
    clock.advance(datetime(2026, 12, 2, 23, 30, tzinfo=UTC) - clock.now())
    await portal.login("registrar_a")
    fields = await open_form(portal, lina)
    assert (await submit(portal, lina, fields, usage_name="Durand")).status_code == 303

    await other_portal.login("principal_a")
    text = table_of((await other_portal.get("/journal", params={"action": "update"})).text)
    assert "Élève MARTIN Lina" in text
    assert "Nom d'usage : ∅ → Durand" in text
    assert "usage_name" not in text
    assert re.search(r"03/12/2026 à 00:3\d:\d\d", text), text[:300]
    enrolment = {"objet": "enrollments", "numero": str(world.enrollments["lina"])}
    created = table_of((await other_portal.get("/journal", params=enrolment)).text)
    assert "Scolarité de l'élève MARTIN Lina" in created
    assert "Date d'entrée : 01/09/" in created and "Régime : Demi-pensionnaire" in created
    # Ids recorded in the values are named too.
    assert "Élève : MARTIN Lina" in created and "Division : 6A" in created

    # The académie administrator reads the trail but no student: numbers, not names.
    async with make_client(app) as http:
        admin = Portal(http, world)
        await admin.login("admin")
        academy = table_of((await admin.get("/journal", params={"objet": "students"})).text)
        enrolments = table_of((await admin.get("/journal", params=enrolment)).text)
    assert f"Élève n° {lina}" in academy and "MARTIN" not in academy
    assert f"Élève : {lina}" in enrolments and "MARTIN" not in enrolments


SECRETS = ("v1.sealed-ciphertext-AAAA", "$argon2id$v=19$m=65536$hash-of-the-code", "9f3a")


async def test_the_journal_never_shows_a_hash_or_a_ciphertext(
    portal: Portal, sessionmaker: Any
) -> None:
    world = portal.world
    sealed, hashed, lookup = SECRETS
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor("system", None, "tests"))
        code = ActivationCode(
            kind=CodeKind.CAR,
            school_id=world.school_a,
            student_id=world.students["lina"],
            guardian_id=world.guardians["mother"],
            sealed_code=sealed,
            code_hash=hashed,
            lookup=lookup,
            is_valid=True,
            created_by_label="tests",
        )
        session.add(code)
        settings = await session.get(AbsenceSettings, world.school_a)
        if settings is None:
            settings = AbsenceSettings(school_id=world.school_a, holiday_zone=HolidayZone.C)
            session.add(settings)
        settings.logo = b"\x89PNG fake logo"
        # A row written before secrets were masked at the source.
        session.add(
            AuditEntry(
                actor_kind="system",
                actor_label="tests",
                school_id=world.school_a,
                action="update",
                entity="staff_users",
                entity_id=world.users["registrar_a"],
                before={"password_hash": "$argon2id$old"},
                after={"password_hash": "$argon2id$new-hash-value"},
            )
        )
    async with sessionmaker() as session:
        recorded = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.entity == "activation_codes"))
        )
    assert recorded and all(e.after and e.after["sealed_code"] == "[masqué]" for e in recorded)

    await portal.login("principal_a")
    page = (await portal.get("/journal")).text
    text = table_of(page)
    assert "Code d'activation de l'élève MARTIN Lina" in text
    assert "Code chiffré : [masqué]" in text and "Empreinte du code : [masqué]" in text
    assert "Mot de passe : [masqué] → [masqué]" in text
    assert "Logo" in text
    for secret in (*SECRETS, "$argon2id$", "sha256"):
        assert secret not in page


def test_every_audited_column_has_a_french_label_and_secrets_are_masked() -> None:
    for mapper in Base.registry.mappers:
        if not getattr(mapper.class_, "__audited__", False):
            continue
        for attr in mapper.column_attrs:
            if attr.key in UNAUDITED_COLUMNS:
                continue
            assert attr.key in FIELD_LABELS, f"{mapper.class_.__tablename__}.{attr.key}"
            assert mapper.class_.__tablename__ in ENTITIES, mapper.class_.__tablename__
            if re.search(r"hash|encrypted|sealed|secret|lookup|token", attr.key):
                assert is_redacted(attr.key), attr.key
