"""What a delta sends ``tobedeleted`` carries the record's last known state: every field the
OneRoster 1.2 schemas require of its type, with the values it had when it left (as the full
read before showed it), for each way a record leaves the roster. And rebuilding them costs a
constant number of statements, whatever the number of departures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, select

from api.oneroster.hrefs import with_absolute_hrefs
from api.resolvers.structures import delete_group
from core import clock as product_clock
from db.accounts import StaffUser
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.grades import GradingPeriod
from db.schools import SchoolYear, SchoolYearState
from db.students import Student
from tests.api.oneroster.response_schemas import errors, unexpected
from tests.api.oneroster.roster import by_id, client, client_token, records
from tests.api.oneroster.roster_changes import (
    as_principal,
    class_removed,
    guardian_unlinked,
    prepare,
    student_leaves,
    teacher_moved,
)
from tests.api.oneroster.sync_client import COLLECTIONS
from tests.conftest import TEST_PUBLIC_URL
from tests.world import World

SCOPES = "roster.readonly roster-demographics.readonly"
Change = Callable[[Any, World, int], Awaitable[None]]
Left = dict[str, dict[str, dict[str, Any]]]


async def _as_system(sessionmaker: Any, write: Callable[[Any], Awaitable[None]]) -> None:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await write(session)


async def _departures(sessionmaker: Any, world: World, clock: Any, change: Change) -> Left:
    """The records sent tobedeleted by a delta over ``change``, by collection and sourcedId;
    each conforms to the schemas, and is as the full read before showed it."""
    removable = await prepare(sessionmaker, world)
    principal = client(world, SCOPES)
    before = {c: by_id(await records(sessionmaker, principal, c)) for c in COLLECTIONS}
    clock.advance(timedelta(minutes=1))
    since = product_clock.now()
    clock.advance(timedelta(minutes=1))
    await change(sessionmaker, world, removable)
    clock.advance(timedelta(minutes=1))
    left: Left = {}
    for collection, (key, component) in COLLECTIONS.items():
        delta = await records(sessionmaker, principal, collection, since=since)
        gone = [r for r in delta if r["status"] == "tobedeleted"]
        # As the REST binding serves them: with absolute hrefs.
        served = with_absolute_hrefs(gone, TEST_PUBLIC_URL)
        problems = [f"{component} {p}" for p in errors(component, {key: served})]
        assert unexpected(problems) == [], collection
        left[collection] = by_id(gone)
        for record in gone:
            shown = before[collection][record["sourcedId"]]
            assert record["dateLastModified"] > shown["dateLastModified"]
            # An enrolment that ended carries the date it ended on.
            if "endDate" in record and "endDate" not in shown:
                shown = {**shown, "endDate": record["endDate"]}
            assert _undated(record) == _undated({**shown, "status": "tobedeleted"}), collection
    return left


def _undated(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "dateLastModified"}


def _named(left: dict[str, dict[str, Any]], field: str) -> list[Any]:
    return sorted(record[field] for record in left.values())


async def test_a_student_who_leaves_the_school(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, student_leaves)
    [noah] = left["users"].values()
    assert (noah["givenName"], noah["familyName"]) == ("Noah", "Martin")
    assert [(r["role"], r["roleType"]) for r in noah["roles"]] == [("student", "primary")]
    assert noah["primaryOrg"]["sourcedId"] == noah["roles"][0]["org"]["sourcedId"]
    assert len(noah["agents"]) == 1  # his mother
    assert left["demographics"][noah["sourcedId"]]["birthDate"] == "2015-11-02"
    assert left["demographics"][noah["sourcedId"]]["sex"] == "male"
    [enrollment] = left["enrollments"].values()
    assert enrollment["user"]["sourcedId"] == noah["sourcedId"]
    assert (enrollment["role"], enrollment["primary"]) == ("student", "false")
    yesterday = product_clock.today() - timedelta(days=1)
    assert enrollment["endDate"] == yesterday.isoformat()
    assert left["classes"] == {}


async def test_a_class_deleted(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, class_removed)
    [division] = left["classes"].values()
    assert (division["classCode"], division["title"]) == ("6C", "6e C")
    assert (division["classType"], division["grades"]) == ("homeroom", ["06"])
    assert division["course"]["type"] == "course" and division["terms"]


async def _group_deleted(sessionmaker: Any, world: World, _removable: int) -> None:
    """Lina leaves the group ESP2, then the school deletes it."""

    async def leave(session: Any) -> None:
        for membership in await session.scalars(
            select(EnrollmentGroup).where(EnrollmentGroup.group_id == world.group_a)
        ):
            await session.delete(membership)

    await _as_system(sessionmaker, leave)
    await as_principal(sessionmaker, world, delete_group, world.group_a)


async def test_a_group_deleted(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, _group_deleted)
    [group] = left["classes"].values()
    assert (group["classCode"], group["classType"]) == ("ESP2", "scheduled")
    assert group["subjectCodes"] and group["grades"] == ["06"]
    # Lina's enrolment in it left too, with her entry date.
    [enrollment] = left["enrollments"].values()
    assert enrollment["class"]["sourcedId"] == group["sourcedId"]
    assert enrollment["beginDate"] == "2026-09-01"


async def test_a_teacher_unassigned_from_a_class(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, teacher_moved)
    [enrollment] = left["enrollments"].values()
    assert (enrollment["role"], enrollment["primary"]) == ("teacher", "true")
    # He keeps his role in the school: he stays.
    assert left["users"] == {}


async def _teacher_deactivated(sessionmaker: Any, world: World, _removable: int) -> None:
    async def deactivate(session: Any) -> None:
        user = await session.get(StaffUser, world.users["teacher_a"])
        user.is_active = False

    await _as_system(sessionmaker, deactivate)


async def test_a_teacher_whose_account_is_deactivated(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, _teacher_deactivated)
    [teacher] = left["users"].values()
    assert [r["role"] for r in teacher["roles"]] == ["teacher"]
    assert teacher["username"] and teacher["enabledUser"] == "true"
    assert {e["role"] for e in left["enrollments"].values()} == {"teacher"}


async def test_a_guardian_unlinked(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, guardian_unlinked)
    # Lina's father, a guardian of Jade in school B only now.
    [father] = left["users"].values()
    assert (father["givenName"], father["familyName"]) == ("Paul", "Martin")
    assert [r["role"] for r in father["roles"]] == ["parent"]
    [lina] = father["agents"]
    assert lina["type"] == "user"


async def _student_renamed(sessionmaker: Any, world: World, _removable: int) -> None:
    """Éloïse (no INE, no SIECLE id: her name is her natural key) is renamed."""

    async def rename(session: Any) -> None:
        eloise = await session.get(Student, world.students["eloise"])
        eloise.family_name = "Élan-Roux"

    await _as_system(sessionmaker, rename)


async def test_a_student_whose_sourced_id_changes(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, _student_renamed)
    [former] = left["users"].values()
    assert (former["givenName"], former["familyName"]) == ("Éloïse", "Élan")
    assert left["demographics"][former["sourcedId"]]["birthDate"] == "2015-06-30"
    assert [e["user"]["sourcedId"] for e in left["enrollments"].values()] == [former["sourcedId"]]


async def _period_deleted(sessionmaker: Any, world: World, _removable: int) -> None:
    async def delete(session: Any) -> None:
        period = await session.scalar(
            select(GradingPeriod)
            .where(GradingPeriod.school_id == world.school_a)
            .order_by(GradingPeriod.first_day.desc())
        )
        await session.delete(period)

    await _as_system(sessionmaker, delete)


async def test_a_grading_period_deleted(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, _period_deleted)
    [period] = left["academicSessions"].values()
    assert period["type"] == "gradingPeriod" and period["parent"]["type"] == "academicSession"
    assert date.fromisoformat(period["startDate"]) < date.fromisoformat(period["endDate"])


async def _year_closed(sessionmaker: Any, world: World, _removable: int) -> None:
    async def close(session: Any) -> None:
        year = await session.get(SchoolYear, world.year_id)
        year.state = SchoolYearState.CLOSED

    await _as_system(sessionmaker, close)


async def test_a_school_year_closed(world, sessionmaker, clock):
    left = await _departures(sessionmaker, world, clock, _year_closed)
    assert {c for c, gone in left.items() if gone} == {
        "academicSessions",
        "courses",
        "classes",
        "users",
        "enrollments",
        "demographics",
    }


class Statements:
    """Counts the statements sent to the database."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.count = 0

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


async def _leave(sessionmaker: Any, world: World, count: int) -> None:
    """``count`` more students of school A leave today."""

    async def leave(session: Any) -> None:
        rows = await session.scalars(
            select(Enrollment)
            .where(Enrollment.school_id == world.school_a, Enrollment.exit_date.is_(None))
            .order_by(Enrollment.id)
            .limit(count)
        )
        for enrollment in rows:
            enrollment.exit_date = product_clock.today()

    await _as_system(sessionmaker, leave)


async def test_departures_cost_a_constant_number_of_statements(
    world, sessionmaker, admin_engine, clock
):
    """A delta with one leaver and one with three cost the same statements: the last known
    states are read in bulk, never record by record."""
    principal = client(world, SCOPES)
    clock.advance(timedelta(minutes=1))
    since = product_clock.now()
    clock.advance(timedelta(minutes=1))
    await _group_deleted(sessionmaker, world, 0)
    costs: dict[int, dict[str, int]] = {}
    for leavers, more in ((1, 1), (3, 2)):
        await _leave(sessionmaker, world, more)
        clock.advance(timedelta(minutes=1))
        costs[leavers] = {}
        for collection in COLLECTIONS:
            with Statements(admin_engine) as statements:
                delta = await records(sessionmaker, principal, collection, since=since)
            costs[leavers][collection] = statements.count
            if collection == "users":
                gone = [
                    r
                    for r in delta
                    if r["status"] == "tobedeleted"
                    and any(role.get("role") == "student" for role in r.get("roles", [{}]))
                ]
                assert len(gone) == leavers
    print(f"statements of a delta with departures, by collection: {costs[3]}")
    assert costs[1] == costs[3]


async def test_narrowed_endpoints_narrow_what_left_by_its_last_known_fields(
    rest, world, sessionmaker, clock
):
    removable = await prepare(sessionmaker, world)
    token = await client_token(rest.http, world, sessionmaker, "roster-core.readonly", ("A", "B"))
    schools = {o["identifier"][:7]: o["sourcedId"] for o in (await _get(rest, token, "/schools"))}
    division_a2 = next(
        c["sourcedId"] for c in await _get(rest, token, "/classes") if c["classCode"] == "6B"
    )
    clock.advance(timedelta(minutes=1))
    since = product_clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    clock.advance(timedelta(minutes=1))
    await student_leaves(sessionmaker, world, removable)
    await class_removed(sessionmaker, world, removable)
    await _teacher_deactivated(sessionmaker, world, removable)
    clock.advance(timedelta(minutes=1))

    def left(records: list[dict[str, Any]]) -> list[str]:
        return sorted(
            r.get("givenName") or r.get("classCode") or r["role"]
            for r in records
            if r["status"] == "tobedeleted"
        )

    async def delta(path: str) -> list[str]:
        return left(await _get(rest, token, path, filter=f"dateLastModified>'{since}'"))

    assert await delta("/students") == ["Noah"]
    assert await delta(f"/schools/{schools['0930001']}/students") == ["Noah"]
    assert await delta(f"/schools/{schools['0940002']}/students") == []
    teachers = await delta("/teachers")
    assert len(teachers) == 1 and "Noah" not in teachers
    assert await delta(f"/schools/{schools['0930001']}/classes") == ["6C"]
    assert await delta(f"/schools/{schools['0940002']}/classes") == []
    # The class's students in a delta: who left it too.
    assert await delta(f"/classes/{division_a2}/students") == ["Noah"]
    assert await delta(f"/classes/{division_a2}/teachers") == []
    assert sorted(await delta(f"/schools/{schools['0930001']}/enrollments")) == [
        "student",
        "teacher",
    ]


async def _get(rest: Any, token: str, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await rest.get(token, path, limit=1000, **params)
    assert response.status_code == 200, response.text
    [found] = response.json().values()
    return list(found)
