"""The CSV bundle over HTTP: the REST service's callers, scopes and errors; bulk and delta."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api.resolvers.oneroster.reach import iso
from core.clock import now
from db.audit import AuditEntry
from tests.api.oneroster.csv_files import Bundle
from tests.api.oneroster.response_schemas import ERROR_RESPONSE, errors
from tests.api.oneroster.roster import client_token

CSV = "/ims/oneroster/csv/v1p2"


async def get(rest, token, name, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await rest.http.get(f"{CSV}/{name}", params=params, headers=headers)


def code_minor(response) -> str:
    """The code minor of an error, whose body is the REST binding's: one imsx_StatusInfo."""
    body = response.json()
    assert errors(ERROR_RESPONSE, body) == []
    return body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


async def test_the_callers_and_scopes_of_the_rest_service(rest, world, sessionmaker):
    anonymous = await get(rest, None, "bulk.zip")
    assert anonymous.status_code == 401 and code_minor(anonymous) == "unauthorisedrequest"
    only_demographics = await client_token(
        rest.http, world, sessionmaker, "roster-demographics.readonly"
    )
    refused = await get(rest, only_demographics, "bulk.zip")
    assert refused.status_code == 403 and code_minor(refused) == "forbidden"

    core = await client_token(rest.http, world, sessionmaker, "roster-core.readonly")
    response = await get(rest, core, "bulk.zip")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    assert "oneroster-bulk.zip" in response.headers["content-disposition"]
    made = Bundle(response.content)
    assert made.manifest["oneroster.version"] == "1.2"
    assert made.mode("users") == "bulk" and made.mode("roles") == "bulk"
    assert made.mode("demographics") == "absent"
    # Under roster-core, no guardian: the same users as the REST service's.
    rest_users = (await rest.get(core, "/users", limit=1000)).json()["users"]
    assert set(made.tables["users"]) == {user["sourcedId"] for user in rest_users}
    assert {row["role"] for row in made.tables["roles"].values()} == {"student", "teacher"}

    full = await client_token(
        rest.http, world, sessionmaker, "roster.readonly roster-demographics.readonly"
    )
    everything = Bundle((await get(rest, full, "bulk.zip")).content)
    assert everything.mode("demographics") == "bulk"
    assert "parent" in {row["role"] for row in everything.tables["roles"].values()}
    assert set(everything.tables["demographics"]) <= set(everything.tables["users"])
    async with sessionmaker() as session:
        exported = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity == "oneroster_csv"))
        ).all()
    assert len(exported) == 2 and all(e.action == "export" for e in exported)


async def test_a_delta_needs_a_moment_with_its_time_zone(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, "roster-core.readonly")
    for params in ({}, {"since": "hier"}, {"since": "2026-12-01"}, {"since": "2026-12-01T08:00"}):
        refused = await get(rest, token, "delta.zip", **params)
        assert refused.status_code == 400, params
        assert code_minor(refused) == "invalid_selection_field"
        assert "since" in refused.text
    later = await get(rest, token, "delta.zip", since=iso(now() + timedelta(seconds=5)))
    assert later.status_code == 200
    nothing = Bundle(later.content)
    assert nothing.mode("users") == "delta"
    assert all(table == {} for table in nothing.tables.values())
    everything = Bundle((await get(rest, token, "delta.zip", since="2000-01-01T00:00:00Z")).content)
    assert everything.tables["users"]
    assert {row["status"] for row in everything.tables["users"].values()} == {"active"}
