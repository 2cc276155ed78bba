"""Teachers' services by hand: a teacher created without a password, given a class, takes its
roll call (and only its own); errors name their field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.auth.identities import load_principal
from api.auth.principal import PermissionDenied
from api.resolvers.absences.roll_calls import RollCallEntry, roll_call_sheet, take_roll_call
from api.resolvers.absences.settings import school_setup
from api.resolvers.teaching import (
    assign_teaching,
    create_teacher,
    list_teachers,
    list_teaching_assignments,
    unassign_teaching,
)
from core.errors import NotFound, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import AuditEntry
from db.reference import load_absence_references
from tests.api.absences.test_events import MONDAY
from tests.world import build_world


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world


async def _run(sessionmaker, principal, fn, *args):
    async with sessionmaker() as session, session.begin():
        return await fn(session, principal, *args)


async def test_a_teacher_created_by_hand_takes_the_roll_call_of_his_class(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    user = await _run(
        sessionmaker,
        principal,
        create_teacher,
        {
            "school_id": world.school_a,
            "family_name": "Lefèvre",
            "first_name": "Anaïs",
            "email": "anais.lefevre@ac-creteil.fr",
        },
    )
    assert (user.login, user.display_name, user.password_hash) == (
        "anais.lefevre",
        "Anaïs Lefèvre",
        None,
    )
    service = await _run(
        sessionmaker,
        principal,
        assign_teaching,
        {
            "school_id": world.school_a,
            "teacher_id": user.id,
            "division_id": world.division_a2,
            "subject_id": world.subject,
        },
    )
    views = await _run(
        sessionmaker, principal, list_teaching_assignments, world.school_a, world.year_id
    )
    assert [(v.teacher.login, v.structure_code) for v in views] == [
        ("anais.lefevre", "6B"),
        ("teacher_a", "6A"),
    ]
    assert [
        t.login for t in await _run(sessionmaker, principal, list_teachers, world.school_a)
    ] == [
        "anais.lefevre",
        "teacher_a",
    ]

    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        teacher = await load_principal(session, user.id)
        # The school's first use stores its slots.
        setup = await school_setup(session, cpe, world.school_a)
    assert teacher is not None
    slot = next(s.id for s in setup.grid.slots if s.code == "M1")
    entry = RollCallEntry(
        world.school_a,
        MONDAY,
        slot,
        division_id=world.division_a2,
        absent_student_ids=[world.students["noah"]],
    )
    sheet = await _run(sessionmaker, teacher, roll_call_sheet, entry)
    assert [name for _id, name in sheet.students] == ["Martin Noah"]
    await _run(sessionmaker, teacher, take_roll_call, entry)
    # Not his class.
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            teacher,
            roll_call_sheet,
            RollCallEntry(world.school_a, MONDAY, slot, division_id=world.division_a1),
        )
    # His service removed, the class is out of his reach again.
    await _run(sessionmaker, principal, unassign_teaching, service.assignment.id)
    async with sessionmaker() as session:
        teacher = await load_principal(session, user.id)
        actions = (
            await session.execute(
                select(AuditEntry.entity, AuditEntry.action).where(
                    AuditEntry.actor_id == world.users["principal_a"]
                )
            )
        ).all()
    assert ("staff_users", "create") in actions
    assert ("teaching_assignments", "delete") in actions
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            teacher,
            roll_call_sheet,
            RollCallEntry(world.school_a, MONDAY, slot, division_id=world.division_a2),
        )


async def test_errors_name_their_field(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")

    async def refused(fn, data):
        with pytest.raises(ValidationFailed) as failure:
            await _run(sessionmaker, principal, fn, {"school_id": world.school_a, **data})
        return {(e.field, e.code) for e in failure.value.errors}

    assert await refused(create_teacher, {"first_name": "Anaïs", "email": "x"}) == {
        ("family_name", "REQUIRED"),
        ("email", "INVALID"),
    }
    assert await refused(assign_teaching, {"teacher_id": world.users["teacher_a"]}) == {
        ("division_id", "REQUIRED")
    }
    assert await refused(
        assign_teaching,
        {"teacher_id": world.users["cpe_a"], "division_id": world.division_b1},
    ) == {("teacher_id", "NOT_FOUND"), ("division_id", "NOT_FOUND")}
    assert await refused(
        assign_teaching,
        {
            "teacher_id": world.users["teacher_a"],
            "division_id": world.division_a1,
            "subject_id": world.subject,
        },
    ) == {("teacher_id", "DUPLICATE")}
    assert await refused(
        assign_teaching,
        {
            "teacher_id": world.users["teacher_a"],
            "division_id": world.division_a1,
            "group_id": world.group_a,
        },
    ) == {("group_id", "INVALID")}


async def test_who_may(world, sessionmaker):
    registrar = await world.principal(sessionmaker, "registrar_a")
    # The secretariat edits services (as it imports them) but creates no account.
    await _run(
        sessionmaker,
        registrar,
        assign_teaching,
        {
            "school_id": world.school_a,
            "teacher_id": world.users["teacher_a"],
            "group_id": world.group_a,
        },
    )
    with pytest.raises(PermissionDenied):
        await _run(
            sessionmaker,
            registrar,
            create_teacher,
            {"school_id": world.school_a, "family_name": "A", "first_name": "B", "email": "a@b.fr"},
        )
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, teacher, list_teaching_assignments, world.school_a, world.year_id)
    other = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            other,
            create_teacher,
            {"school_id": world.school_a, "family_name": "A", "first_name": "B", "email": "a@b.fr"},
        )
    admin = await world.principal(sessionmaker, "admin")
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            admin,
            create_teacher,
            {"school_id": world.school_a, "family_name": "A", "first_name": "B", "email": "a@b.fr"},
        )
    async with sessionmaker() as session:
        assert await session.scalar(select(StaffUser.id).where(StaffUser.login == "b.a")) is None
        assert (
            await session.scalar(
                select(RoleGrant.id).where(
                    RoleGrant.role == Role.TEACHER, RoleGrant.school_id == world.school_b
                )
            )
            is None
        )


CREATE_TEACHER = """
mutation($input: TeacherInput!) {
  createTeacher(input: $input) { teacher { id login displayName email stsId } errors { field code message } }
}
"""
ASSIGN = """
mutation($input: TeachingInput!) {
  assignTeaching(input: $input) {
    assignment { id teacher { login } division { code } group { code } subject { code } }
    errors { field code message }
  }
}
"""
UNASSIGN = """
mutation($id: Int!) { unassignTeaching(id: $id) { assignment { id } errors { field code } } }
"""
SERVICES = """
query($school: Int!, $year: Int!) {
  teachers(schoolId: $school) { login }
  teachingAssignments(schoolId: $school, schoolYearId: $year) {
    teacher { displayName } division { code } group { code } subject { code }
  }
}
"""


async def test_graphql_create_assign_unassign(gql, world):
    body = await gql(
        "principal_a",
        CREATE_TEACHER,
        {
            "input": {
                "schoolId": world.school_a,
                "familyName": "",
                "firstName": "Anaïs",
                "email": "a",
            }
        },
    )
    assert {(e["field"], e["code"]) for e in body["data"]["createTeacher"]["errors"]} == {
        ("familyName", "REQUIRED"),
        ("email", "INVALID"),
    }
    body = await gql(
        "principal_a",
        CREATE_TEACHER,
        {
            "input": {
                "schoolId": world.school_a,
                "familyName": "Lefèvre",
                "firstName": "Anaïs",
                "email": "anais.lefevre@ac-creteil.fr",
            }
        },
    )
    created = body["data"]["createTeacher"]
    assert created["errors"] == [] and created["teacher"]["login"] == "anais.lefevre"
    body = await gql(
        "principal_a",
        ASSIGN,
        {
            "input": {
                "schoolId": world.school_a,
                "teacherId": created["teacher"]["id"],
                "groupId": world.group_a,
                "subjectId": world.subject,
            }
        },
    )
    assignment = body["data"]["assignTeaching"]["assignment"]
    assert assignment["teacher"] == {"login": "anais.lefevre"}
    assert (assignment["division"], assignment["group"]) == (None, {"code": "ESP2"})
    body = await gql(
        "principal_a",
        ASSIGN,
        {"input": {"schoolId": world.school_a, "teacherId": created["teacher"]["id"]}},
    )
    assert body["data"]["assignTeaching"]["errors"] == [
        {
            "field": "divisionId",
            "code": "REQUIRED",
            "message": "Choisissez une division ou un groupe.",
        }
    ]
    body = await gql("registrar_a", SERVICES, {"school": world.school_a, "year": world.year_id})
    assert body["data"]["teachers"] == [{"login": "anais.lefevre"}, {"login": "teacher_a"}]
    assert body["data"]["teachingAssignments"] == [
        {
            "teacher": {"displayName": "Anaïs Lefèvre"},
            "division": None,
            "group": {"code": "ESP2"},
            "subject": {"code": "030201"},
        },
        {
            "teacher": {"displayName": "Teacher A"},
            "division": {"code": "6A"},
            "group": None,
            "subject": {"code": "030201"},
        },
    ]
    body = await gql("principal_b", UNASSIGN, {"id": assignment["id"]})
    assert body["data"]["unassignTeaching"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    body = await gql("principal_a", UNASSIGN, {"id": assignment["id"]})
    assert body["data"]["unassignTeaching"] == {
        "assignment": {"id": assignment["id"]},
        "errors": [],
    }
    body = await gql("teacher_a", SERVICES, {"school": world.school_a, "year": world.year_id})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
