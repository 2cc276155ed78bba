"""Delegation of rights (DELEGCE): the principal grants and withdraws, effective at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.auth.permissions import Permission
from api.resolvers.delegations import school_staff_rights, set_staff_rights
from core.errors import NotFound, ValidationFailed
from db.audit import AuditEntry
from db.delegations import Delegation, Right

STAFF_RIGHTS = """
query($s: Int!) { staffRights(schoolId: $s) { login roles rights defaultRights delegable } }
"""
SET_RIGHTS = """
mutation($s: Int!, $u: Int!, $r: [Right!]!) {
  setStaffRights(input: {schoolId: $s, userId: $u, rights: $r}) {
    staffRights { login rights } errors { field code message }
  }
}
"""


async def _set(sessionmaker, world, actor, login, rights, school=None):
    principal = await world.principal(sessionmaker, actor)
    async with sessionmaker() as session, session.begin():
        return await set_staff_rights(
            session, principal, school or world.school_a, world.users[login], rights
        )


async def test_the_matrix_shows_defaults_and_the_principal_holds_everything(gql, world):
    body = await gql("principal_a", STAFF_RIGHTS, {"s": world.school_a})
    rows = {row["login"]: row for row in body["data"]["staffRights"]}
    assert set(rows) == {"principal_a", "registrar_a", "cpe_a", "teacher_a", "bursar_a"}
    assert rows["principal_a"]["delegable"] is False
    assert len(rows["principal_a"]["rights"]) == len(Right)
    assert rows["cpe_a"]["rights"] == ["STUDENTS_CONSULT", "STUDENTS_EXPORT", "ABSENCES_ENTRY"]
    assert rows["teacher_a"]["rights"] == rows["teacher_a"]["defaultRights"] == []
    refused = await gql("cpe_a", STAFF_RIGHTS, {"s": world.school_a})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_teacher_given_consultation_sees_the_whole_school(gql, world, sessionmaker):
    query = "query($id: Int!) { student(id: $id) { id guardians { guardian { phoneMobile } } } }"
    noah = {"id": world.students["noah"]}
    assert (await gql("teacher_a", query, noah))["data"]["student"] is None
    body = await gql(
        "principal_a",
        SET_RIGHTS,
        {"s": world.school_a, "u": world.users["teacher_a"], "r": ["STUDENTS_CONSULT"]},
    )
    assert body["data"]["setStaffRights"]["errors"] == []
    # Effective at the next request, with the same session token.
    seen = (await gql("teacher_a", query, noah))["data"]["student"]
    assert seen["id"] == noah["id"] and seen["guardians"][0]["guardian"]["phoneMobile"]
    teacher = await world.principal(sessionmaker, "teacher_a")
    assert teacher.teaching_only_school_ids(Permission.STUDENTS_READ) == frozenset()


async def test_a_withdrawn_export_is_refused_and_restoring_defaults_stores_nothing(
    gql, world, sessionmaker
):
    headers = {"Authorization": f"Bearer {await gql.token('cpe_a')}"}
    url = f"/exports/students.csv?division={world.division_a1}"
    assert (await gql.http.get(url, headers=headers)).status_code == 200
    await _set(
        sessionmaker, world, "principal_a", "cpe_a", [Right.STUDENTS_CONSULT, Right.ABSENCES_ENTRY]
    )
    assert (await gql.http.get(url, headers=headers)).status_code == 403
    async with sessionmaker() as session:
        [row] = (await session.scalars(select(Delegation))).all()
        assert (row.right, row.granted) == (Right.STUDENTS_EXPORT, False)
    await _set(
        sessionmaker,
        world,
        "principal_a",
        "cpe_a",
        [Right.STUDENTS_CONSULT, Right.STUDENTS_EXPORT, Right.ABSENCES_ENTRY],
    )
    assert (await gql.http.get(url, headers=headers)).status_code == 200
    async with sessionmaker() as session:
        assert (await session.scalars(select(Delegation))).all() == []
        schools = set(
            (
                await session.scalars(
                    select(AuditEntry.school_id).where(AuditEntry.entity == "delegations")
                )
            ).all()
        )
        assert schools == {world.school_a}


async def test_what_a_principal_may_not_delegate(world, sessionmaker):
    with pytest.raises(NotFound):
        await _set(sessionmaker, world, "principal_b", "cpe_a", [Right.FINANCES])
    with pytest.raises(NotFound):
        await _set(sessionmaker, world, "principal_a", "principal_b", [Right.FINANCES])
    with pytest.raises(ValidationFailed) as refused:
        await _set(sessionmaker, world, "principal_a", "principal_a", [])
    assert refused.value.errors[0].code == "NOT_DELEGABLE"
    rectorat = await world.principal(sessionmaker, "rectorat")
    async with sessionmaker() as session:
        from api.auth.principal import PermissionDenied

        with pytest.raises(PermissionDenied):
            await school_staff_rights(session, rectorat, world.school_a)
