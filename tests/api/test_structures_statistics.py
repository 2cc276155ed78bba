"""Schools, nomenclatures, divisions and groups, headcount statistics over GraphQL."""

from __future__ import annotations

STRUCTURES = """
query($school: Int!) {
  divisions(schoolId: $school) { code headcount mefs { shortLabel } }
  groups(schoolId: $school) { code headcount divisions { code } subject { code } }
}
"""

CREATE_DIVISION = """
mutation($input: DivisionInput!) {
  createDivision(input: $input) { division { id code label headcount mefs { code } } errors { field code message } }
}
"""

UPDATE_GROUP = """
mutation($id: Int!, $input: GroupPatch!) {
  updateGroup(id: $id, input: $input) { group { code divisions { code } } errors { field code } }
}
"""

HEADCOUNTS = """
query($by: HeadcountDimension!, $school: Int) {
  headcounts(by: $by, schoolId: $school) { key label total boys girls }
}
"""


async def test_schools_and_years(gql, world):
    body = await gql("principal_a", "{ schools { uai kind name } schoolYears { label state } }")
    assert [s["name"] for s in body["data"]["schools"]] == ["Collège Jean Moulin"]
    assert body["data"]["schoolYears"][0] == {"label": "2026-2027", "state": "CURRENT"}
    body = await gql("rectorat", "{ schools { uai } }")
    assert len(body["data"]["schools"]) == 2
    uai_b = (await gql("principal_b", "{ schools { uai } }"))["data"]["schools"][0]["uai"]
    body = await gql(
        "principal_a", "query($uai: String!) { school(uai: $uai) { name } }", {"uai": uai_b}
    )
    assert body["data"]["school"] is None


async def test_mefs_and_subjects(gql, world):
    body = await gql(
        "principal_a",
        "query($s: Int) { mefs(schoolId: $s) { code shortLabel next { shortLabel } } subjects { code } }",
        {"s": world.school_a},
    )
    assert {"code": "10010012110", "shortLabel": "6EME", "next": {"shortLabel": "5EME"}} in body[
        "data"
    ]["mefs"]
    assert body["data"]["subjects"] == [{"code": "030201"}]


async def test_divisions_and_groups_with_headcounts(gql, world):
    body = await gql("cpe_a", STRUCTURES, {"school": world.school_a})
    assert body["data"]["divisions"] == [
        {"code": "6A", "headcount": 2, "mefs": [{"shortLabel": "6EME"}]},
        {"code": "6B", "headcount": 1, "mefs": [{"shortLabel": "6EME"}]},
    ]
    assert body["data"]["groups"] == [
        {
            "code": "ESP2",
            "headcount": 1,
            "divisions": [{"code": "6A"}, {"code": "6B"}],
            "subject": {"code": "030201"},
        }
    ]
    body = await gql("cpe_a", STRUCTURES, {"school": world.school_b})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_create_division_and_update_group(gql, world):
    body = await gql(
        "principal_a",
        CREATE_DIVISION,
        {
            "input": {
                "schoolId": world.school_a,
                "code": "5A",
                "mefIds": [world.mef_5],
                "plannedHeadcount": 27,
            }
        },
    )
    result = body["data"]["createDivision"]
    assert result["errors"] == []
    assert result["division"]["label"] == "5A" and result["division"]["mefs"] == [
        {"code": "10110001110"}
    ]
    body = await gql(
        "principal_a",
        CREATE_DIVISION,
        {"input": {"schoolId": world.school_a, "code": "6A", "mefIds": [], "plannedHeadcount": 99}},
    )
    fields = {e["field"] for e in body["data"]["createDivision"]["errors"]}
    assert fields == {"code"}  # the first failing check stops before MEFs and headcount
    body = await gql(
        "principal_a",
        UPDATE_GROUP,
        {"id": world.group_a, "input": {"divisionIds": [world.division_a1]}},
    )
    assert body["data"]["updateGroup"]["group"] == {"code": "ESP2", "divisions": [{"code": "6A"}]}
    body = await gql(
        "principal_a",
        UPDATE_GROUP,
        {"id": world.group_a, "input": {"divisionIds": [world.division_b1]}},
    )
    assert body["data"]["updateGroup"]["errors"][0]["field"] == "divisionIds"


async def test_teacher_cannot_change_structures(gql, world):
    body = await gql(
        "teacher_a",
        CREATE_DIVISION,
        {"input": {"schoolId": world.school_a, "code": "5B", "mefIds": [world.mef_5]}},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_headcounts_by_every_dimension(gql, world):
    async def rows(by, login="principal_a", school=world.school_a):
        body = await gql(login, HEADCOUNTS, {"by": by, "school": school})
        assert "errors" not in body, body
        return body["data"]["headcounts"]

    assert await rows("MEF") == [
        {"key": "10010012110", "label": "6EME", "total": 3, "boys": 1, "girls": 2}
    ]
    assert [(r["key"], r["total"]) for r in await rows("DIVISION")] == [("6A", 2), ("6B", 1)]
    assert [(r["label"], r["total"]) for r in await rows("SEX")] == [("Filles", 2), ("Garçons", 1)]
    assert [(r["label"], r["total"]) for r in await rows("AGE")] == [("11 ans", 3)]
    assert [(r["label"], r["total"]) for r in await rows("REGIME")] == [("Demi-pensionnaire", 3)]
    assert sum(r["total"] for r in await rows("MEF", login="rectorat", school=None)) == 4


async def test_teacher_has_no_statistics(gql, world):
    body = await gql("teacher_a", HEADCOUNTS, {"by": "MEF", "school": world.school_a})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
