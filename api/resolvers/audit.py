"""The audit trail: recording reads and exports, and reading the trail back.

Changes are written by the flush hook of ``db.audit``. Reads of a full
student record and exports are recorded by ``api.auth.read_audit``, called by the
domain functions that serve them, with who, when, from where and what was read: never the personal
data itself, only which record, which population, format and columns.

Reading the trail needs ``AUDIT_READ``: a principal sees the entries of his
schools, the rectorat those of the whole académie.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, school_clause
from core.errors import ValidationFailed
from db.accounts import StaffUser
from db.audit import AuditEntry, set_actor
from db.enrollments import Enrollment
from db.guardians import GuardianLink
from db.schools import SchoolYear

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
# Dates of the filters are days as the schools live them.
LOCAL_TIME = ZoneInfo("Europe/Paris")


@requires(Permission.STUDENTS_READ)
async def reaching_school(
    session: AsyncSession, principal: Principal, student_id: int
) -> int | None:
    """The school through which the caller reaches the student: the most recent enrolment
    in reach (latest year, then latest entry)."""
    school_id: int | None = await session.scalar(
        select(Enrollment.school_id)
        .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
        .where(
            Enrollment.student_id == student_id,
            enrollment_clause(principal, Permission.STUDENTS_READ),
        )
        .order_by(
            SchoolYear.start_year.desc(),
            Enrollment.exit_date.is_not(None),
            Enrollment.entry_date.desc(),
            Enrollment.id.desc(),
        )
        .limit(1)
    )
    return school_id


@dataclass
class AuditFilter:
    school_id: int | None = None
    actor: str | None = None  # a login, or an actor id
    action: str | None = None  # create, update, delete, read, export
    entity: str | None = None  # a table name: students, guardians, divisions...
    entity_id: int | None = None
    from_date: date | None = None  # inclusive, local day
    to_date: date | None = None  # inclusive, local day


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    end_cursor: str | None
    has_next_page: bool


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def audit_cursor(entry: AuditEntry) -> str:
    payload = [_as_utc(entry.at).isoformat(), entry.id]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, entry_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(at, str) or not isinstance(entry_id, int):
            raise ValueError
        return _as_utc(datetime.fromisoformat(at)), entry_id
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed.single(
            "after", "INVALID", "Le curseur de pagination est invalide."
        ) from exc


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIME).astimezone(UTC)


def _reach(principal: Principal) -> ColumnElement[bool]:
    column = cast("InstrumentedAttribute[int]", AuditEntry.school_id)
    in_schools = school_clause(principal, Permission.AUDIT_READ, column)
    if principal.academy_wide(Permission.AUDIT_READ):
        # One deployment serves one académie: entries tied to no school are its own.
        return or_(in_schools, AuditEntry.school_id.is_(None))
    return in_schools


def _actor_clause(actor: str) -> ColumnElement[bool]:
    text = actor.strip()
    if text.isdigit():
        return AuditEntry.actor_id == int(text)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        and_(
            AuditEntry.actor_kind == "staff",
            AuditEntry.actor_id.in_(select(StaffUser.id).where(StaffUser.login == text)),
        ),
        AuditEntry.actor_label == text,
        AuditEntry.actor_label.like(f"%({escaped})", escape="\\"),
    )


def _conditions(principal: Principal, filters: AuditFilter) -> list[ColumnElement[bool]]:
    conditions = [_reach(principal)]
    if filters.school_id is not None:
        conditions.append(AuditEntry.school_id == filters.school_id)
    if filters.actor and filters.actor.strip():
        conditions.append(_actor_clause(filters.actor))
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.entity:
        conditions.append(AuditEntry.entity == filters.entity)
    if filters.entity_id is not None:
        conditions.append(AuditEntry.entity_id == filters.entity_id)
    if filters.from_date and filters.to_date and filters.from_date > filters.to_date:
        raise ValidationFailed.single(
            "to", "INVALID", "La fin de la période doit suivre son début."
        )
    if filters.from_date:
        conditions.append(AuditEntry.at >= _day_start(filters.from_date))
    if filters.to_date:
        conditions.append(AuditEntry.at < _day_start(filters.to_date + timedelta(days=1)))
    return conditions


@requires(Permission.AUDIT_READ)
async def audit_trail(
    session: AsyncSession,
    principal: Principal,
    filters: AuditFilter,
    *,
    first: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> AuditPage:
    """The entries in reach matching the filters, newest first, keyset-paginated."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ValidationFailed.single(
            "first",
            "OUT_OF_RANGE",
            f"La taille de page doit être comprise entre 1 et {MAX_PAGE_SIZE}.",
        )
    conditions = _conditions(principal, filters)
    if after:
        at, entry_id = _decode_cursor(after)
        conditions.append(
            or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id))
        )
    rows = list(
        await session.scalars(
            select(AuditEntry)
            .where(*conditions)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(first + 1)
        )
    )
    entries = rows[:first]
    return AuditPage(
        entries=entries,
        end_cursor=audit_cursor(entries[-1]) if entries else None,
        has_next_page=len(rows) > first,
    )


async def attribute_to_student_school(
    session: AsyncSession,
    principal: Principal,
    permission: Permission,
    *,
    student_id: int | None = None,
    guardian_id: int | None = None,
) -> None:
    """Changes about to be written are recorded under the school through which the caller
    reaches the student (or, for a guardian, one of their children), so that the school's
    principal finds them in the school's trail. Students and guardians carry no school of
    their own."""
    query = select(Enrollment.school_id).where(enrollment_clause(principal, permission))
    if student_id is not None:
        query = query.where(Enrollment.student_id == student_id)
    else:
        query = query.join(GuardianLink, GuardianLink.student_id == Enrollment.student_id).where(
            GuardianLink.guardian_id == guardian_id
        )
    school_id = await session.scalar(
        query.order_by(Enrollment.school_year_id.desc(), Enrollment.id.desc()).limit(1)
    )
    set_actor(session.sync_session, principal.audit_actor(school_id))
