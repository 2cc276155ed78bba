"""A user's dateLastModified is the same in a full read and in a delta, when what changed is
not his own rows but what shapes his record: a child who leaves (his guardians' agents), a
guardian link removed (the child's agents, the guardian's), a guardian renamed (his sourcedId,
hence his children's agents), a child's sourcedId changed. The delta sends those users again, dated by the change, and a
full read made then dates them alike: a client applying the delta holds the full read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.resolvers.enrollments import record_departure
from api.resolvers.guardians import unlink_guardian
from core.clock import now
from db.audit import AuditActor, set_actor
from db.students import Student
from tests.api.oneroster.roster import by_id, client, records
from tests.api.oneroster.roster_changes import as_principal, guardian_renamed, student_leaves

SCOPES = "roster.readonly roster-demographics.readonly"


async def mother_unlinked_from_lina(sessionmaker: Any, world: Any, _removable: int) -> None:
    """Claire is no longer Lina's guardian; she stays Noah's, on the roster."""
    await as_principal(sessionmaker, world, unlink_guardian, world.links["lina_mother"])


async def father_unlinked_from_lina(sessionmaker: Any, world: Any, _removable: int) -> None:
    """Paul is no longer Lina's guardian; he stays Jade's, in school B (out of reach)."""
    await as_principal(sessionmaker, world, unlink_guardian, world.links["lina_father"])


async def noah_leaves_tomorrow(sessionmaker: Any, world: Any, _removable: int) -> None:
    """Noah's exit date is tomorrow; the clock then passes it: he leaves at its midnight."""
    tomorrow = now().date() + timedelta(days=1)
    await as_principal(
        sessionmaker, world, record_departure, world.enrollments["noah"], tomorrow, "move"
    )


async def lina_renamed(sessionmaker: Any, world: Any, _removable: int) -> None:
    """Lina's first name is written; her INE keys her sourcedId, which stays."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        lina = await session.get(Student, world.students["lina"])
        lina.first_name = "Lina-Rose"


async def eloise_renamed(sessionmaker: Any, world: Any, _removable: int) -> None:
    """Éloïse's family name is written; with neither INE nor SIECLE id, her name keys her
    sourcedId, which changes: her guardian's agents with it."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        eloise = await session.get(Student, world.students["eloise"])
        eloise.family_name = "Élan-Roux"


# change -> (the users sent again, by given name; those whose sourcedId left)
CASES = {
    "a child leaves": (student_leaves, {"Claire"}, {"Noah"}),
    "a child's exit date passes": (noah_leaves_tomorrow, {"Claire"}, {"Noah"}),
    "a link removed, the guardian stays": (mother_unlinked_from_lina, {"Claire", "Lina"}, set()),
    "a link removed, the guardian leaves": (father_unlinked_from_lina, {"Lina"}, {"Paul"}),
    "a guardian renamed": (guardian_renamed, {"Sophie", "Éloïse"}, {"Sophie"}),
    # Her guardians' records do not change: they are not sent again.
    "a child renamed, her sourcedId kept": (lina_renamed, {"Lina-Rose"}, set()),
    "a child renamed, her sourcedId changed": (eloise_renamed, {"Éloïse", "Sophie"}, {"Éloïse"}),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_full_read_and_a_delta_date_users_alike(world, sessionmaker, clock, case):
    change, resent, left = CASES[case]
    principal = client(world, SCOPES)
    before = by_id(await records(sessionmaker, principal, "users"))
    clock.advance(timedelta(minutes=1))
    synced_at = now()
    clock.advance(timedelta(minutes=1))
    await change(sessionmaker, world, 0)
    clock.advance(timedelta(days=2) if "passes" in case else timedelta(minutes=1))

    full = by_id(await records(sessionmaker, principal, "users"))
    delta = await records(sessionmaker, principal, "users", since=synced_at)
    name = {sid: user["givenName"] for sid, user in (before | full).items()}
    active = {r["sourcedId"]: r for r in delta if r["status"] == "active"}
    gone = {r["sourcedId"] for r in delta if r["status"] == "tobedeleted"}

    assert {name[sid] for sid in active} == resent
    assert {name[sid] for sid in gone} == left
    assert gone == set(before) - set(full)
    for sid, record in active.items():
        # The same record, its date included, later than the sync.
        assert record == full[sid], name[sid]
        assert record["dateLastModified"] > synced_at.isoformat()[:19], name[sid]
    # Those not sent again kept their date; applying the delta gives the full read.
    synced = {sid: user for sid, user in before.items() if sid not in gone} | active
    assert synced == full


async def test_a_renamed_guardians_children_name_his_new_sourced_id(world, sessionmaker, clock):
    principal = client(world, SCOPES)
    before = by_id(await records(sessionmaker, principal, "users"))
    clock.advance(timedelta(minutes=1))
    synced_at = now()
    await guardian_renamed(sessionmaker, world, 0)
    delta = by_id(await records(sessionmaker, principal, "users", since=synced_at))
    old = next(sid for sid, u in before.items() if u["givenName"] == "Sophie")
    new = next(sid for sid, u in delta.items() if u["givenName"] == "Sophie")
    assert old != new and delta[old]["status"] == "tobedeleted"
    eloise = next(u for u in delta.values() if u["givenName"] == "Éloïse")
    assert [agent["sourcedId"] for agent in eloise["agents"]] == [new]
    # Dated by his rename (its audit entry: a few milliseconds from his row's updated_at).
    assert eloise["dateLastModified"] > synced_at.isoformat()[:19]
