"""A NUL character (U+0000), which PostgreSQL refuses, is bad input named by its field."""

from __future__ import annotations

import re

from tests.portals.conftest import csrf_of

SEARCH = "query($filter: StudentSearch) { students(filter: $filter) { totalCount } }"


async def test_graphql_names_the_variable_holding_a_nul(gql, world):
    response = await gql.raw("principal_a", SEARCH, {"filter": {"namePrefix": "DU\x00"}})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "$filter.namePrefix"
    assert "caractère nul" in error["message"]


async def test_graphql_names_the_argument_holding_a_nul_literal(gql, world):
    query = '{ students(filter: {namePrefix: "DU\\u0000"}) { totalCount } }'
    response = await gql.raw("principal_a", query)
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "filter.namePrefix"


async def test_portal_search_and_forms_name_the_field_holding_a_nul(portal, world):
    await portal.login("principal_a")
    search = await portal.get("/eleves?nom=DU%00", headers={"Accept": "text/html"})
    assert search.status_code == 400
    assert "« nom »" in search.text and "caractère nul" in search.text
    page = await portal.get("/compte", headers={"Accept": "text/html"})
    posted = await portal.http.post(
        "/etablissement",
        data={"csrf_token": csrf_of(page.text), "etablissement": "1\x00"},
        headers={"Accept": "text/html"},
    )
    assert posted.status_code == 400
    assert re.search(r"« etablissement »", posted.text)
