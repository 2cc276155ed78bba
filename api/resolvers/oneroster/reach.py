"""What a caller's OneRoster records cover: its académie, the schools its permissions reach,
the open school years (current and in preparation), and the parts its scopes show.

Closed years are history: their classes and enrolments leave the roster when the year closes
(a delta reports them as ``tobedeleted``, see ``departures``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import roster_scope_allows
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.oneroster.sourced_ids import NaturalKeys, SourcedIdKey
from core.clock import PARIS
from db.audit import AuditEntry
from db.schools import Academy, School, SchoolYear, SchoolYearState

# The dateLastModified of a row that never changed since the audit log began.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class RosterScopeMissing(Exception):
    """A client asked for a part of the roster none of its OneRoster scopes opens."""

    def __init__(self, part: str) -> None:
        super().__init__(f"no OneRoster scope opens {part}")
        self.part = part


@dataclass(frozen=True)
class Year:
    id: int
    start_year: int
    starts_on: date
    ends_on: date
    state: str


@dataclass(frozen=True)
class SchoolRow:
    id: int
    uai: str
    name: str
    updated_at: datetime


@dataclass
class RosterReach:
    principal: Principal
    keys: NaturalKeys
    academy_id: int
    academy_name: str
    academy_changed: datetime
    # Open years (current and in preparation), by id; ``all_years`` adds the closed ones.
    years: dict[int, Year]
    all_years: dict[int, Year]
    # Schools whose structures or students the caller reads, by id.
    schools: dict[int, SchoolRow]

    def school_ids(self) -> list[int]:
        return sorted(self.schools)

    def year_ids(self) -> list[int]:
        return sorted(self.years)

    def allows(self, part: str) -> bool:
        return roster_scope_allows(self.principal.kind, self.principal.scopes, part)

    def require(self, part: str) -> None:
        if not self.allows(part):
            raise RosterScopeMissing(part)


def as_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return EPOCH
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str:
    """ISO 8601 in UTC with a 'Z', to the millisecond, as OneRoster's examples write it."""
    return as_utc(moment).isoformat(timespec="milliseconds")[:-6] + "Z"


def latest(*moments: datetime | None) -> datetime:
    return max(as_utc(m) for m in moments)


def start_of(day: date) -> datetime:
    """Midnight in France of that day, in UTC: when an enrolment whose exit date it is ends."""
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


async def audited_times(session: AsyncSession, entity: str, ids_query: Any) -> dict[int, datetime]:
    """The last audit entry of each row of ``entity`` whose id ``ids_query`` selects: when a
    row without timestamps (a school year, a teaching assignment...) last changed."""
    rows = await session.execute(
        select(AuditEntry.entity_id, func.max(AuditEntry.at))
        .where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids_query))
        .group_by(AuditEntry.entity_id)
    )
    return {int(entity_id): as_utc(at) for entity_id, at in rows if entity_id is not None}


async def roster_reach(
    session: AsyncSession, principal: Principal, key: SourcedIdKey
) -> RosterReach:
    """The académie, its years and the schools whose structures the caller reads (3 queries)."""
    academy = await session.get(Academy, principal.academy_id)
    assert academy is not None
    years = {
        year.id: Year(year.id, year.start_year, year.starts_on, year.ends_on, year.state.value)
        for year in await session.scalars(
            select(SchoolYear).where(SchoolYear.academy_id == principal.academy_id)
        )
    }
    query = select(School.id, School.uai, School.name, School.updated_at).where(
        School.academy_id == principal.academy_id
    )
    readers = (Permission.STRUCTURES_READ, Permission.STUDENTS_READ)
    if not any(principal.academy_wide(p) for p in readers):
        query = query.where(
            School.id.in_(sorted(frozenset().union(*(principal.school_ids(p) for p in readers))))
        )
    schools = {
        row.id: SchoolRow(row.id, row.uai, row.name, as_utc(row.updated_at))
        for row in await session.execute(query)
    }
    changed = await audited_times(
        session, "academies", select(Academy.id).where(Academy.id == academy.id)
    )
    return RosterReach(
        principal=principal,
        keys=NaturalKeys(key, academy.code),
        academy_id=academy.id,
        academy_name=academy.name,
        academy_changed=changed.get(academy.id, EPOCH),
        years={i: y for i, y in years.items() if y.state != SchoolYearState.CLOSED.value},
        all_years=years,
        schools=schools,
    )


@dataclass(frozen=True)
class AuditedChange:
    entity: str
    entity_id: int | None
    action: str
    at: datetime
    school_id: int | None
    before: dict[str, Any]
    after: dict[str, Any]

    def value(self, name: str) -> Any:
        """The column's value as the row stood (after a create or update, before a delete)."""
        if name in self.after:
            return self.after[name]
        return self.before.get(name)


async def audited_changes(
    session: AsyncSession,
    entities: tuple[str, ...],
    *,
    school_ids: list[int] | None = None,
    since: datetime | None = None,
    actions: tuple[str, ...] = ("create", "update", "delete"),
) -> list[AuditedChange]:
    """Writes of these entities from the audit log, oldest first: in the schools given (rows
    carrying their school), after ``since`` when given."""
    query = select(
        AuditEntry.entity,
        AuditEntry.entity_id,
        AuditEntry.action,
        AuditEntry.at,
        AuditEntry.school_id,
        AuditEntry.before,
        AuditEntry.after,
    ).where(AuditEntry.entity.in_(entities), AuditEntry.action.in_(actions))
    if school_ids is not None:
        query = query.where(AuditEntry.school_id.in_(school_ids))
    if since is not None:
        query = query.where(AuditEntry.at > since)
    rows = await session.execute(query.order_by(AuditEntry.id))
    return [
        AuditedChange(entity, entity_id, action, as_utc(at), school_id, before or {}, after or {})
        for entity, entity_id, action, at, school_id, before, after in rows
    ]
