"""A student arriving from another school of the académie: the bounded, audited search, taking
his file in one transaction, his history across both schools, both schools' audit trails.

School B receives Éloïse, enrolled in school A (6A); her guardian Sophie Élan is linked to
her alone, so school B reaches her only once it has taken her file.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from api.resolvers.schools import copy_school_profile
from api.resolvers.transfers import MAX_CANDIDATES, transfer_candidates
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment, ExitReason, Regime
from db.nomenclatures import Mef, NomenclatureEntry, NomenclatureList
from db.passage import PassageDecision, PassageOutcome
from db.schools import SchoolYear, SchoolYearState
from db.students import Sex, Student
from tests.world import World, build_world, uai

SEARCH = """
query($s: Int!, $ine: String, $family: String, $first: String, $born: Date) {
  transferCandidates(schoolId: $s, ine: $ine, familyName: $family, firstName: $first,
                     birthDate: $born) {
    studentId familyName firstName birthDate sex schoolName schoolUai mefLabel
  }
}
"""

TAKE = """
mutation($s: Int!, $id: Int!, $input: TakeStudentFileInput!) {
  takeStudentFile(schoolId: $s, studentId: $id, input: $input) {
    enrollment {
      id entryDate previousSchoolUai previousSchoolName school { uai } division { code }
      schoolYear { startYear }
    }
    errors { field code message }
  }
}
"""

HISTORY = """
query($id: Int!) {
  student(id: $id) {
    guardians { guardian { familyName firstName } }
    schoolingHistory { school { uai name } schoolYear { startYear } mef { shortLabel }
                       entryDate exitDate exitReason }
  }
}
"""


def take_input(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "mefId": world.mef_6,
        "regime": "DEMI_PENSIONNAIRE",
        "entryDate": "2026-12-07",
        "divisionId": world.division_b1,
    } | changes


async def enrollments(sessionmaker, student_id: int) -> list[tuple[Any, ...]]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Enrollment).where(Enrollment.student_id == student_id).order_by(Enrollment.id)
        )
        return [
            (e.id, e.school_id, e.exit_date, e.exit_reason, e.exit_motive_code, e.version)
            for e in rows
        ]


async def searches(sessionmaker) -> list[AuditEntry]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "search").order_by(AuditEntry.id)
            )
        )


async def test_found_by_ine_with_what_identifies_him_only(gql, world: World, sessionmaker):
    body = await gql("registrar_a", SEARCH, {"s": world.school_a, "ine": " 0987654321b "})
    assert "errors" not in body, body
    assert body["data"]["transferCandidates"] == [
        {
            "studentId": world.students["jade"],
            "familyName": "Bernard",
            "firstName": "Jade",
            "birthDate": "2015-01-20",
            "sex": "F",
            "schoolName": "Collège Louise Michel",
            "schoolUai": uai("0940002"),
            "mefLabel": "6EME",
        }
    ]
    # Nothing else of him can be asked: the type has no INE, guardians nor address.
    body = await gql(
        "registrar_a",
        'query($s: Int!) { transferCandidates(schoolId: $s, ine: "0987654321B") { ine } }',
        {"s": world.school_a},
    )
    assert body["errors"]
    # Who searched what, in the receiving school's trail.
    [entry] = await searches(sessionmaker)
    assert entry.actor_id == world.users["registrar_a"] and entry.school_id == world.school_a
    assert (entry.entity, entry.entity_id) == ("students", world.students["jade"])
    assert entry.after == {
        "purpose": "transfer",
        "by": "ine",
        "ine": "0987654321B",
        "results": [world.students["jade"]],
    }


async def test_found_by_name_and_birth_date_exactly(gql, world: World, sessionmaker):
    found = {"s": world.school_b, "family": "ELAN", "first": "eloise", "born": "2015-06-30"}
    body = await gql("principal_b", SEARCH, found)
    [candidate] = body["data"]["transferCandidates"]
    assert candidate["studentId"] == world.students["eloise"]
    assert (candidate["familyName"], candidate["schoolName"]) == ("Élan", "Collège Jean Moulin")
    # No browsing: a prefix, another birth date, the school's own students find nobody.
    for other in (
        found | {"family": "El"},
        found | {"born": "2015-06-29"},
        {"s": world.school_a, "family": "Élan", "first": "Éloïse", "born": "2015-06-30"},
    ):
        login = "registrar_a" if other["s"] == world.school_a else "principal_b"
        body = await gql(login, SEARCH, other)
        assert body["data"]["transferCandidates"] == [], other
    assert len(await searches(sessionmaker)) == 4
    assert (await searches(sessionmaker))[0].after["by"] == "name"


async def test_namesakes_elsewhere_do_not_hide_the_one_looked_for(gql, world: World, sessionmaker):
    """Five namesakes of Éloïse (same name and birth date) in school B itself and one more in
    school A: the bound of the search applies to the students of the other schools only."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        namesakes = []
        for school_id in [world.school_b] * MAX_CANDIDATES + [world.school_a]:
            student = Student(
                family_name="ÉLAN", first_name="Éloïse", sex=Sex.F, birth_date=date(2015, 6, 30)
            )
            session.add(student)
            await session.flush()
            session.add(
                Enrollment(
                    student_id=student.id,
                    school_id=school_id,
                    school_year_id=world.year_id,
                    mef_id=world.mef_6,
                    regime=Regime.EXTERNE,
                    entry_date=date(2026, 9, 1),
                )
            )
            namesakes.append(student.id)
    body = await gql(
        "principal_b",
        SEARCH,
        {"s": world.school_b, "family": "Élan", "first": "Éloïse", "born": "2015-06-30"},
    )
    found = [c["studentId"] for c in body["data"]["transferCandidates"]]
    assert sorted(found) == [world.students["eloise"], namesakes[-1]]


async def test_the_criteria_are_checked(gql, world: World):
    body = await gql("principal_b", SEARCH, {"s": world.school_b})
    assert body["errors"][0]["extensions"]["field"] == "ine"
    body = await gql("principal_b", SEARCH, {"s": world.school_b, "family": "Élan"})
    assert body["errors"][0]["extensions"]["field"] == "first_name"
    body = await gql("principal_b", SEARCH, {"s": world.school_b, "ine": "12-34"})
    assert body["errors"][0]["extensions"]["field"] == "ine"


async def test_only_the_secretariat_and_principal_search(gql, world: World, sessionmaker):
    for login in ("cpe_a", "teacher_a", "bursar_a", "rectorat"):
        body = await gql(login, SEARCH, {"s": world.school_a, "ine": "0987654321B"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", login
    # Another school's id: as unknown.
    body = await gql("principal_b", SEARCH, {"s": world.school_a, "ine": "0987654321B"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await searches(sessionmaker) == []


async def test_another_academy_is_not_searched(sessionmaker):
    world = await build_world(sessionmaker, other_academy=True)
    registrar = await world.principal(sessionmaker, "registrar_a")
    async with sessionmaker() as session:
        for criteria in (
            {"ine": "2234567890C"},
            {"family_name": "Martin", "first_name": "Hugo", "birth_date": "02/04/2015"},
        ):
            assert await transfer_candidates(session, registrar, world.school_a, criteria) == []


@pytest.fixture
async def exit_motives(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        session.add_all(
            [
                NomenclatureEntry(
                    list=NomenclatureList.EXIT_MOTIVE,
                    year=2026,
                    code=code,
                    short_label=label[:40],
                    long_label=label,
                    category=category,
                    sort_order=order,
                )
                for order, (code, label, category) in enumerate(
                    [
                        ("43", "DECES", "other"),
                        ("11", "CHANGEMENT D'ETABLISSEMENT", "change_of_school"),
                    ]
                )
            ]
        )


async def test_taking_the_file(gql, world: World, sessionmaker, exit_motives):
    eloise = world.students["eloise"]
    # Before: school B does not reach her.
    assert (await gql("principal_b", HISTORY, {"id": eloise}))["data"]["student"] is None
    body = await gql(
        "principal_b", TAKE, {"s": world.school_b, "id": eloise, "input": take_input(world)}
    )
    payload = body["data"]["takeStudentFile"]
    assert payload["errors"] == [], payload
    taken = payload["enrollment"]
    assert taken["school"]["uai"] == uai("0940002") and taken["division"]["code"] == "6X"
    assert taken["schoolYear"]["startYear"] == 2026 and taken["entryDate"] == "2026-12-07"
    assert (taken["previousSchoolUai"], taken["previousSchoolName"]) == (
        uai("0930001"),
        "Collège Jean Moulin",
    )
    async with sessionmaker() as session:
        new = await session.get(Enrollment, taken["id"])
        former = await session.get(Enrollment, world.enrollments["eloise"])
        assert new is not None and former is not None
        assert (new.previous_mef_code, new.previous_division_code) == ("10010012110", "6A")
        assert new.regime_code is None or new.regime_code == "2"
        assert former.exit_date == date(2026, 12, 6)
        assert former.exit_reason is ExitReason.CHANGE_OF_SCHOOL
        assert former.exit_motive_code == "11"
    # His file came with him: guardians and history, both schools' lines.
    student = (await gql("principal_b", HISTORY, {"id": eloise}))["data"]["student"]
    assert [
        (g["guardian"]["familyName"], g["guardian"]["firstName"]) for g in student["guardians"]
    ] == [("Élan", "Sophie")]
    lines = [
        (h["school"]["name"], h["entryDate"], h["exitDate"], h["exitReason"])
        for h in student["schoolingHistory"]
    ]
    assert lines == [
        ("Collège Louise Michel", "2026-12-07", None, None),
        ("Collège Jean Moulin", "2026-09-01", "2026-12-06", "CHANGE_OF_SCHOOL"),
    ]
    # The former school still reads his history: he left for school B.
    seen_by_a = (await gql("registrar_a", HISTORY, {"id": eloise}))["data"]["student"]
    assert seen_by_a["schoolingHistory"][0]["school"]["uai"] == uai("0940002")


async def test_both_audit_trails_show_the_transfer(gql, world: World, sessionmaker):
    eloise = world.students["eloise"]
    body = await gql(
        "principal_b", TAKE, {"s": world.school_b, "id": eloise, "input": take_input(world)}
    )
    new_id = body["data"]["takeStudentFile"]["enrollment"]["id"]
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "enrollments", AuditEntry.action != "read")
                .order_by(AuditEntry.id)
            )
        )
    former_trail = [
        (e.action, e.after)
        for e in rows
        if e.school_id == world.school_a and e.entity_id == world.enrollments["eloise"]
    ]
    assert (
        "update",
        {"exit_date": "2026-12-06", "exit_reason": "change_of_school", "exit_motive_code": None},
    ) in former_trail or any(
        a == "update" and after["exit_reason"] == "change_of_school" for a, after in former_trail
    )
    assert (
        "transfer",
        {
            "direction": "out",
            "school_uai": uai("0940002"),
            "school_name": "Collège Louise Michel",
            "exit_date": "2026-12-06",
        },
    ) in former_trail
    receiving_trail = [
        (e.action, e.after) for e in rows if e.school_id == world.school_b and e.entity_id == new_id
    ]
    assert [a for a, _ in receiving_trail] == ["create", "transfer"]
    assert receiving_trail[1][1]["school_uai"] == uai("0930001")
    transfer_rows = [e for e in rows if e.action == "transfer"]
    assert len(transfer_rows) == 2
    assert all(e.actor_id == world.users["principal_b"] for e in transfer_rows)


async def test_a_passage_decision_becomes_leaving(gql, world: World, sessionmaker):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        session.add(
            PassageDecision(
                enrollment_id=world.enrollments["eloise"],
                outcome=PassageOutcome.PROMOTED,
                next_mef_id=world.mef_5,
            )
        )
    body = await gql(
        "principal_b",
        TAKE,
        {"s": world.school_b, "id": world.students["eloise"], "input": take_input(world)},
    )
    assert body["data"]["takeStudentFile"]["errors"] == []
    async with sessionmaker() as session:
        decision = await session.scalar(select(PassageDecision))
        assert decision is not None
        assert decision.outcome is PassageOutcome.LEAVING and decision.next_mef_id is None
        assert decision.exit_reason is ExitReason.CHANGE_OF_SCHOOL
        assert (decision.destination_uai, decision.destination_name) == (
            uai("0940002"),
            "Collège Louise Michel",
        )


async def test_arriving_for_the_year_in_preparation(gql, world: World, sessionmaker):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        preparing = SchoolYear(
            academy_id=world.academy_id, start_year=2027, state=SchoolYearState.IN_PREPARATION
        )
        session.add(preparing)
        await session.flush()
        await copy_school_profile(session, world.school_b, world.year_id, preparing.id)
    body = await gql(
        "principal_b",
        TAKE,
        {
            "s": world.school_b,
            "id": world.students["eloise"],
            "input": take_input(
                world, schoolYearId=preparing.id, entryDate="2027-09-01", divisionId=None
            ),
        },
    )
    payload = body["data"]["takeStudentFile"]
    assert payload["errors"] == [], payload
    assert payload["enrollment"]["schoolYear"]["startYear"] == 2027
    async with sessionmaker() as session:
        former = await session.get(Enrollment, world.enrollments["eloise"])
        assert former is not None and former.exit_date == date(2027, 8, 31)


async def refused(gql, world: World, sessionmaker, **changes: Any) -> list[dict[str, str]]:
    eloise = world.students["eloise"]
    before = await enrollments(sessionmaker, eloise)
    body = await gql(
        "principal_b",
        TAKE,
        {"s": world.school_b, "id": eloise, "input": take_input(world, **changes)},
    )
    payload = body["data"]["takeStudentFile"]
    assert payload["enrollment"] is None
    # Neither school changed.
    assert await enrollments(sessionmaker, eloise) == before
    errors: list[dict[str, str]] = payload["errors"]
    return errors


async def test_refusals_name_the_field_and_change_nothing(gql, world: World, sessionmaker):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        lycee = Mef(code="20010018110", short_label="2NDE", long_label="2NDE GT", duration_years=1)
        session.add(lycee)
    [error] = await refused(gql, world, sessionmaker, mefId=lycee.id)
    assert (error["field"], error["code"]) == ("mefId", "NOT_PROFILED")
    assert "2NDE" in error["message"]
    [error] = await refused(gql, world, sessionmaker, entryDate="2027-09-01")
    assert (error["field"], error["code"]) == ("entryDate", "OUT_OF_RANGE")
    [error] = await refused(gql, world, sessionmaker, schoolYearId=world.closed_year_id)
    assert (error["field"], error["code"]) == ("schoolYearId", "YEAR_CLOSED")
    # A division of another school: refused after the former enrolment was closed in the
    # same transaction, which is rolled back with it.
    [error] = await refused(gql, world, sessionmaker, divisionId=world.division_a1)
    assert error["field"] == "divisionId"
    # Taken once; a second time is refused.
    body = await gql(
        "principal_b",
        TAKE,
        {"s": world.school_b, "id": world.students["eloise"], "input": take_input(world)},
    )
    assert body["data"]["takeStudentFile"]["errors"] == []
    [error] = await refused(gql, world, sessionmaker)
    assert (error["field"], error["code"]) == ("studentId", "ALREADY_ENROLLED")
    assert "déjà inscrit" in error["message"]


async def test_only_a_student_of_another_school_is_taken(gql, world: World, sessionmaker):
    # Jade is school B's own student: nothing to take from elsewhere.
    body = await gql(
        "principal_b",
        TAKE,
        {"s": world.school_b, "id": world.students["jade"], "input": take_input(world)},
    )
    assert body["data"]["takeStudentFile"]["errors"][0]["code"] == "NOT_FOUND"
    body = await gql(
        "cpe_a",
        TAKE,
        {"s": world.school_a, "id": world.students["jade"], "input": take_input(world)},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_former_school_keeps_its_absences(gql, world: World, sessionmaker):
    from api.resolvers.absences.events import AbsenceEntry, record_absence
    from api.resolvers.absences.settings import school_setup
    from db.reference import load_absence_references

    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
        slot = (await school_setup(session, cpe, world.school_a)).grid.slots[0].id
        day = date(2026, 11, 16)
        await record_absence(
            session,
            cpe,
            AbsenceEntry(world.students["eloise"], world.school_a, day, slot, day, slot),
        )
    body = await gql(
        "principal_b",
        TAKE,
        {"s": world.school_b, "id": world.students["eloise"], "input": take_input(world)},
    )
    assert body["data"]["takeStudentFile"]["errors"] == []
    record = "query($id: Int!) { absenceRecord(studentId: $id) { events { id } } }"
    seen_by_b = await gql("principal_b", record, {"id": world.students["eloise"]})
    assert seen_by_b["data"]["absenceRecord"]["events"] == []
    seen_by_a = await gql("cpe_a", record, {"id": world.students["eloise"]})
    assert len(seen_by_a["data"]["absenceRecord"]["events"]) == 1
