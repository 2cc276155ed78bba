"""Recording reads and exports in the audit trail (changes are recorded by ``db.audit``).

Here, under auth, because opening and ending sessions are recorded too, and auth does not
reach up to the domain layer; the domain functions and the exports call it as well.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from core import clock
from db.audit import AuditEntry

# "logout_all": a staff member ended all their sessions (a lost device, a doubt); "search": a
# search beyond the caller's own students (a student arriving from another school).
AccessAction = Literal["read", "export", "logout_all", "search"]


def record_access(
    session: AsyncSession,
    principal: Principal,
    action: AccessAction,
    entity: str,
    entity_id: int | None,
    school_id: int | None,
    details: dict[str, Any],
) -> AuditEntry:
    """Adds an entry for a read or an export; written when the session commits.

    ``details`` says what was read or exported (fields, population, format,
    columns), never the values read.
    """
    entry = AuditEntry(
        at=clock.now(),
        actor_kind=principal.kind,
        actor_id=principal.id,
        actor_label=principal.label[:120],
        remote_addr=principal.remote_addr,
        school_id=school_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=None,
        after=details,
    )
    session.add(entry)
    return entry
