"""What changed since the last run, from the admin database's audit log (every change of
personal data is there, in order), and what time alone publishes (marks reaching their
publication date or a deadline): the rows of each replicated table to refresh.

Audit ids are given when rows are written, not when their transaction commits: each run
remembers the ids missing below its high-water mark ("gaps") and looks for them again next
time, for a day (``db.audit_cursor``, shared with the clients' change feed).

Finances: a family account's row changes with its ledger. Reductions, payments, notices and
accounts are audited row by row; charges are not (written in mass), but those of a term's
generation are found from the generation's audited entry, and those written outside any
generation (by hand) from their creation time, looked for again over the same day as the
gaps. An account appears or goes when its payer's codes change (``payer_held``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from db.audit import AuditEntry
from db.audit_cursor import GAP_LIFETIME, AuditCursor, last_entry_id
from db.enrollments import Enrollment
from db.finances import Charge, FamilyAccount, FamilyNotice, Payment, Reduction
from db.grades import Assessment, Mark
from db.teleservices import ActivationCode, GradesPublication, GradesSettings, PublicationDeadline
from replication.snapshot import Scope


@dataclass
class Changes:
    ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    schools: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    high_water: int = 0
    # Audit ids still missing below the high-water mark -> when first missed (ISO).
    gaps: dict[int, str] = field(default_factory=dict)

    def scope(self, table: str) -> Scope | None:
        ids, schools = self.ids.get(table), self.schools.get(table)
        if not ids and not schools:
            return None
        return Scope(frozenset(ids or ()), frozenset(schools or ()))

    def school_wide(self, school_id: int | None, *tables: str) -> None:
        if school_id is not None:
            for table in tables:
                self.schools[table].add(school_id)


EVERY_TABLE = ("schools", "students", "absences", "marks", "codes")


async def _ids_where(session: AsyncSession, column: object, clause: object) -> set[int]:
    return set(await session.scalars(select(column).where(clause)))  # type: ignore[call-overload]


async def high_water(session: AsyncSession) -> int:
    """The last audit entry: where a full run leaves the cursor."""
    return await last_entry_id(session)


async def read_changes(
    session: AsyncSession, cursor: int, gaps: dict[int, str] | None = None
) -> Changes:
    """Changes from the audit entries after ``cursor``, and from the earlier ``gaps`` found."""
    changes = Changes()
    position = AuditCursor(cursor, gaps or {})
    through = max(cursor, await high_water(session))
    entries = (
        await session.execute(
            select(
                AuditEntry.id,
                AuditEntry.action,
                AuditEntry.entity,
                AuditEntry.entity_id,
                AuditEntry.school_id,
            ).where(position.unread(through))
        )
    ).all()
    reached = position.advanced({entry_id for entry_id, *_ in entries}, through, clock.now())
    changes.high_water, changes.gaps = reached.high_water, dict(reached.gaps)
    by_entity: dict[str, set[int]] = defaultdict(set)
    for _id, action, entity, entity_id, school_id in entries:
        # Reads and exports are in the log too: only writes change what families see.
        if action not in ("create", "update", "delete"):
            continue
        # A rentrée switch moves the school's current year: enrolments that became current
        # changed no row (nor left any audit entry), so the school's scope is copied again.
        if entity in ("school_teleservices", "rentrees"):
            changes.school_wide(school_id, *EVERY_TABLE)
        elif entity in ("grades_settings", "publication_deadlines"):
            changes.school_wide(school_id, "marks")
        elif entity in ("absence_motives", "time_slots"):
            changes.school_wide(school_id, "absences")
        elif entity_id is not None:
            by_entity[entity].add(entity_id)
    changes.ids["absences"] |= by_entity["absence_events"]
    changes.ids["marks"] |= by_entity["marks"]
    changes.ids["codes"] |= by_entity["activation_codes"]
    changes.ids["students"] |= by_entity["enrollments"]
    if by_entity["students"]:
        students = sorted(by_entity["students"])
        changes.ids["students"] |= await _ids_where(
            session, Enrollment.id, Enrollment.student_id.in_(students)
        )
        changes.ids["codes"] |= await _ids_where(
            session, ActivationCode.id, ActivationCode.student_id.in_(students)
        )
    if by_entity["divisions"]:
        changes.ids["students"] |= await _ids_where(
            session, Enrollment.id, Enrollment.division_id.in_(sorted(by_entity["divisions"]))
        )
    if by_entity["assessments"]:
        changes.ids["marks"] |= await _ids_where(
            session, Mark.id, Mark.assessment_id.in_(sorted(by_entity["assessments"]))
        )
    await _finance_changes(session, changes, by_entity)
    return changes


async def _accounts_of_rows(
    session: AsyncSession, model: type[Payment] | type[Reduction], ids: set[int]
) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ordered := sorted(ids)), 5000):
        found |= await _ids_where(
            session, model.account_id, model.id.in_(ordered[start : start + 5000])
        )
    return found


async def _finance_changes(
    session: AsyncSession, changes: Changes, by_entity: dict[str, set[int]]
) -> None:
    accounts = set(by_entity["family_accounts"])
    accounts |= await _accounts_of_rows(session, Payment, by_entity["payments"])
    accounts |= await _accounts_of_rows(session, Reduction, by_entity["reductions"])
    if by_entity["charge_generations"]:
        accounts |= await _ids_where(
            session,
            Charge.account_id,
            Charge.generation_id.in_(sorted(by_entity["charge_generations"])),
        )
    notices = set(by_entity["family_notices"])
    if by_entity["finance_terms"]:
        notices |= await _ids_where(
            session, FamilyNotice.id, FamilyNotice.term_id.in_(sorted(by_entity["finance_terms"]))
        )
    # A school renamed: its accounts carry its name.
    for school_id in by_entity["schools"]:
        changes.school_wide(school_id, "finance_accounts")
    # Payers whose codes changed (or all of a school's, when its services or its year did):
    # their accounts, in any school, come or go with them.
    codes, code_schools = changes.ids.get("codes"), changes.schools.get("codes")
    payers: set[int] = set()
    if codes:
        payers |= await _ids_where(
            session,
            ActivationCode.guardian_id,
            and_(ActivationCode.id.in_(sorted(codes)), ActivationCode.guardian_id.is_not(None)),
        )
    if code_schools:
        payers |= await _ids_where(
            session,
            ActivationCode.guardian_id,
            and_(
                ActivationCode.school_id.in_(sorted(code_schools)),
                ActivationCode.guardian_id.is_not(None),
            ),
        )
    if payers:
        held = await _ids_where(
            session, FamilyAccount.id, FamilyAccount.guardian_id.in_(sorted(payers))
        )
        accounts |= held
        notices |= await _ids_where(
            session, FamilyNotice.id, FamilyNotice.account_id.in_(sorted(held))
        )
    changes.ids["finance_accounts"] |= accounts
    changes.ids["finance_notices"] |= notices


async def add_unaudited_charges(
    session: AsyncSession, changes: Changes, since: datetime | None
) -> None:
    """Accounts charged by hand (outside any generation) since ``since``, less the day that a
    transaction may take to commit (the gaps' day): charges leave no audit entry of their own.
    ``since`` None (no run yet): every such charge."""
    clause: Any = Charge.generation_id.is_(None)
    if since is not None:
        # SQLite gives back naive UTC times.
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        clause = and_(clause, Charge.created_at >= since - GAP_LIFETIME)
    changes.ids["finance_accounts"] |= await _ids_where(session, Charge.account_id, clause)


async def add_publications(
    session: AsyncSession, changes: Changes, since: date | None, today: date
) -> None:
    """Marks that time has made visible since ``since``: publication dates reached (continuous
    publication) and deadlines reached (school-wide)."""
    if since is None or since >= today:
        return
    continuous = await _ids_where(
        session,
        Mark.id,
        Mark.assessment_id.in_(
            select(Assessment.id).where(
                Assessment.published_on > since, Assessment.published_on <= today
            )
        ),
    )
    changes.ids["marks"] |= continuous
    for school_id in await session.scalars(
        select(PublicationDeadline.school_id)
        .where(PublicationDeadline.day > since, PublicationDeadline.day <= today)
        .where(
            PublicationDeadline.school_id.in_(
                select(GradesSettings.school_id).where(
                    GradesSettings.publication == GradesPublication.DEADLINES
                )
            )
        )
        .distinct()
    ):
        changes.school_wide(school_id, "marks")
