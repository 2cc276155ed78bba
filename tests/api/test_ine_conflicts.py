"""INEs: the duplicate check tells nobody about students out of his reach; clashes across
schools go to the rectorat; searching by INE needs the identity permission."""

from __future__ import annotations

from sqlalchemy import select

from db.students import IneConflict, Student
from tests.api.test_students import UPDATE, search

CONFLICTS = """
query($settled: Boolean!) {
  ineConflicts(settled: $settled) { id ine detectedAt settledAt students { id familyName ine } }
}
"""
SETTLE = "mutation($id: Int!) { settleIneConflict(id: $id) { id settledAt } }"
LINA_INE = "1234567890A"


async def test_another_schools_ine_is_accepted_and_flagged_for_the_rectorat(
    gql, world, sessionmaker
):
    body = await gql(
        "principal_b", UPDATE, {"id": world.students["jade"], "input": {"ine": LINA_INE}}
    )
    assert body["data"]["updateStudent"]["errors"] == []
    async with sessionmaker() as session:
        assert (
            await session.scalar(select(Student.ine).where(Student.id == world.students["jade"]))
            == LINA_INE
        )
        [conflict] = (await session.scalars(select(IneConflict))).all()
    assert (conflict.student_id, conflict.other_student_id) == (
        world.students["jade"],
        world.students["lina"],
    )
    # Saving the record again flags nothing more.
    again = await gql(
        "principal_b", UPDATE, {"id": world.students["jade"], "input": {"firstName": "Jada"}}
    )
    assert again["data"]["updateStudent"]["errors"] == []
    seen = (await gql("rectorat", CONFLICTS, {"settled": False}))["data"]["ineConflicts"]
    assert [(c["ine"], [s["id"] for s in c["students"]]) for c in seen] == [
        (LINA_INE, [world.students["jade"], world.students["lina"]])
    ]
    assert seen[0]["settledAt"] is None
    assert (await gql("rectorat", CONFLICTS, {"settled": True}))["data"]["ineConflicts"] == []
    for school_staff in ("principal_a", "principal_b"):
        refused = await gql(school_staff, CONFLICTS, {"settled": False})
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        not_settled = await gql(school_staff, SETTLE, {"id": seen[0]["id"]})
        assert not_settled["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    settled = await gql("rectorat", SETTLE, {"id": seen[0]["id"]})
    assert settled["data"]["settleIneConflict"]["settledAt"] is not None
    assert (await gql("rectorat", CONFLICTS, {"settled": False}))["data"]["ineConflicts"] == []
    [done] = (await gql("rectorat", CONFLICTS, {"settled": True}))["data"]["ineConflicts"]
    assert done["id"] == seen[0]["id"]


async def test_a_new_student_with_another_schools_ine_is_created_and_flagged(
    gql, world, sessionmaker
):
    from tests.api.test_students import CREATE, _new_student

    variables = _new_student(world, schoolId=world.school_b, divisionId=world.division_b1)
    variables["input"]["ine"] = LINA_INE
    body = await gql("principal_b", CREATE, variables)
    assert body["data"]["createStudent"]["errors"] == []
    async with sessionmaker() as session:
        assert len((await session.scalars(select(IneConflict))).all()) == 1


async def test_a_duplicate_within_reach_is_still_reported(gql, world, sessionmaker):
    body = await gql(
        "principal_a", UPDATE, {"id": world.students["noah"], "input": {"ine": LINA_INE}}
    )
    [error] = body["data"]["updateStudent"]["errors"]
    assert (error["field"], error["code"]) == ("ine", "DUPLICATE")
    async with sessionmaker() as session:
        assert (await session.scalars(select(IneConflict))).all() == []


async def test_the_ine_filter_needs_the_identity_permission(gql, world):
    refused = await gql(
        "teacher_a",
        "query($ine: String) { students(filter: {ine: $ine}) { totalCount } }",
        {"ine": LINA_INE},
    )
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Without the filter the teacher reads his students; with it, the registrar finds Lina.
    assert (await search(gql, "teacher_a"))["totalCount"] > 0
    found = await search(gql, "registrar_a", ine=LINA_INE)
    assert [e["node"]["firstName"] for e in found["edges"]] == ["Lina"]
    # Another school's INE finds nothing for a school's staff.
    assert (await search(gql, "principal_b", ine=LINA_INE))["totalCount"] == 0
