"""Collections kept between requests (``api.resolvers.oneroster.built``): what a write
changes is read at once, callers never share what they build, an audit entry committed out of
order is seen, what is not audited is watched, and the cache is bounded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select, update

from api.resolvers.enrollments import record_departure
from api.resolvers.oneroster import built
from api.resolvers.structures import create_division
from api.resolvers.students import update_student
from core.clock import now
from db.audit import AuditEntry
from db.base import utcnow
from db.nomenclatures import Mef
from db.schools import School
from db.students import Student
from tests.api.oneroster.roster import by_id, client, client_token, records
from tests.api.oneroster.roster_changes import as_principal

CORE = "roster-core.readonly"
FULL = "roster.readonly"


def names(users: list[dict]) -> set[str]:
    return {u.get("givenName", "") for u in users}


async def test_the_next_read_sees_a_write_through_the_domain_at_once(world, sessionmaker):
    principal = client(world, FULL)
    users = await records(sessionmaker, principal, "users")
    # Read again with nothing written: the same collection, not built again.
    assert await records(sessionmaker, principal, "users") is users
    assert "Lina" in names(users)

    await as_principal(
        sessionmaker, world, update_student, world.students["lina"], {"first_name": "Linette"}
    )
    renamed = names(await records(sessionmaker, principal, "users"))
    assert "Linette" in renamed and "Lina" not in renamed

    enrollments = await records(sessionmaker, principal, "enrollments")
    yesterday = now().date() - timedelta(days=1)
    await as_principal(
        sessionmaker, world, record_departure, world.enrollments["noah"], yesterday, "move"
    )
    after = await records(sessionmaker, principal, "enrollments")
    assert len(after) < len(enrollments)
    assert "Noah" not in names(await records(sessionmaker, principal, "users"))

    classes = await records(sessionmaker, principal, "classes")
    await as_principal(
        sessionmaker,
        world,
        create_division,
        {
            "school_id": world.school_a,
            "school_year_id": world.year_id,
            "code": "6Z",
            "label": "6e Z",
            "mef_ids": [world.mef_6],
        },
    )
    created = await records(sessionmaker, principal, "classes")
    assert {c["classCode"] for c in created} - {c["classCode"] for c in classes} == {"6Z"}


async def test_callers_of_other_scopes_or_schools_never_share_a_collection(world, sessionmaker):
    a_core = client(world, CORE)
    a_full = client(world, FULL)
    both = client(world, FULL, ("A", "B"))
    teacher = await world.principal(sessionmaker, "teacher_a")
    registrar = await world.principal(sessionmaker, "registrar_a")
    read = {}
    for name, principal in [
        ("a_core", a_core),
        ("a_full", a_full),
        ("both", both),
        ("teacher", teacher),
        ("registrar", registrar),
    ]:
        read[name] = await records(sessionmaker, principal, "users")
    # Each in turn again, after every other one was kept.
    for name, principal in [("teacher", teacher), ("a_core", a_core), ("both", both)]:
        assert await records(sessionmaker, principal, "users") is read[name]
    # Guardians under roster.readonly only; school B's students for its client only; the
    # teacher's students of the classes he teaches only.
    assert len(read["a_core"]) < len(read["a_full"]) < len(read["both"])
    assert "Noah" in names(read["registrar"]) and "Noah" not in names(read["teacher"])


async def test_an_audit_entry_committed_out_of_order_is_seen(world, sessionmaker):
    principal = client(world, FULL)
    users = await records(sessionmaker, principal, "users")
    async with sessionmaker() as session, session.begin():
        last = int(await session.scalar(select(func.max(AuditEntry.id))) or 0)
        # Entry last + 2 commits first (a read: nothing changes); last + 1 is still open.
        await session.execute(insert(AuditEntry), [entry(last + 2, "read", "students", None)])
    assert await records(sessionmaker, principal, "users") is users
    # Then the long transaction commits: its write (the audit entry below the mark of the
    # collection kept) is seen by the next read.
    lina = world.students["lina"]
    async with sessionmaker() as session, session.begin():
        await session.execute(update(Student).where(Student.id == lina).values(first_name="Lou"))
        await session.execute(insert(AuditEntry), [entry(last + 1, "update", "students", lina)])
    assert "Lou" in names(await records(sessionmaker, principal, "users"))


def entry(entry_id: int, action: str, entity: str, entity_id: int | None) -> dict:
    return {
        "id": entry_id,
        "at": utcnow(),
        "actor_kind": "system",
        "actor_id": None,
        "actor_label": "tests",
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": None,
        "after": {"first_name": "Lou"} if action == "update" else None,
    }


async def test_reads_leave_the_collection_kept(world, sessionmaker, rest):
    token = await client_token(rest.http, world, sessionmaker, FULL)
    built.forget_all()
    first = await rest.get(token, "/users", limit=2)
    [(key, kept)] = [(k, v) for k, v in built._cache.kept.items() if k[2] == "users"]
    # Each read of users leaves an audit entry (``read``): it changes nothing.
    again = await rest.get(token, "/users", limit=2, offset=2)
    assert first.status_code == again.status_code == 200
    assert built._cache.kept[key] is kept
    assert [u["sourcedId"] for u in first.json()["users"] + again.json()["users"]] == [
        u["sourcedId"] for u in kept.collection.records[:4]
    ]


async def test_what_is_not_audited_is_watched(world, sessionmaker):
    principal = client(world, FULL)
    orgs = await records(sessionmaker, principal, "orgs")
    courses = await records(sessionmaker, principal, "courses")
    # Schools and the national nomenclatures have no audit entries.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(School).where(School.id == world.school_a).values(name="Collège Renommé")
        )
        await session.execute(
            update(Mef).where(Mef.id == world.mef_6).values(long_label="SIXIEME RENOMMEE")
        )
    renamed = await records(sessionmaker, principal, "orgs")
    assert renamed != orgs and "Collège Renommé" in {o["name"] for o in renamed}
    titles = {c["title"] for c in await records(sessionmaker, principal, "courses")}
    assert titles != {c["title"] for c in courses}


async def test_the_cache_is_bounded(world, sessionmaker, monkeypatch):
    monkeypatch.setattr(built, "MAX_COLLECTIONS", 3)
    principal = client(world, FULL)
    sizes = {}
    for collection in ("orgs", "academicSessions", "courses", "classes", "users"):
        sizes[collection] = len(await records(sessionmaker, principal, collection))
        assert len(built._cache.kept) <= 3
    # The least recently used left first.
    assert [key[2] for key in built._cache.kept][-3:] == ["courses", "classes", "users"]
    # A collection larger than the records' bound is built for its read, never kept.
    monkeypatch.setattr(built, "MAX_RECORDS", sizes["users"] - 1)
    built.forget_all()
    users = await records(sessionmaker, principal, "users")
    assert await records(sessionmaker, principal, "users") is not users
    assert by_id(await records(sessionmaker, principal, "users")) == by_id(users)
    assert built._cache.records <= sizes["users"] - 1
    assert not [key for key in built._cache.kept if key[2] == "users"]
