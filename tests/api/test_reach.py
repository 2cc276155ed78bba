"""Reach probes the default world leaves out: a second académie that the first one's staff
never reach, and a teacher who reaches students through a group he teaches, not a division."""

from __future__ import annotations

import pytest

from tests.api.test_structures_statistics import HEADCOUNTS
from tests.world import build_world

NAMES = """
query($filter: StudentSearch) {
  students(filter: $filter, first: 500) { totalCount nodes { id firstName } }
}
"""
RECORD = "query($id: Int!) { student(id: $id) { id firstName ine } }"


@pytest.fixture
async def world(sessionmaker):
    return await build_world(sessionmaker, other_academy=True, group_teacher=True)


async def _names(gql, login, **filters):
    body = await gql(login, NAMES, {"filter": filters or None})
    assert "errors" not in body, body
    return sorted(n["firstName"] for n in body["data"]["students"]["nodes"])


async def test_the_rectorat_reaches_no_student_of_another_academie(gql, world):
    assert await _names(gql, "rectorat") == ["Jade", "Lina", "Noah", "Éloïse"]
    assert await _names(gql, "rectorat", namePrefix="martin") == ["Lina", "Noah"]
    assert await _names(gql, "rectorat", ine="2234567890C") == []
    for key in ("hugo", "ines"):
        body = await gql("rectorat", RECORD, {"id": world.students[key]})
        assert body["data"]["student"] is None
    # Versailles' own rectorat does reach them: the probe is not empty by accident.
    assert await _names(gql, "rectorat_versailles") == ["Hugo", "Inès"]
    assert await _names(gql, "principal_c", namePrefix="martin") == ["Hugo", "Inès"]


async def test_the_rectorats_statistics_leave_the_other_academie_out(gql, world):
    body = await gql("rectorat", HEADCOUNTS, {"by": "DIVISION", "school": None})
    assert "errors" not in body, body
    assert {row["key"] for row in body["data"]["headcounts"]} >= {"6A", "6X"}
    assert "6V" not in {row["key"] for row in body["data"]["headcounts"]}
    assert sum(row["total"] for row in body["data"]["headcounts"]) == 4
    other = await gql("rectorat", HEADCOUNTS, {"by": "DIVISION", "school": world.school_c})
    assert other["data"]["headcounts"] == []
    theirs = await gql("rectorat_versailles", HEADCOUNTS, {"by": "DIVISION", "school": None})
    assert [(r["key"], r["total"]) for r in theirs["data"]["headcounts"]] == [("6V", 2)]


async def test_a_group_teacher_reaches_the_groups_students_only(gql, world):
    assert await _names(gql, "group_teacher_a") == ["Lina"]
    assert await _names(gql, "group_teacher_a", groupId=world.group_a) == ["Lina"]
    assert await _names(gql, "group_teacher_a", divisionId=world.division_a1) == ["Lina"]
    lina = await gql("group_teacher_a", RECORD, {"id": world.students["lina"]})
    assert lina["data"]["student"]["firstName"] == "Lina"
    for key in ("eloise", "noah", "jade"):
        body = await gql("group_teacher_a", RECORD, {"id": world.students[key]})
        assert body["data"]["student"] is None, key


async def test_ine_conflicts_stay_within_their_academie(gql, world):
    from tests.api.test_ine_conflicts import CONFLICTS, LINA_INE
    from tests.api.test_students import UPDATE

    body = await gql(
        "principal_b", UPDATE, {"id": world.students["jade"], "input": {"ine": LINA_INE}}
    )
    assert body["data"]["updateStudent"]["errors"] == []
    mine = await gql("rectorat", CONFLICTS, {"settled": False})
    assert len(mine["data"]["ineConflicts"]) == 1
    theirs = await gql("rectorat_versailles", CONFLICTS, {"settled": False})
    assert theirs["data"]["ineConflicts"] == []
