"""OneRoster 1.2 records of a caller's reach, one collection at a time: what the REST binding
serves and the CSV bundle writes.

Each record is the specification's JSON object (sourcedId, status, dateLastModified in UTC
with a 'Z', the collection's fields, GUIDRefs ``{"href", "sourcedId", "type"}``). Without
``since``: the active records. With ``since``: the records changed after it, and those that
left the roster since (``status: "tobedeleted"``, dated when they left; see
``departures``). Sorted by sourcedId; a bounded number of queries per collection, whatever
its size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import RosterPart
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.oneroster.builders import build_records
from api.resolvers.oneroster.built import BuiltCollection, built_collection, caller_key
from api.resolvers.oneroster.departures import departed_records
from api.resolvers.oneroster.reach import as_utc, roster_reach
from api.resolvers.oneroster.sourced_ids import SourcedIdKey, current_key
from core.errors import NotFound

COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)

# The permission each collection needs (the guard of ``roster_records``), and the part of
# the roster its OneRoster scope must open for a client.
COLLECTION_PERMISSIONS = {
    "orgs": Permission.STRUCTURES_READ,
    "academicSessions": Permission.STRUCTURES_READ,
    "courses": Permission.STRUCTURES_READ,
    "classes": Permission.STRUCTURES_READ,
    "users": Permission.STUDENTS_READ,
    "enrollments": Permission.STUDENTS_READ,
    "demographics": Permission.STUDENTS_READ,
}
COLLECTION_PARTS = {name: RosterPart.CORE for name in COLLECTIONS} | {
    "demographics": RosterPart.DEMOGRAPHICS
}


class UnknownCollection(ValueError):
    def __init__(self, collection: str) -> None:
        super().__init__(f"unknown OneRoster collection {collection!r}")
        self.collection = collection


def unique_sorted(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per sourcedId (two rows of one natural key, e.g. a guardian entered twice,
    are one person to OneRoster: the first read wins), by sourcedId."""
    unique: dict[str, dict[str, Any]] = {}
    for record in records:
        unique.setdefault(record["sourcedId"], record)
    return [unique[sid] for sid in sorted(unique)]


async def roster_records(
    session: AsyncSession,
    principal: Principal,
    collection: str,
    *,
    since: datetime | None = None,
    key: SourcedIdKey | None = None,
) -> list[dict[str, Any]]:
    """The collection's records in the caller's reach (see the module's docstring); the
    sourcedIds are keyed by ``key``, else by the key the application configured. Shared with
    later requests (``built``): never change them in place."""
    built = await roster_collection(session, principal, collection, since=since, key=key)
    return built.records


async def roster_collection(
    session: AsyncSession,
    principal: Principal,
    collection: str,
    *,
    since: datetime | None = None,
    key: SourcedIdKey | None = None,
) -> BuiltCollection:
    """``roster_records`` with the indexes that narrow them, kept between requests while
    nothing they were built from may have changed (``built``)."""
    if collection not in COLLECTIONS:
        raise UnknownCollection(collection)
    principal.require(COLLECTION_PERMISSIONS[collection])
    key = key or current_key()

    async def build() -> list[dict[str, Any]]:
        return await _built_records(session, principal, collection, since, key)

    # The key holds the caller's scopes: a collection kept passed ``reach.require``.
    return await built_collection(session, caller_key(principal), collection, since, key, build)


async def _built_records(
    session: AsyncSession,
    principal: Principal,
    collection: str,
    since: datetime | None,
    key: SourcedIdKey,
) -> list[dict[str, Any]]:
    reach = await roster_reach(session, principal, key)
    reach.require(COLLECTION_PARTS[collection])
    years = [reach.years[i] for i in reach.year_ids()]
    records = unique_sorted(await build_records(session, reach, collection, years, since=since))
    if since is None:
        return records
    since = as_utc(since)
    active = {record["sourcedId"]: record for record in records}
    changed = [r for r in records if as_utc_text(r["dateLastModified"]) > since]
    departed = await departed_records(session, reach, collection, since, active)
    return unique_sorted(changed + departed)


def as_utc_text(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


async def roster_record(
    session: AsyncSession,
    principal: Principal,
    collection: str,
    sourced_id: str,
    *,
    key: SourcedIdKey | None = None,
) -> dict[str, Any]:
    """One active record by sourcedId; ``NotFound`` for an unknown one and for one out of
    reach alike. The caller's records are built and searched: the cost is that of the
    collection in reach, never of the whole académie."""
    built = await roster_collection(session, principal, collection, key=key)
    record = built.by_id().get(sourced_id)
    if record is None:
        raise NotFound(collection, sourced_id)
    return record
