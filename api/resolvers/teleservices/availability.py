"""When a code given on the staff side becomes usable by the family: the families portal
reads the télé-services database, which holds a code only once a replication has carried it.
The replication records how far it got in the admin database (``ReplicationProgress``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from core import clock
from db.audit import AuditEntry
from db.teleservices import ActivationCode, ReplicationProgress


@dataclass(frozen=True)
class CodeAvailability:
    usable_now: bool
    # The next scheduled replication, when one is scheduled and not overdue.
    expected_at: datetime | None


@requires(Permission.TELESERVICES_MANAGE)
async def code_availability(
    session: AsyncSession, principal: Principal, code_id: int
) -> CodeAvailability:
    code = await get_in_reach(
        session,
        principal,
        Permission.TELESERVICES_MANAGE,
        ActivationCode,
        code_id,
        ActivationCode.school_id,
    )
    # The code's creation in the audit log, which replication follows (a later change, such as
    # its notification, does not make a valid code unusable).
    changed = await session.scalar(
        select(func.min(AuditEntry.id)).where(
            AuditEntry.entity == ActivationCode.__tablename__, AuditEntry.entity_id == code.id
        )
    )
    progress = await session.get(ReplicationProgress, 1)
    if progress is not None and changed is not None and changed <= progress.audit_cursor:
        return CodeAvailability(usable_now=True, expected_at=None)
    due = progress.next_run_at if progress is not None else None
    if due is not None and due.tzinfo is None:  # SQLite gives back naive UTC
        due = due.replace(tzinfo=UTC)
    return CodeAvailability(
        usable_now=False, expected_at=due if due is not None and due > clock.now() else None
    )
