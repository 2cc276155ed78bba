"""The change feed: what changed in a caller's reach after a cursor, read from the audit log.

A client reads everything once, then follows the feed: each page gives, in audit order, the
rows created, updated or deleted since its cursor (the published entities below, each opened
by a permission), with the names and new values of the fields the caller may read, and the
cursor to ask from next time.

Nothing is missed when transactions commit out of order: the cursor is a position in the
audit log with its gaps (``db.audit_cursor``, as the replication's), so an entry committed
late is given in the next page, once. The cursor is sealed: a client cannot forge one, nor
read the ids in it.

Reach, per entry: the school the change was made in (the audit entry's: the row's school, or
the school the actor worked for), where the permission is held for the whole school (a
teacher's classes alone are checked on the row); or, for the rows several schools share
(students, guardians, their links and addresses, enrolments), the row as it is now, through
the same clauses as every read (``api.auth.scopes``). A restricted field (``restricted_to`` on
the domain cards) is shown when its permission reaches the entry the same way.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.field_permissions import restricted_fields
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, guardian_clause, school_clause
from api.auth.sealing import SealBroken, Sealer
from api.resolvers.guardians import GuardianCard
from api.resolvers.student_cards import StudentCard
from core import clock
from core.errors import ValidationFailed
from db.absences import AbsenceEvent
from db.audit import AuditEntry
from db.audit_cursor import AuditCursor, last_entry_id, position_at_end
from db.enrollments import Enrollment, EnrollmentGroup
from db.guardians import Guardian, GuardianLink
from db.students import Student

MAX_CHANGES = 500
# Audit ids looked at by one page at most, found or not: a page costs the same however far
# behind the caller is, and however little of the log is in its reach (then ``has_more``
# with few or no changes: ask again at once).
SCAN_WINDOW = 5_000
# A start cursor looks this far below the last entry for ids not yet committed.
START_WINDOW = 1_000
# Gaps a cursor carries at most (the newest): most are rolled-back transactions, and a
# cursor is sent back by the client.
MAX_GAPS = 500
MAX_CURSOR_LENGTH = 40_000
BAD_CURSOR = "Le curseur du fil des changements est invalide : repartez de changeFeedCursor."


class ChangeAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


ACTIONS = {
    "create": ChangeAction.CREATED,
    "update": ChangeAction.UPDATED,
    "delete": ChangeAction.DELETED,
}

RowReach = Callable[[Principal, Permission], ColumnElement[bool]]


@dataclass(frozen=True)
class Published:
    """An audited table in the feed: the GraphQL type its rows are read as, the permission
    that opens it, the domain card whose restricted fields it shares, and how a row several
    schools share is reached."""

    table: str
    type_name: str
    permission: Permission
    card: type | None = None
    row_reach: RowReach | None = None
    # A row that belongs to a student (its model, with ``student_id``): the change names him.
    of_student: Any = None

    def restricted(self) -> dict[str, Permission]:
        """Column -> permission, for the columns of restricted fields (``address`` is held in
        ``address_id``)."""
        by_field = restricted_fields(self.card) if self.card is not None else {}
        return {column: p for name, p in by_field.items() for column in (name, f"{name}_id")}


def _enrollment_reached(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    return exists().where(
        Enrollment.id == AuditEntry.entity_id, enrollment_clause(principal, permission)
    )


def _student_reached(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    return exists().where(
        Enrollment.student_id == AuditEntry.entity_id, enrollment_clause(principal, permission)
    )


# A group membership (``enrollment_groups``) has no id of its own: its entries name the
# enrolment in their values, and the feed gives them as a change of that enrolment's groups.
MEMBERSHIPS = "enrollment_groups"


def _member_enrollment_id() -> Any:
    return func.coalesce(
        AuditEntry.after["enrollment_id"].as_integer(),
        AuditEntry.before["enrollment_id"].as_integer(),
    )


def _membership_reached(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    return exists().where(
        Enrollment.id == _member_enrollment_id(), enrollment_clause(principal, permission)
    )


def _guardian_reached(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    return guardian_clause(principal, AuditEntry.entity_id, permission)


def _link_reached(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    return exists().where(
        GuardianLink.id == AuditEntry.entity_id,
        exists().where(
            Enrollment.student_id == GuardianLink.student_id,
            enrollment_clause(principal, permission),
        ),
    )


def _address_reached(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    return or_(
        exists().where(
            Student.address_id == AuditEntry.entity_id,
            Enrollment.student_id == Student.id,
            enrollment_clause(principal, permission),
        ),
        exists().where(
            Guardian.address_id == AuditEntry.entity_id,
            guardian_clause(principal, Guardian.id, permission),
        ),
    )


P = Permission
PUBLISHED = (
    Published("students", "Student", P.STUDENTS_READ, StudentCard, _student_reached),
    Published("enrollments", "Enrollment", P.STUDENTS_READ, None, _enrollment_reached, Enrollment),
    Published(MEMBERSHIPS, "Enrollment", P.STUDENTS_READ, None, _membership_reached),
    Published("guardians", "Guardian", P.STUDENTS_READ, GuardianCard, _guardian_reached),
    Published("guardian_links", "GuardianLink", P.STUDENTS_READ, None, _link_reached, GuardianLink),
    Published("addresses", "Address", P.GUARDIAN_CONTACTS_READ, None, _address_reached),
    Published("divisions", "Division", P.STRUCTURES_READ),
    Published("groups", "Group", P.STRUCTURES_READ),
    Published("absence_events", "AbsenceEvent", P.ABSENCES_READ, of_student=AbsenceEvent),
)
BY_TABLE = {published.table: published for published in PUBLISHED}
RESTRICTING = tuple(sorted({p for pub in PUBLISHED for p in pub.restricted().values()}))


@dataclass(frozen=True)
class Change:
    """One row created, updated or deleted. ``values``: the new value of each changed column
    the caller may read (every readable column of a created row; none of a deleted one).
    ``student_id``: the student the row belongs to (an enrolment's, an absence's), if any."""

    entity: str
    id: int
    action: ChangeAction
    at: datetime
    values: dict[str, Any]
    student_id: int | None = None


@dataclass
class ChangePage:
    changes: list[Change]
    cursor: str
    has_more: bool


def _school_reach(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    """Entries made in a school where the permission reaches every row (not a teacher's)."""
    in_school = school_clause(principal, permission, AuditEntry.school_id)  # type: ignore[arg-type]
    teaching_only = principal.teaching_only_school_ids(permission)
    if not teaching_only:
        return in_school
    return and_(in_school, AuditEntry.school_id.not_in(sorted(teaching_only)))


def _reach(principal: Principal, published: Published, permission: Permission) -> Any:
    in_school = _school_reach(principal, permission)
    if published.row_reach is None:
        return in_school
    return or_(in_school, published.row_reach(principal, permission))


def _in_feed(principal: Principal) -> Any:
    """Entries of the published tables that the caller reaches."""
    opened = [
        and_(AuditEntry.entity == p.table, _reach(principal, p, p.permission))
        for p in PUBLISHED
        if principal.has(p.permission)
    ]
    if not opened:
        return false()
    return and_(
        AuditEntry.action.in_(sorted(ACTIONS)),
        or_(AuditEntry.entity_id.is_not(None), AuditEntry.entity == MEMBERSHIPS),
        or_(*opened),
    )


def _reached_with(principal: Principal, permission: Permission) -> Any:
    """Entries whose fields restricted to ``permission`` the caller may read."""
    if not principal.has(permission):
        return false()
    return or_(
        *(
            and_(AuditEntry.entity == p.table, _reach(principal, p, permission))
            for p in PUBLISHED
            if permission in p.restricted().values()
        )
    )


def _sealer(secret_key: str) -> Sealer:
    return Sealer(secret_key, "change-feed-cursors")


def seal_cursor(secret_key: str, position: AuditCursor) -> str:
    gaps = sorted(position.newest_gaps(MAX_GAPS).gaps.items())
    text = json.dumps(
        {
            "h": position.high_water,
            "g": [[gap, int(datetime.fromisoformat(first).timestamp())] for gap, first in gaps],
        },
        separators=(",", ":"),
    )
    return _sealer(secret_key).seal(text)


def open_cursor(secret_key: str, cursor: str) -> AuditCursor:
    """The position a cursor given back by a client holds; ``after`` refused otherwise."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        data = json.loads(_sealer(secret_key).open(cursor))
        high_water, gaps = data["h"], data["g"]
        if not isinstance(high_water, int) or high_water < 0 or len(gaps) > MAX_GAPS:
            raise ValueError
        return AuditCursor(
            high_water,
            {int(gap): datetime.fromtimestamp(int(first), UTC).isoformat() for gap, first in gaps},
        )
    except (SealBroken, ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValidationFailed.single("after", "INVALID", BAD_CURSOR) from exc


async def change_feed_start(session: AsyncSession, principal: Principal, secret_key: str) -> str:
    """A cursor at the end of the log: take it, then read everything, then follow the feed
    from it. The ids not yet committed among the last entries are its gaps."""
    return seal_cursor(secret_key, await position_at_end(session, START_WINDOW, clock.now()))


async def changes_after(
    session: AsyncSession,
    principal: Principal,
    secret_key: str,
    after: str | None,
    first: int = 100,
) -> ChangePage:
    """The next ``first`` changes in the caller's reach after the cursor ``after`` (None: from
    the start of the log), in audit order, and the cursor to ask from next."""
    if not 1 <= first <= MAX_CHANGES:
        raise ValidationFailed.single(
            "first", "OUT_OF_RANGE", f"Le nombre de changements va de 1 à {MAX_CHANGES}."
        )
    position = open_cursor(secret_key, after) if after is not None else AuditCursor()
    # One statement, so that what is found and what is missing are seen at the same moment.
    entries = await session.execute(
        select(AuditEntry.id, case((_in_feed(principal), 1), else_=0))
        .where(position.unread(position.high_water + SCAN_WINDOW))
        .order_by(AuditEntry.id)
    )
    page: list[int] = []
    read: set[int] = set()
    full = False
    for entry_id, in_feed in entries:
        if in_feed:
            if len(page) == first:
                full = True
                break
            page.append(entry_id)
        read.add(entry_id)
    through = max((i for i in read if i > position.high_water), default=position.high_water)
    reached = position.advanced(read, through, clock.now())
    has_more = full or await last_entry_id(session) > reached.high_water
    return ChangePage(
        await _changes(session, principal, page), seal_cursor(secret_key, reached), has_more
    )


def _utc(at: datetime) -> datetime:
    """An audit entry's moment (SQLite gives it back naive: it is UTC)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _student_of_row() -> Any:
    """The student of the row an entry changed, as the row is now (None once deleted)."""
    return case(
        *(
            (
                AuditEntry.entity == p.table,
                select(p.of_student.student_id)
                .where(p.of_student.id == AuditEntry.entity_id)
                .scalar_subquery(),
            )
            for p in PUBLISHED
            if p.of_student is not None
        ),
        else_=None,
    )


async def _changes(session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Change]:
    if not ids:
        return []
    rows = await session.execute(
        select(
            AuditEntry.entity,
            AuditEntry.entity_id,
            AuditEntry.action,
            AuditEntry.at,
            AuditEntry.after,
            AuditEntry.before,
            _student_of_row(),
            *(case((_reached_with(principal, p), 1), else_=0) for p in RESTRICTING),
        )
        .where(AuditEntry.id.in_(ids))
        .order_by(AuditEntry.id)
    )
    found = rows.all()
    memberships = await _groups_now(
        session,
        {
            (after or before)["enrollment_id"]
            for entity, _, _, _, after, before, *_ in found
            if entity == MEMBERSHIPS
        },
    )
    changes: list[Change] = []
    for entity, entity_id, action, at, after, before, student_now, *flags in found:
        if entity == MEMBERSHIPS:
            change = _membership_change(memberships, (after or before)["enrollment_id"], at)
            # A page gives an enrolment's groups once for the entries of one change of them.
            if change is not None and (not changes or changes[-1] != change):
                changes.append(change)
            continue
        published = BY_TABLE[entity]
        held = {p for p, flag in zip(RESTRICTING, flags, strict=True) if flag}
        restricted = published.restricted()
        values = {
            column: value
            for column, value in (after or {}).items()
            if column not in restricted or restricted[column] in held
        }
        if action == "update" and not values:
            continue  # only fields the caller may not read changed: not even that is said
        changes.append(
            Change(
                published.type_name,
                entity_id,
                ACTIONS[action],
                _utc(at),
                values,
                # A deleted row's student is in its last values; an updated one's, in the row.
                (after or before or {}).get("student_id", student_now)
                if published.of_student is not None
                else None,
            )
        )
    return changes


async def _groups_now(
    session: AsyncSession, enrollment_ids: set[int]
) -> dict[int, tuple[int, list[int]]]:
    """Enrolment id -> (its student, its groups as they are now), for the enrolments still
    there."""
    if not enrollment_ids:
        return {}
    found: dict[int, tuple[int, list[int]]] = {
        enrollment_id: (student_id, [])
        for enrollment_id, student_id in await session.execute(
            select(Enrollment.id, Enrollment.student_id).where(
                Enrollment.id.in_(sorted(enrollment_ids))
            )
        )
    }
    for enrollment_id, group_id in await session.execute(
        select(EnrollmentGroup.enrollment_id, EnrollmentGroup.group_id)
        .where(EnrollmentGroup.enrollment_id.in_(sorted(found)))
        .order_by(EnrollmentGroup.group_id)
    ):
        found[enrollment_id][1].append(group_id)
    return found


def _membership_change(
    memberships: dict[int, tuple[int, list[int]]], enrollment_id: int, at: datetime
) -> Change | None:
    """A group joined or left, as a change of the enrolment's groups: their ids as they are
    when read (a later entry of the same enrolment gives the same list). None when the
    enrolment is gone: its own deletion says it."""
    if enrollment_id not in memberships:
        return None
    student_id, group_ids = memberships[enrollment_id]
    return Change(
        "Enrollment",
        enrollment_id,
        ChangeAction.UPDATED,
        _utc(at),
        {"groups": list(group_ids)},
        student_id,
    )
