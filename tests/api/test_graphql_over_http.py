"""GraphQL over HTTP: application/graphql-response+json for clients that accept it, with the
specification's status codes; application/json clients keep a 200 for every GraphQL answer."""

from __future__ import annotations

import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _post(gql, query: str, accept: str):
    token = await gql.token("principal_a")
    return await gql.http.post(
        "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}", "Accept": accept},
    )


@pytest.mark.parametrize(
    "query", ["{ schools { uai ", "{ nope }", "{ schools }"], ids=["parse", "unknown", "selection"]
)
async def test_a_request_error_is_400_without_data(gql, world, query):
    response = await _post(gql, query, f"{GRAPHQL_RESPONSE}, application/json;q=0.9")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body and body["errors"]


async def test_an_executed_request_is_200_in_the_new_media_type(gql, world):
    response = await _post(gql, "{ schools { uai } }", GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["data"]["schools"]


async def test_json_clients_keep_200(gql, world):
    for accept in ("application/json", f"application/json, {GRAPHQL_RESPONSE};q=0"):
        response = await _post(gql, "{ schools { uai ", accept)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["errors"]
