"""A scripted client syncs the test school fully, the school changes (a new student, a
leaver, a class renamed and one removed, a teacher's service moved, a guardian renamed and
another unlinked, two classes recoded: the changes of ``roster_changes.DATED``), the client
syncs what changed since, and ends with exactly the data of a fresh full sync, dates
included: through the REST service (``filter=dateLastModified>'...'``) and through the CSV
bundle (a bulk, then a delta applied onto it)."""

from __future__ import annotations

from datetime import timedelta

from api.resolvers.oneroster.reach import iso
from core.clock import now
from tests.api.oneroster.csv_files import Bundle, apply_delta, content, differences
from tests.api.oneroster.response_schemas import unexpected
from tests.api.oneroster.roster import client_token
from tests.api.oneroster.roster_changes import DATED, change_the_school, prepare
from tests.api.oneroster.sync_client import SyncClient

SCOPES = "roster.readonly roster-demographics.readonly"
CSV = "/ims/oneroster/csv/v1p2"


def as_tables(store: dict) -> dict:
    return {name: dict(table) for name, table in store.items()}


async def test_an_incremental_rest_sync_ends_as_a_fresh_full_sync(rest, world, sessionmaker, clock):
    removable = await prepare(sessionmaker, world)
    token = await client_token(rest.http, world, sessionmaker, SCOPES)
    client = SyncClient(rest.http, token)
    clock.advance(timedelta(minutes=1))
    synced_at = iso(now())
    store = await client.full_sync()
    first = {name: dict(table) for name, table in store.items()}
    assert all(store[name] for name in store), {name: len(t) for name, t in store.items()}
    pages = client.requests
    assert pages > len(store)  # the collections took several pages each

    clock.advance(timedelta(minutes=1))
    await change_the_school(sessionmaker, world, removable, DATED)
    clock.advance(timedelta(minutes=1))

    changed = await client.incremental_sync(store, synced_at)
    assert {"classes", "users", "enrollments", "demographics"} <= {
        name for name, count in changed.items() if count
    }, changed
    # Only what changed came back, not the school again.
    assert sum(changed.values()) < sum(len(table) for table in first.values())
    # Every response conforms, the records sent tobedeleted too (their last known state).
    assert unexpected(sorted(client.problems)) == []  # see test_conformance.py
    fresh = await SyncClient(rest.http, token).full_sync()
    assert store != first  # the school did change
    assert differences(store, fresh) == []


async def bundle(rest, token: str, name: str, **params) -> Bundle:
    response = await rest.http.get(
        f"{CSV}/{name}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    return Bundle(response.content)


async def test_a_csv_delta_applied_onto_the_bulk_is_a_fresh_bulk(rest, world, sessionmaker, clock):
    removable = await prepare(sessionmaker, world)
    token = await client_token(rest.http, world, sessionmaker, SCOPES)
    clock.advance(timedelta(minutes=1))
    synced_at = iso(now())
    bulk = await bundle(rest, token, "bulk.zip")
    store = as_tables(bulk.tables)
    assert {"orgs", "users", "roles", "enrollments", "demographics"} <= set(store)

    clock.advance(timedelta(minutes=1))
    await change_the_school(sessionmaker, world, removable, DATED)
    clock.advance(timedelta(minutes=1))

    delta = await bundle(rest, token, "delta.zip", since=synced_at)
    for name in delta.tables:
        assert delta.mode(name) == "delta"
    deleted = {
        name: [key for key, row in table.items() if row["status"] == "tobedeleted"]
        for name, table in delta.tables.items()
    }
    assert deleted["classes"], "the removed class comes back tobedeleted"
    assert deleted["enrollments"], "the leaver's enrolment comes back tobedeleted"
    # Not the whole school again: fewer records sent than the bulk holds. The retractions
    # (tobedeleted rows, the roles of each changed user) come on top; in this tiny school,
    # with every change at once (two classes recoded), they outnumber the bulk.
    sent = sum(
        row["status"] == "active" for table in delta.tables.values() for row in table.values()
    )
    assert sent < sum(len(t) for t in bulk.tables.values())
    apply_delta(store, delta)
    fresh = await bundle(rest, token, "bulk.zip")
    assert differences(content(store), content(fresh.tables)) == []
    assert store != bulk.tables  # the school did change
