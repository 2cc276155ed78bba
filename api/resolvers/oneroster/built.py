"""Collections of the roster kept between requests, for as long as nothing they were built
from may have changed.

A client pages through a collection (``limit`` 1000: some eighty pages for the users of a
large académie) and reads the per-school and per-class endpoints: each request would build
the whole collection of its reach again (tens of queries and every record in Python). A
collection built is kept, per database and in this process, under all that it was built from
besides the data: the caller (kind, id, scopes, permissions by school, a teacher's classes),
the collection, the ``since`` of a delta, the sourcedId key, and today's date in Paris
(enrolments end at midnight).

Before any collection is served, the database is checked: every write of an audited row
leaves an audit entry (``create``, ``update``, ``delete``), read from a position in the log
with its gaps (``db.audit_cursor``, as the replication's and the change feed's), so that an
entry committed after a later one is seen too. Reads and exports in the log change nothing.
What is not audited is fingerprinted: schools, MEFs and subjects (the national
nomenclatures), and the links a structure's update replaces in bulk (a division's MEFs, a
group's divisions). Any change empties the database's collections: a write is cheap to tell
from a read, and the rebuild costs what every request cost before.

Bounds: ``MAX_COLLECTIONS`` collections and ``MAX_RECORDS`` records in all, the least
recently used leaving first; a larger collection is built for its request and not kept.
Not seen (see docs/oneroster.md): audited rows changed by hand in SQL, and ids of the log
committed more than ``GAP_WINDOW`` entries late, when the cache started watching.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, String, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.resolvers.oneroster.sourced_ids import SourcedIdKey
from core import clock
from db.audit import AuditEntry
from db.audit_cursor import AuditCursor, position_at_end
from db.nomenclatures import Mef, Subject
from db.schools import School
from db.structures import DivisionMef, GroupDivision

MAX_COLLECTIONS = 16
MAX_RECORDS = 150_000
# Entries below the end of the log looked at for ids not committed yet, when a database is
# first watched (as the change feed's start).
GAP_WINDOW = 1_000
# Audit entries read by one statement of the check.
SCAN = 20_000
# Gaps looked for at most (the newest), as the change feed's cursor: most are rolled-back
# transactions (a failed import leaves thousands), and each check asks for them all.
MAX_GAPS = 1_000
WRITES = ("create", "update", "delete")
# Above every audit id (an INTEGER column).
MAX_ID = 2**31 - 1

Record = dict[str, Any]


class BuiltCollection:
    """A collection's records (by sourcedId) and, built once each, the indexes that narrow it
    (the classes of a school, the enrolments of a class...). Shared between requests: never
    changed in place."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self._indexes: dict[Hashable, dict[str, list[Record]]] = {}
        self._by_id: dict[str, Record] | None = None

    def index(
        self, name: Hashable, keys_of: Callable[[Record], Iterable[str | None]]
    ) -> dict[str, list[Record]]:
        """The records by each key ``keys_of`` gives them (built once, kept under ``name``),
        in the collection's order."""
        found = self._indexes.get(name)
        if found is None:
            found = {}
            for record in self.records:
                for key in dict.fromkeys(keys_of(record)):
                    if key is not None:
                        found.setdefault(key, []).append(record)
            self._indexes[name] = found
        return found

    def subset(self, name: Hashable, holds: Callable[[Record], bool]) -> list[Record]:
        """The records for which ``holds`` (found once, kept under ``name``)."""
        return self.index(("subset", name), lambda r: ("",) if holds(r) else ()).get("", [])

    def by_id(self) -> dict[str, Record]:
        """The records by sourcedId (one each: see ``records.unique_sorted``)."""
        if self._by_id is None:
            self._by_id = {record["sourcedId"]: record for record in self.records}
        return self._by_id


@dataclass
class _Database:
    token: int
    position: AuditCursor
    fingerprint: Hashable
    # Bumped by every change seen: collections of an older generation are stale.
    generation: int = 0


@dataclass
class _Kept:
    collection: BuiltCollection
    generation: int
    size: int


@dataclass
class _Cache:
    databases: WeakKeyDictionary[Engine, _Database] = field(default_factory=WeakKeyDictionary)
    kept: OrderedDict[tuple[Hashable, ...], _Kept] = field(default_factory=OrderedDict)
    records: int = 0
    tokens: itertools.count[int] = field(default_factory=itertools.count)

    def drop(self, key: tuple[Hashable, ...]) -> None:
        kept = self.kept.pop(key, None)
        if kept is not None:
            self.records -= kept.size

    def drop_database(self, token: int) -> None:
        for key in [k for k in self.kept if k[0] == token]:
            self.drop(key)

    def keep(self, key: tuple[Hashable, ...], kept: _Kept) -> None:
        self.drop(key)
        if kept.size > MAX_RECORDS:
            return
        self.kept[key] = kept
        self.records += kept.size
        while len(self.kept) > MAX_COLLECTIONS or self.records > MAX_RECORDS:
            self.drop(next(iter(self.kept)))


_cache = _Cache()


def caller_key(principal: Principal) -> tuple[Hashable, ...]:
    """All of the caller that his records depend on."""
    permissions = principal.school_permissions or {}
    return (
        principal.kind,
        principal.id,
        principal.academy_id,
        frozenset(principal.scopes),
        frozenset(permissions.items()),
        principal.teaching_only,
        principal.taught_division_ids,
        principal.taught_group_ids,
    )


async def _fingerprint(session: AsyncSession) -> Hashable:
    """What may change without an audit entry (see the module's docstring), in one statement:
    the schools' count, last id and last change, the links' counts, every MEF and subject."""

    def text(*columns: Any) -> list[Any]:
        return [cast(column, String) for column in columns]

    counts = select(
        literal("counts"),
        *text(
            select(func.count()).select_from(School).scalar_subquery(),
            select(func.max(School.id)).scalar_subquery(),
            select(func.max(School.updated_at)).scalar_subquery(),
            select(func.count()).select_from(DivisionMef).scalar_subquery(),
            select(func.count()).select_from(GroupDivision).scalar_subquery(),
        ),
    )
    mefs = select(
        literal("mef"),
        *text(Mef.id, Mef.code, Mef.short_label, Mef.long_label, Mef.typical_age),
    )
    subjects = select(
        literal("subject"),
        *text(Subject.id, Subject.code, Subject.short_label, Subject.long_label, null()),
    )
    rows = await session.execute(union_all(counts, mefs, subjects))
    return hash(frozenset(tuple(row) for row in rows))


async def _writes_since(session: AsyncSession, database: _Database) -> tuple[bool, AuditCursor]:
    """Whether a write was committed after the database's position (or in its gaps), and the
    position once every entry committed since is read."""
    position = database.position
    written = False
    while True:
        # The smallest ids not read yet: every id committed up to the last of them is there.
        rows = await session.execute(
            select(AuditEntry.id, AuditEntry.action)
            .where(position.unread(MAX_ID))
            .order_by(AuditEntry.id)
            .limit(SCAN)
        )
        read = {entry_id: action for entry_id, action in rows}
        written = written or any(action in WRITES for action in read.values())
        through = max((i for i in read if i > position.high_water), default=position.high_water)
        position = position.advanced(read.keys(), through, clock.now()).newest_gaps(MAX_GAPS)
        if len(read) < SCAN:
            return written, position


# Where a transaction keeps the database it checked: a request reading several collections
# (a nested endpoint reads its parent's too) checks once.
CHECKED = "sconet.oneroster.checked"


async def _checked(session: AsyncSession) -> _Database:
    """The database's state once the changes committed since the last check are seen; checked
    once per transaction."""
    transaction = session.sync_session.get_transaction()
    checked = session.info.get(CHECKED)
    if checked is not None and transaction is not None and checked[0] is transaction:
        database: _Database = checked[1]
        return database
    database = await _check(session)
    session.info[CHECKED] = (session.sync_session.get_transaction(), database)
    return database


async def _check(session: AsyncSession) -> _Database:
    bind = session.sync_session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    database = _cache.databases.get(engine)
    if database is None:
        database = _Database(
            token=next(_cache.tokens),
            position=await position_at_end(session, GAP_WINDOW, clock.now()),
            fingerprint=await _fingerprint(session),
        )
        _cache.databases[engine] = database
        return database
    written, position = await _writes_since(session, database)
    fingerprint = await _fingerprint(session)
    # No await from here on: the position and the generation move together.
    if written or fingerprint != database.fingerprint:
        database.generation += 1
        database.fingerprint = fingerprint
        _cache.drop_database(database.token)
    database.position = position
    return database


async def built_collection(
    session: AsyncSession,
    caller: Hashable,
    collection: str,
    since: datetime | None,
    key: SourcedIdKey,
    build: Callable[[], Any],
) -> BuiltCollection:
    """The collection as ``build`` (awaited) makes it for the caller (``caller_key``), kept
    while nothing it was built from may have changed (see the module's docstring)."""
    database = await _checked(session)
    generation = database.generation
    today: date = clock.today()
    cache_key = (database.token, caller, collection, since, key, today)
    kept = _cache.kept.get(cache_key)
    if kept is not None and kept.generation == generation:
        _cache.kept.move_to_end(cache_key)
        return kept.collection
    built = BuiltCollection(await build())
    # A change seen by another request meanwhile makes this one stale: not kept.
    if database.generation == generation:
        _cache.keep(cache_key, _Kept(built, generation, len(built.records)))
    return built


def forget_all() -> None:
    """Empties every kept collection (a command that changed rows by hand in SQL)."""
    _cache.kept.clear()
    _cache.records = 0
