"""Two years open at once (issue 13, event A): the académie opens the year in preparation
(each school's nomenclature profile copied into it), next year's profile and structures are
edited apart from the current year's, a closed year is read and never written, and planned
enrolments of the year in preparation stay out of the current year's lists and counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from api.resolvers.absences.roll_calls import RollCallEntry, roll_call_sheet
from api.resolvers.absences.settings import ensure_defaults
from api.resolvers.statistics import headcounts
from api.resolvers.structures import list_divisions
from api.resolvers.students import StudentFilter, search_students
from db.absences import TimeSlot
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment, Regime
from db.nomenclatures import SchoolMef, SchoolSubject
from db.schools import School, SchoolYear, SchoolYearState
from db.structures import Division, DivisionMef
from db.teleservices import SchoolTeleservice, Teleservice
from replication import snapshot

OPEN_NEXT = """
mutation { openNextSchoolYear { schoolYear { id label state } errors { field code message } } }
"""
PROFILE = """
query($s: Int!, $y: Int) { schoolNomenclatures(schoolId: $s, schoolYearId: $y) {
  schoolYear { label } mefs { mef { shortLabel } } subjects { code } } }
"""
REMOVE_MEF = """
mutation($s: Int!, $m: Int!, $y: Int) { removeSchoolMef(schoolId: $s, mefId: $m, schoolYearId: $y) {
  mef { shortLabel } errors { field code message } } }
"""
COPY = """
mutation($s: Int!, $f: Int!, $t: Int!, $w: Boolean!) {
  copyStructures(schoolId: $s, fromSchoolYearId: $f, toSchoolYearId: $t, withServices: $w) {
    copy { createdDivisions keptDivisions createdGroups keptGroups createdServices }
    errors { field code message } } }
"""
DIVISIONS = """
query($s: Int!, $y: Int) { divisions(schoolId: $s, schoolYearId: $y) { code headcount
  mefs { shortLabel } } }
"""
GROUPS = """
query($s: Int!, $y: Int) { groups(schoolId: $s, schoolYearId: $y) { code
  divisions { code } subject { code } } }
"""
CREATE_DIVISION = """
mutation($input: DivisionInput!) { createDivision(input: $input) {
  division { code } errors { field code message } } }
"""
UPDATE_DIVISION = """
mutation($id: Int!) { updateDivision(id: $id, input: {label: "Autre"}) {
  division { code } errors { field code message } } }
"""
DEPARTURE = """
mutation($id: Int!) { recordDeparture(enrollmentId: $id, exitDate: "2026-06-30",
  exitReason: MOVE) { enrollment { id } errors { field code message } } }
"""


async def _open_next(gql) -> int:
    body = await gql("admin", OPEN_NEXT)
    payload = body["data"]["openNextSchoolYear"]
    assert payload["errors"] == [], payload
    return int(payload["schoolYear"]["id"])


async def test_the_academie_opens_next_year_with_each_schools_profile(gql, world, sessionmaker):
    refused = await gql("principal_a", OPEN_NEXT)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    body = await gql("admin", OPEN_NEXT)
    assert body["data"]["openNextSchoolYear"]["schoolYear"] == {
        "id": body["data"]["openNextSchoolYear"]["schoolYear"]["id"],
        "label": "2027-2028",
        "state": "IN_PREPARATION",
    }
    next_id = int(body["data"]["openNextSchoolYear"]["schoolYear"]["id"])
    async with sessionmaker() as session:
        copied = set(
            await session.execute(
                select(SchoolMef.school_id, SchoolMef.mef_id).where(
                    SchoolMef.school_year_id == next_id
                )
            )
        )
        subjects = await session.scalar(
            select(func.count())
            .select_from(SchoolSubject)
            .where(SchoolSubject.school_year_id == next_id)
        )
        logged = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "school_years", AuditEntry.entity_id == next_id)
        )
    assert copied == {
        (school, mef)
        for school in (world.school_a, world.school_b)
        for mef in (world.mef_5, world.mef_6)
    }
    assert subjects == 2 and logged == 1

    # Run again: the same year, nothing more.
    assert await _open_next(gql) == next_id
    async with sessionmaker() as session:
        rows = await session.scalar(
            select(func.count()).select_from(SchoolMef).where(SchoolMef.school_year_id == next_id)
        )
        years = await session.scalar(select(func.count()).select_from(SchoolYear))
    assert rows == 4 and years == 2 + 1 + 0  # the world's two years (and the other académie's none)


async def test_next_years_profile_is_edited_apart_from_the_current_one(gql, world):
    next_id = await _open_next(gql)
    s = world.school_b
    # 5EME has no student nor division in school B next year: it goes from that year only.
    removed = await gql("principal_b", REMOVE_MEF, {"s": s, "m": world.mef_5, "y": next_id})
    assert removed["data"]["removeSchoolMef"]["errors"] == []
    following = await gql("principal_b", PROFILE, {"s": s, "y": next_id})
    current = await gql("principal_b", PROFILE, {"s": s, "y": None})
    assert following["data"]["schoolNomenclatures"]["schoolYear"] == {"label": "2027-2028"}
    assert [m["mef"]["shortLabel"] for m in following["data"]["schoolNomenclatures"]["mefs"]] == [
        "6EME"
    ]
    assert current["data"]["schoolNomenclatures"]["schoolYear"] == {"label": "2026-2027"}
    assert len(current["data"]["schoolNomenclatures"]["mefs"]) == 2
    # Last year's profile is history: it is read, not changed.
    closed = await gql(
        "principal_b", REMOVE_MEF, {"s": s, "m": world.mef_5, "y": world.closed_year_id}
    )
    [error] = closed["data"]["removeSchoolMef"]["errors"]
    assert (error["field"], error["code"]) == ("schoolYearId", "YEAR_CLOSED")


async def test_next_years_structures_are_copied_from_the_current_year(gql, world, sessionmaker):
    next_id = await _open_next(gql)
    args = {"s": world.school_a, "f": world.year_id, "t": next_id, "w": True}
    by_registrar = await gql("registrar_a", COPY, args)
    assert by_registrar["data"]["copyStructures"]["errors"] == []
    copied = by_registrar["data"]["copyStructures"]["copy"]
    assert copied["createdDivisions"] == ["6A", "6B"]
    assert copied["createdGroups"] == ["ESP2"] and copied["keptDivisions"] == []
    divisions = await gql("principal_a", DIVISIONS, {"s": world.school_a, "y": next_id})
    assert divisions["data"]["divisions"] == [
        {"code": "6A", "headcount": 0, "mefs": [{"shortLabel": "6EME"}]},
        {"code": "6B", "headcount": 0, "mefs": [{"shortLabel": "6EME"}]},
    ]
    groups = await gql("principal_a", GROUPS, {"s": world.school_a, "y": next_id})
    assert groups["data"]["groups"] == [
        {
            "code": "ESP2",
            "divisions": [{"code": "6A"}, {"code": "6B"}],
            "subject": {"code": "030201"},
        }
    ]
    # The current year's structures are as they were.
    current = await gql("principal_a", DIVISIONS, {"s": world.school_a, "y": None})
    assert [d["code"] for d in current["data"]["divisions"]] == ["6A", "6B"]
    assert current["data"]["divisions"][0]["headcount"] > 0

    again = await gql("principal_a", COPY, args)
    assert again["data"]["copyStructures"]["copy"] == {
        "createdDivisions": [],
        "keptDivisions": ["6A", "6B"],
        "createdGroups": [],
        "keptGroups": ["ESP2"],
        "createdServices": 0,
    }
    async with sessionmaker() as session:
        logged = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "divisions", AuditEntry.action == "create")
            .where(AuditEntry.school_id == world.school_a, AuditEntry.actor_kind == "staff")
        )
    assert logged == 2

    # Into a closed year: refused, nothing written.
    closed = await gql("principal_a", COPY, {**args, "t": world.closed_year_id, "f": world.year_id})
    [error] = closed["data"]["copyStructures"]["errors"]
    assert (error["field"], error["code"]) == ("toSchoolYearId", "YEAR_CLOSED")


async def _closed_year_rows(sessionmaker, world) -> tuple[int, int]:
    """A division of school A's closed year, and an enrolment in it."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        division = Division(
            school_id=world.school_a, school_year_id=world.closed_year_id, code="7A", label="7A"
        )
        session.add(division)
        await session.flush()
        session.add(DivisionMef(division_id=division.id, mef_id=world.mef_6))
        enrollment = Enrollment(
            student_id=world.students["lina"],
            school_id=world.school_a,
            school_year_id=world.closed_year_id,
            mef_id=world.mef_6,
            division_id=division.id,
            regime=Regime.EXTERNE,
            entry_date=date(2025, 9, 1),
        )
        session.add(enrollment)
        await session.flush()
        return division.id, enrollment.id


async def test_a_closed_year_is_read_never_written(gql, world, sessionmaker):
    division_id, enrollment_id = await _closed_year_rows(sessionmaker, world)
    created = await gql(
        "principal_a",
        CREATE_DIVISION,
        {
            "input": {
                "schoolId": world.school_a,
                "schoolYearId": world.closed_year_id,
                "code": "7B",
                "mefIds": [world.mef_6],
            }
        },
    )
    assert created["data"]["createDivision"]["errors"][0]["code"] == "YEAR_CLOSED"
    updated = await gql("principal_a", UPDATE_DIVISION, {"id": division_id})
    assert updated["data"]["updateDivision"]["errors"][0]["code"] == "YEAR_CLOSED"
    departed = await gql("principal_a", DEPARTURE, {"id": enrollment_id})
    [error] = departed["data"]["recordDeparture"]["errors"]
    assert (error["field"], error["code"]) == ("enrollmentId", "YEAR_CLOSED")
    # Reading goes on.
    read = await gql("principal_a", DIVISIONS, {"s": world.school_a, "y": world.closed_year_id})
    assert read["data"]["divisions"] == [
        {"code": "7A", "headcount": 1, "mefs": [{"shortLabel": "6EME"}]}
    ]


async def test_planned_enrolments_stay_out_of_the_current_year(gql, world, sessionmaker):
    """While the next year is prepared, absences, roll calls, families' data and statistics
    of the current year neither show nor count its planned enrolments."""
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        school = await session.get(School, world.school_a)
        assert school is not None
        await ensure_defaults(session, school)
        session.add(
            SchoolTeleservice(school_id=world.school_a, service=Teleservice.ABSENCES, is_open=True)
        )
    async with sessionmaker() as session:
        before_students = await search_students(
            session, principal, StudentFilter(school_id=world.school_a)
        )
        before_counts = await headcounts(session, principal, world.school_a, None, "division")
        before_divisions = await list_divisions(session, principal, world.school_a)
        before_replica = await snapshot.students(session, snapshot.Scope(), date(2026, 10, 5))
    next_id = await _open_next(gql)
    await gql(
        "principal_a", COPY, {"s": world.school_a, "f": world.year_id, "t": next_id, "w": False}
    )
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        following = await session.get(SchoolYear, next_id)
        assert following is not None and following.state is SchoolYearState.IN_PREPARATION
        next_6a = await session.scalar(
            select(Division.id).where(
                Division.school_year_id == next_id,
                Division.school_id == world.school_a,
                Division.code == "6A",
            )
        )
        planned = [
            Enrollment(
                student_id=student_id,
                school_id=world.school_a,
                school_year_id=next_id,
                mef_id=world.mef_5,
                division_id=next_6a,
                regime=Regime.EXTERNE,
                entry_date=following.starts_on,
            )
            for student_id in (world.students["lina"], world.students["noah"])
        ]
        session.add_all(planned)
        await session.flush()
        planned_ids = {e.id for e in planned}
        slot_id = await session.scalar(
            select(TimeSlot.id).where(TimeSlot.school_id == world.school_a).limit(1)
        )

    async with sessionmaker() as session:
        after_students = await search_students(
            session, principal, StudentFilter(school_id=world.school_a)
        )
        after_counts = await headcounts(session, principal, world.school_a, None, "division")
        after_divisions = await list_divisions(session, principal, world.school_a)
        replica = await snapshot.students(session, snapshot.Scope(), date(2026, 10, 5))
        planned_list = await search_students(
            session, principal, StudentFilter(school_id=world.school_a, school_year_id=next_id)
        )
        assert slot_id is not None
        for class_id in (world.division_a1, world.division_a2):
            sheet = await roll_call_sheet(
                session,
                principal,
                RollCallEntry(
                    school_id=world.school_a,
                    day=date(2026, 10, 5),
                    slot_id=slot_id,
                    division_id=class_id,
                ),
            )
            ids = [student_id for student_id, _ in sheet.students]
            assert len(ids) == len(set(ids)) and ids
    assert [s.id for s in after_students.students] == [s.id for s in before_students.students]
    assert after_students.total == before_students.total
    assert [(r.key, r.total) for r in after_counts] == [(r.key, r.total) for r in before_counts]
    assert [(d.division.code, d.headcount) for d in after_divisions] == [
        (d.division.code, d.headcount) for d in before_divisions
    ]
    assert before_replica and {r["id"] for r in replica} == {r["id"] for r in before_replica}
    assert not planned_ids & {r["id"] for r in replica}
    # The year in preparation lists them, on its own.
    assert {s.id for s in planned_list.students} == {
        world.students["lina"],
        world.students["noah"],
    }
