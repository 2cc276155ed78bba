"""Deltas: ``since`` gives what changed after a moment and what left the roster since, as
``tobedeleted`` records dated when they left, so that a client syncs incrementally."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core import clock as product_clock
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentGroup, Regime
from db.schools import SchoolYear, SchoolYearState
from db.structures import Group, GroupDivision, TeachingAssignment
from db.students import Sex, Student
from tests.api.oneroster.roster import by_id, client, client_token, records

SCOPES = "roster.readonly roster-demographics.readonly"
COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)


async def _snapshot(sessionmaker, principal, since=None):
    return {name: await records(sessionmaker, principal, name, since=since) for name in COLLECTIONS}


async def _change_things(sessionmaker, world) -> None:
    """A new student in 6B, Noah leaving today, the group ESP2 deleted (Lina taken out of it
    first), Lina's usage name, Éloïse's family name (she has neither INE nor SIECLE id: her
    sourcedId changes), teacher_a's assignment to 6A removed."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        hugo = Student(
            family_name="Petit",
            first_name="Hugo",
            sex=Sex.M,
            birth_date=date(2015, 5, 5),
            siecle_id="7001",
        )
        session.add(hugo)
        await session.flush()
        session.add(
            Enrollment(
                student_id=hugo.id,
                school_id=world.school_a,
                school_year_id=world.year_id,
                mef_id=world.mef_6,
                division_id=world.division_a2,
                regime=Regime.EXTERNE,
                entry_date=date(2026, 12, 2),
            )
        )
        noah = await session.get(Enrollment, world.enrollments["noah"])
        noah.exit_date = product_clock.today()
        for membership in await session.scalars(
            select(EnrollmentGroup).where(EnrollmentGroup.group_id == world.group_a)
        ):
            await session.delete(membership)
        for link in await session.scalars(
            select(GroupDivision).where(GroupDivision.group_id == world.group_a)
        ):
            await session.delete(link)
        await session.flush()
        await session.delete(await session.get(Group, world.group_a))
        lina = await session.get(Student, world.students["lina"])
        lina.usage_name = "Martin-Dupont"
        eloise = await session.get(Student, world.students["eloise"])
        eloise.family_name = "Élan-Roux"
        for assignment in await session.scalars(
            select(TeachingAssignment).where(TeachingAssignment.user_id == world.users["teacher_a"])
        ):
            await session.delete(assignment)


async def test_a_delta_holds_exactly_what_changed_and_what_left(world, sessionmaker, clock):
    principal = client(world, SCOPES)
    before = await _snapshot(sessionmaker, principal)
    clock.advance(timedelta(minutes=1))
    t0 = product_clock.now()
    clock.advance(timedelta(minutes=1))
    assert await _snapshot(sessionmaker, principal, since=t0) == {n: [] for n in COLLECTIONS}
    await _change_things(sessionmaker, world)
    after = await _snapshot(sessionmaker, principal)
    delta = await _snapshot(sessionmaker, principal, since=t0)

    old_users, new_users = by_id(before["users"]), by_id(after["users"])
    name = {
        **{k: u["givenName"] for k, u in old_users.items()},
        **{k: u["givenName"] for k, u in new_users.items()},
    }
    left = {r["sourcedId"] for r in delta["users"] if r["status"] == "tobedeleted"}
    changed = {r["sourcedId"] for r in delta["users"] if r["status"] == "active"}
    # Noah left; Éloïse's former id left and her new one came; Hugo came; Lina changed; the
    # mothers of Noah and Éloïse are sent again (their agents changed); Paul is not.
    assert sorted(name[i] for i in left) == ["Noah", "Éloïse"]
    assert sorted(name[i] for i in changed) == ["Claire", "Hugo", "Lina", "Sophie", "Éloïse"]
    assert left == set(old_users) - set(new_users)
    assert changed - set(old_users) == set(new_users) - set(old_users)
    # What left carries its last known state: as the full read before showed it (Noah's
    # enrolment with the exit date it ended on).
    for collection in COLLECTIONS:
        shown = by_id(before[collection])
        for record in delta[collection]:
            if record["status"] == "tobedeleted":
                assert record["dateLastModified"] > t0.isoformat()[:19]
                if "endDate" in record and "endDate" not in shown[record["sourcedId"]]:
                    assert record["endDate"] == product_clock.today().isoformat()
                    record = {k: v for k, v in record.items() if k != "endDate"}
                assert _undated({0: record}) == _undated(
                    {0: {**shown[record["sourcedId"]], "status": "tobedeleted"}}
                ), collection

    classes_before = by_id(before["classes"])
    assert [
        (classes_before[r["sourcedId"]]["classCode"], r["status"])
        for r in delta["classes"]
        if r["status"] == "tobedeleted"
    ] == [("ESP2", "tobedeleted")]
    # 6A lost its Spanish teacher: its subjects changed.
    assert [c["classCode"] for c in delta["classes"] if c["status"] == "active"] == ["6A"]

    def describe(enrollment):
        class_code = classes_before[enrollment["class"]["sourcedId"]]["classCode"]
        return (
            name[enrollment["user"]["sourcedId"]],
            class_code,
            enrollment["role"],
            enrollment["status"],
        )

    assert sorted(describe(e) for e in delta["enrollments"]) == [
        ("Hugo", "6B", "student", "active"),
        ("Lina", "6A", "student", "active"),  # her record changed: her enrolments are re-sent
        ("Lina", "ESP2", "student", "tobedeleted"),
        ("Noah", "6B", "student", "tobedeleted"),
        ("Teacher", "6A", "teacher", "tobedeleted"),
        ("Éloïse", "6A", "student", "active"),
        ("Éloïse", "6A", "student", "tobedeleted"),
    ]
    assert set(by_id(before["enrollments"])) - set(by_id(after["enrollments"])) == {
        e["sourcedId"] for e in delta["enrollments"] if e["status"] == "tobedeleted"
    }
    assert sorted((name[d["sourcedId"]], d["status"]) for d in delta["demographics"]) == [
        ("Hugo", "active"),
        ("Lina", "active"),
        ("Noah", "tobedeleted"),
        ("Éloïse", "active"),
        ("Éloïse", "tobedeleted"),
    ]
    assert delta["orgs"] == [] and delta["academicSessions"] == [] and delta["courses"] == []
    # Applying the delta to the first full read gives the second, dates included (a guardian
    # sent again for his child's sake is dated by the child's change in both).
    for collection in COLLECTIONS:
        synced = by_id(before[collection])
        for record in delta[collection]:
            if record["status"] == "tobedeleted":
                synced.pop(record["sourcedId"], None)
            else:
                synced[record["sourcedId"]] = record
        assert synced == by_id(after[collection]), collection


def _undated(records):
    return {
        sid: {k: v for k, v in r.items() if k != "dateLastModified"} for sid, r in records.items()
    }


async def test_another_schools_departures_stay_hidden(world, sessionmaker, clock):
    school_b = client(world, SCOPES, ("B",))
    clock.advance(timedelta(minutes=1))
    t0 = product_clock.now()
    clock.advance(timedelta(minutes=1))
    await _change_things(sessionmaker, world)
    delta = {n: await records(sessionmaker, school_b, n, since=t0) for n in COLLECTIONS}
    assert delta == {n: [] for n in COLLECTIONS}


async def test_a_closed_year_leaves_the_roster(world, sessionmaker, clock):
    principal = client(world, SCOPES)
    before = await _snapshot(sessionmaker, principal)
    clock.advance(timedelta(minutes=1))
    t0 = product_clock.now()
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        year = await session.get(SchoolYear, world.year_id)
        year.state = SchoolYearState.CLOSED
    delta = await _snapshot(sessionmaker, principal, since=t0)
    for collection in (
        "academicSessions",
        "classes",
        "courses",
        "enrollments",
        "users",
        "demographics",
    ):
        # The teacher keeps his role in the school: he stays.
        stayed = {
            r["sourcedId"]
            for r in before[collection]
            if r.get("roles", [{}])[0].get("role") == "teacher"
        }
        assert {r["sourcedId"] for r in delta[collection]} == {
            r["sourcedId"] for r in before[collection]
        } - stayed, collection
        assert {r["status"] for r in delta[collection]} == {"tobedeleted"}, collection


async def test_a_delta_over_http(rest, world, sessionmaker, clock):
    token = await client_token(rest.http, world, sessionmaker, "roster-core.readonly")
    clock.advance(timedelta(minutes=1))
    t0 = product_clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    clock.advance(timedelta(minutes=1))
    await _change_things(sessionmaker, world)
    response = await rest.get(token, "/students", filter=f"dateLastModified>'{t0}'")
    assert response.status_code == 200, response.text
    assert response.headers["X-Total-Count"] == "5"
    statuses = sorted(u["status"] for u in response.json()["users"])
    assert statuses == ["active", "active", "active", "tobedeleted", "tobedeleted"]
    only_left = await rest.get(
        token, "/enrollments", filter=f"dateLastModified>'{t0}' AND status='tobedeleted'"
    )
    assert only_left.headers["X-Total-Count"] == "4"
    # Without the date, what left is gone: the active records only.
    current = await rest.get(token, "/students")
    assert {u["status"] for u in current.json()["users"]} == {"active"}
    # The records that left carry their references.
    [left] = [e for e in only_left.json()["enrollments"] if e["role"] == "teacher"]
    assert set(left) == {
        "sourcedId",
        "status",
        "dateLastModified",
        "class",
        "user",
        "school",
        "role",
        "primary",
    }
