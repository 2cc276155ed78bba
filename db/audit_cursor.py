"""A position in the audit log that misses no entry when transactions commit out of order.

Audit ids are given when rows are written, not when their transaction commits: an id below
the last one read may still appear (a long transaction committing after a later one, on
PostgreSQL). A position is the highest id read ("high-water mark") and the ids missing below
it ("gaps"), each with when it was first missed; every read looks for the gaps again, for a
day (``GAP_LIFETIME``): most gaps are rolled-back transactions that never come.

The replication (``replication.changes``), the clients' change feed
(``api.resolvers.changes``) and the OneRoster collections kept between requests
(``api.resolvers.oneroster.built``) all read the log from such a position.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import AuditEntry

# How long a gap is looked for again (see the docstring).
GAP_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class AuditCursor:
    high_water: int = 0
    # Audit ids still missing below the high-water mark -> when first missed (ISO).
    gaps: Mapping[int, str] = field(default_factory=dict)

    def unread(self, through: int) -> ColumnElement[bool]:
        """The entries to read next: after the high-water mark up to ``through``, and the gaps."""
        return or_(
            and_(AuditEntry.id > self.high_water, AuditEntry.id <= through),
            AuditEntry.id.in_(sorted(self.gaps)),
        )

    def advanced(self, read: Collection[int], through: int, now: datetime) -> AuditCursor:
        """The position once ``read`` is taken: the entries of ``unread(through)`` found and
        dealt with. Every id up to ``through`` not read is a gap (the old ones kept with when
        they were first missed, until they are a day old)."""
        high_water = max(self.high_water, through)
        gaps = {
            gap: first
            for gap, first in self.gaps.items()
            if gap not in read and now - datetime.fromisoformat(first) < GAP_LIFETIME
        }
        gaps.update(
            {
                gap: now.isoformat()
                for gap in range(self.high_water + 1, high_water + 1)
                if gap not in read
            }
        )
        return AuditCursor(high_water, gaps)

    def newest_gaps(self, most: int) -> AuditCursor:
        """The position with its ``most`` newest gaps only: most gaps are rolled-back
        transactions (a failed import leaves thousands), and every read asks for them all."""
        if len(self.gaps) <= most:
            return self
        return AuditCursor(self.high_water, dict(sorted(self.gaps.items())[-most:]))


async def last_entry_id(session: AsyncSession) -> int:
    """The id of the last audit entry committed."""
    return int(await session.scalar(select(func.max(AuditEntry.id))) or 0)


async def position_at_end(session: AsyncSession, window: int, now: datetime) -> AuditCursor:
    """A position at the end of the log: the ids not yet committed among the last ``window``
    entries are its gaps (older ones are taken as committed or rolled back)."""
    # One statement: the last id committed is the highest of those read.
    start = select(func.coalesce(func.max(AuditEntry.id), 0) - window).scalar_subquery()
    present = set(await session.scalars(select(AuditEntry.id).where(AuditEntry.id > start)))
    last = max(present, default=0)
    return AuditCursor(max(0, last - window)).advanced(present, last, now)
