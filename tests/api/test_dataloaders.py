"""The number of SQL statements of a request does not grow with the rows it returns."""

from __future__ import annotations

import pytest

from tests.world import build_world

DIVISION_LIST = """
query($division: Int!, $first: Int!) {
  students(filter: {divisionId: $division}, first: $first) {
    totalCount
    edges { node {
      id familyName firstName
      guardians { responsibility guardian { familyName email phoneMobile } }
      schoolingHistory { regime school { uai } schoolYear { label } mef { code next { code } } division { code headcount } groups { code } }
    } }
  }
}
"""


@pytest.fixture
async def world(sessionmaker):
    return await build_world(sessionmaker, extra_students_a1=300)


async def test_statement_count_is_the_same_for_30_and_300_students(gql, world, count_statements):
    await gql.token("principal_a")  # log in outside the counted requests
    counts = {}
    for size in (30, 300):
        with count_statements() as counter:
            body = await gql(
                "principal_a", DIVISION_LIST, {"division": world.division_a1, "first": size}
            )
        assert "errors" not in body, body
        assert len(body["data"]["students"]["edges"]) == size
        assert all(edge["node"]["guardians"] for edge in body["data"]["students"]["edges"])
        counts[size] = counter.count
    assert counts[30] == counts[300], counts
    assert counts[300] < 25, counts
