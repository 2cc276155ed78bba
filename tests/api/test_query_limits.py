"""Depth, alias, token and cost limits reject abusive documents before anything runs."""

from __future__ import annotations

from sqlalchemy import func, select

from api.schema.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH
from db.students import Student

NODE_FIELDS = "id familyName usageName firstName firstName2 firstName3 sex birthDate ine version"


def _rejected(body, words):
    assert body.get("data") is None, body
    message = " ".join(e["message"] for e in body["errors"])
    assert any(word in message for word in words), message
    return body["errors"]


async def test_depth_bomb_is_rejected(gql, world):
    nested = "code"
    for _ in range(MAX_DEPTH + 2):
        nested = f"next {{ {nested} }}"
    body = await gql("principal_a", f"{{ mefs {{ {nested} }} }}")
    _rejected(body, ["depth"])


async def test_alias_bomb_is_rejected(gql, world):
    aliases = " ".join(f"a{i}: schools {{ uai }}" for i in range(MAX_ALIASES + 5))
    body = await gql("principal_a", f"{{ {aliases} }}")
    _rejected(body, ["aliases"])


async def test_token_bomb_is_rejected(gql, world):
    body = await gql("principal_a", "{ schools { " + "uai " * 3000 + "} }")
    _rejected(body, ["token"])


async def test_costly_document_is_rejected_with_its_estimate(gql, world):
    pages = " ".join(
        f"p{i}: students(first: 500) {{ edges {{ node {{ {NODE_FIELDS} "
        "guardians { guardian { familyName firstName email phoneMobile address { line1 } } } } } }"
        for i in range(MAX_ALIASES - 1)
    )
    body = await gql("principal_a", f"{{ {pages} }}")
    errors = _rejected(body, ["trop coûteuse"])
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert errors[0]["extensions"]["cost"] > MAX_COST


async def test_cost_counts_fragments_and_variable_page_sizes(gql, world):
    fragment = f"fragment S on Student {{ {NODE_FIELDS} schoolingHistory {{ regime entryDate }} }}"
    pages = " ".join(
        f"p{i}: students(first: $n) {{ edges {{ node {{ ...S guardians {{ id }} }} }} }}"
        for i in range(MAX_ALIASES - 1)
    )
    body = await gql("principal_a", f"query($n: Int!) {{ {pages} }} {fragment}", {"n": 1})
    _rejected(body, ["trop coûteuse"])


async def test_ordinary_queries_pass(gql, world):
    body = await gql(
        "principal_a",
        f"{{ students(first: 500) {{ totalCount edges {{ node {{ {NODE_FIELDS} "
        "guardians { responsibility guardian { familyName email } } "
        "schoolingHistory { school { uai } mef { code next { code } } division { code } } } } } }",
    )
    assert "errors" not in body, body
    assert body["data"]["students"]["totalCount"] == 3


async def test_injection_in_filters_is_inert(gql, world, sessionmaker):
    for attempt in ("'; DROP TABLE students; --", "%' OR '1'='1", "\\%", "_"):
        body = await gql(
            "principal_a",
            "query($p: String!, $i: String!) { a: students(filter: {namePrefix: $p}) { totalCount } "
            "b: students(filter: {ine: $i}) { totalCount } }",
            {"p": attempt, "i": attempt},
        )
        assert body["data"] == {"a": {"totalCount": 0}, "b": {"totalCount": 0}}, (attempt, body)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Student)) == 4


async def test_errors_are_logged_without_personal_data(gql, world, caplog):
    caplog.set_level("DEBUG")
    await gql(
        "principal_a",
        "query($i: Int!) { student(id: $i) { id } }",
        {"i": "Martin Lina 14/03/2015"},
    )
    await gql("principal_a", '{ students(filter: {namePrefix: "Martin"}) { nodes { nope } } }')
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "GraphQL request refused" in logged
    assert "Martin" not in logged and "14/03/2015" not in logged
