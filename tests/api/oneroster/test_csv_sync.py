"""A school that prefers files: a bulk bundle, then a change in the school, then a delta
bundle applied onto the bulk gives exactly a fresh bulk. One test per kind of change, on the
domain's records zipped (the same bundles over HTTP: ``test_sync.py``)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from api.oneroster.csv_bundle import Mode, write_bundle
from api.resolvers.oneroster.records import COLLECTIONS, roster_records
from core.clock import now
from tests.api.oneroster.csv_files import Bundle, apply_delta, content, differences
from tests.api.oneroster.roster import KEY, client
from tests.api.oneroster.roster_changes import CHANGES, UNDATED, change_the_school, prepare

SCOPES = "roster.readonly roster-demographics.readonly"


async def bundle(sessionmaker: Any, principal: Any, since: Any = None) -> Bundle:
    async with sessionmaker() as session:
        records = {
            collection: await roster_records(session, principal, collection, since=since, key=KEY)
            for collection in COLLECTIONS
        }
        orgs = await roster_records(session, principal, "orgs", key=KEY)
    output = io.BytesIO()
    mode = Mode.BULK if since is None else Mode.DELTA
    org_ids = [org["sourcedId"] for org in orgs]
    write_bundle(output, records, mode=mode, system_name="SCONET", org_ids=org_ids)
    return Bundle(output.getvalue())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=UNDATED[name]))
        if name in UNDATED
        else name
        for name in CHANGES
    ],
)
async def test_a_delta_applied_onto_the_bulk_is_a_fresh_bulk(world, sessionmaker, clock, change):
    removable = await prepare(sessionmaker, world)
    principal = client(world, SCOPES)
    clock.advance(timedelta(minutes=1))
    synced_at = now()
    bulk = await bundle(sessionmaker, principal)
    store = {name: dict(table) for name, table in bulk.tables.items()}
    assert {"orgs", "users", "roles", "enrollments", "demographics"} <= set(store)

    clock.advance(timedelta(minutes=1))
    await change_the_school(sessionmaker, world, removable, [change])
    clock.advance(timedelta(minutes=1))

    delta = await bundle(sessionmaker, principal, since=synced_at)
    for name in delta.tables:
        assert delta.mode(name) == "delta"
    # Something came back, and not the whole school again.
    assert (
        0 < sum(len(t) for t in delta.tables.values()) < sum(len(t) for t in bulk.tables.values())
    )
    apply_delta(store, delta)
    fresh = await bundle(sessionmaker, principal)
    assert differences(content(store), content(fresh.tables)) == []
    assert store != bulk.tables  # the school did change


async def test_a_delta_with_no_change_is_empty(world, sessionmaker):
    principal = client(world, SCOPES)
    delta = await bundle(sessionmaker, principal, since=now() + timedelta(seconds=1))
    assert all(table == {} for table in delta.tables.values())
    assert delta.mode("users") == "delta"
