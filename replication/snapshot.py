"""What families may see, read from the admin database: the rows each replicated table should
hold, for some ids, for some schools, or for everything.

Only schools with a télé-service open are visible; absences only where the absences service
is open, marks only where the grades service is open and once published (continuously from
their publication date, or at the (MEF, division) deadlines); codes only while valid. Of the
finances, only the accounts of payers this database holds (a guardian with a valid code
here), each with its balance and its notices, the notices' lines reduced to
``notice_lines``: no other ledger row, no tariff, no scholarship file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.finances.ledger import account_balances
from core.money import to_cents
from db.absences import AbsenceEvent, AbsenceMotive, GenericMotive, TimeSlot
from db.enrollments import Enrollment
from db.finances import Charge, FamilyAccount, FamilyNotice, FinanceTerm, Payment, Reduction
from db.grades import Assessment, Mark
from db.nomenclatures import Subject
from db.schools import School, current_year_id_of
from db.structures import Division
from db.students import Student
from db.teleservices import (
    ActivationCode,
    GradesPublication,
    GradesSettings,
    PublicationDeadline,
    SchoolTeleservice,
    Teleservice,
)
from tsdb import models as ts

Row = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """Which rows of a table: ``ids`` (replicated ids), ``schools`` (every row of them), or
    everything when both are None."""

    ids: frozenset[int] | None = None
    schools: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.ids is None and self.schools is None


def _open(service: Teleservice | None, school_column: Any) -> Any:
    """Rows of schools with that service open (any service when None)."""
    clauses = [SchoolTeleservice.school_id == school_column, SchoolTeleservice.is_open.is_(True)]
    if service is not None:
        clauses.append(SchoolTeleservice.service == service)
    return exists().where(*clauses)


def _scoped(query: Any, scope: Scope, id_column: Any, school_column: Any) -> Any:
    if scope.ids is not None:
        query = query.where(id_column.in_(sorted(scope.ids)))
    if scope.schools is not None:
        query = query.where(school_column.in_(sorted(scope.schools)))
    return query


async def schools(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    rows = await session.execute(
        _scoped(select(School), scope, School.id, School.id).where(_open(None, School.id))
    )
    found = [school for (school,) in rows]
    services: dict[int, list[str]] = {}
    if found:
        for school_id, service in await session.execute(
            select(SchoolTeleservice.school_id, SchoolTeleservice.service)
            .where(
                SchoolTeleservice.school_id.in_([s.id for s in found]),
                SchoolTeleservice.is_open.is_(True),
            )
            .order_by(SchoolTeleservice.service)
        ):
            services.setdefault(school_id, []).append(service.value)
    return [
        {
            "id": s.id,
            "uai": s.uai,
            "name": s.name,
            "city": s.city,
            "services": ",".join(services.get(s.id, [])),
        }
        for s in found
    ]


def _current(today: date) -> Any:
    return and_(
        Enrollment.school_year_id == current_year_id_of(Enrollment.school_id),
        or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= today),
    )


async def students(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(Enrollment, Student, Division.code)
        .join(Student, Student.id == Enrollment.student_id)
        .outerjoin(Division, Division.id == Enrollment.division_id)
        .where(_current(today), _open(None, Enrollment.school_id))
    )
    rows = await session.execute(_scoped(query, scope, Enrollment.id, Enrollment.school_id))
    return [
        {
            "id": enrolment.id,
            "student_id": student.id,
            "school_id": enrolment.school_id,
            "family_name": student.usage_name or student.family_name,
            "first_name": student.first_name,
            "birth_date": student.birth_date,
            "division_code": code,
        }
        for enrolment, student, code in rows
    ]


async def absences(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    start_slot = select(TimeSlot.code).where(TimeSlot.id == AbsenceEvent.start_slot_id)
    end_slot = select(TimeSlot.code).where(TimeSlot.id == AbsenceEvent.end_slot_id)
    query = (
        select(
            AbsenceEvent,
            start_slot.scalar_subquery(),
            end_slot.scalar_subquery(),
            AbsenceMotive.label,
            GenericMotive.legitimate,
        )
        .outerjoin(AbsenceMotive, AbsenceMotive.id == AbsenceEvent.motive_id)
        .outerjoin(GenericMotive, GenericMotive.id == AbsenceMotive.generic_motive_id)
        .where(_open(Teleservice.ABSENCES, AbsenceEvent.school_id))
    )
    rows = await session.execute(_scoped(query, scope, AbsenceEvent.id, AbsenceEvent.school_id))
    return [
        {
            "id": event.id,
            "student_id": event.student_id,
            "school_id": event.school_id,
            "kind": event.kind.value,
            "start_date": event.start_date,
            "start_slot": start or "",
            "end_date": event.end_date,
            "end_slot": end or "",
            "minutes_late": event.minutes_late,
            "motive": motive,
            "justified": bool(legitimate),
        }
        for event, start, end, motive, legitimate in rows
    ]


def _published(today: date) -> Any:
    """Marks families may see today, by the school's publication type."""
    deadline_mode = exists().where(
        GradesSettings.school_id == Assessment.school_id,
        GradesSettings.publication == GradesPublication.DEADLINES,
    )
    # At deadlines: a deadline of the student's (MEF, division) pair has come since the
    # assessment's publication date.
    reached = exists().where(
        PublicationDeadline.school_id == Assessment.school_id,
        PublicationDeadline.day >= Assessment.published_on,
        PublicationDeadline.day <= today,
        exists().where(
            Enrollment.student_id == Mark.student_id,
            Enrollment.school_id == Assessment.school_id,
            Enrollment.division_id == PublicationDeadline.division_id,
            Enrollment.mef_id == PublicationDeadline.mef_id,
        ),
    )
    return or_(
        and_(~deadline_mode, Assessment.published_on <= today),
        and_(deadline_mode, reached),
    )


async def marks(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(Mark, Assessment, Subject.short_label)
        .join(Assessment, Assessment.id == Mark.assessment_id)
        .join(Subject, Subject.id == Assessment.subject_id)
        .where(_open(Teleservice.GRADES, Assessment.school_id), _published(today))
    )
    rows = await session.execute(_scoped(query, scope, Mark.id, Assessment.school_id))
    return [
        {
            "id": mark.id,
            "student_id": mark.student_id,
            "school_id": assessment.school_id,
            "subject": subject,
            "title": assessment.title,
            "day": assessment.day,
            "status": mark.status.value,
            "value": mark.value,
            "scale": assessment.scale,
            "coefficient": assessment.coefficient,
        }
        for mark, assessment, subject in rows
    ]


async def codes(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(ActivationCode, Student.birth_date)
        .join(Student, Student.id == ActivationCode.student_id)
        .where(ActivationCode.is_valid.is_(True), _open(None, ActivationCode.school_id))
    )
    rows = await session.execute(_scoped(query, scope, ActivationCode.id, ActivationCode.school_id))
    return [
        {
            "id": code.id,
            "kind": code.kind.value,
            "school_id": code.school_id,
            "student_id": code.student_id,
            "guardian_id": code.guardian_id,
            "birth_date": birth_date,
            "lookup": code.lookup,
            "code_hash": code.code_hash,
        }
        for code, birth_date in rows
    ]


def payer_held(guardian_column: Any) -> Any:
    """Accounts of a payer this database holds: a guardian with a code copied here (valid, in
    a school with a télé-service open), whichever school the account is in."""
    return exists().where(
        ActivationCode.guardian_id == guardian_column,
        ActivationCode.is_valid.is_(True),
        _open(None, ActivationCode.school_id),
    )


# Accounts read at once (the ids of each query's IN list).
ACCOUNTS_AT_ONCE = 1000


async def _last_movements(session: AsyncSession, account_ids: list[int]) -> dict[int, datetime]:
    """When each account's ledger last moved: its latest charge, reduction or payment."""
    latest: dict[int, datetime] = {}
    for model in (Charge, Reduction, Payment):
        rows = await session.execute(
            select(model.account_id, func.max(model.created_at))
            .where(model.account_id.in_(account_ids))
            .group_by(model.account_id)
        )
        for account_id, at in rows.all():
            if at is not None and (account_id not in latest or at > latest[account_id]):
                latest[account_id] = at
    return latest


async def finance_accounts(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(FamilyAccount.id, FamilyAccount.guardian_id, FamilyAccount.school_id, School.name)
        .join(School, School.id == FamilyAccount.school_id)
        .where(payer_held(FamilyAccount.guardian_id))
        .order_by(FamilyAccount.id)
    )
    found = (
        await session.execute(_scoped(query, scope, FamilyAccount.id, FamilyAccount.school_id))
    ).all()
    rows: list[Row] = []
    for start in range(0, len(found), ACCOUNTS_AT_ONCE):
        part = found[start : start + ACCOUNTS_AT_ONCE]
        ids = [account_id for account_id, *_ in part]
        balances = await account_balances(session, ids)
        moved = await _last_movements(session, ids)
        rows += [
            {
                "id": account_id,
                "guardian_id": guardian_id,
                "school_id": school_id,
                "school_name": school_name,
                "balance": to_cents(balances[account_id]),
                "updated_at": moved.get(account_id),
            }
            for account_id, guardian_id, school_id, school_name in part
        ]
    return rows


# What a family reads of a notice's frozen lines (``FamilyNotice.frozen_lines``), longest texts.
LABEL_LENGTH = 200


def _text(value: Any) -> str | None:
    return value[:LABEL_LENGTH] if isinstance(value, str) else None


def _amount(value: Any) -> str | None:
    """An amount written "-36.00" (a string, so that no float ever carries it)."""
    if not isinstance(value, str):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return str(to_cents(amount)) if amount.is_finite() else None


def notice_lines(frozen: str) -> dict[str, Any]:
    """The family's view a notice froze (``family`` in its frozen lines, written by
    ``api.resolvers.finances.notices.family_view``), keeping only the documented fields::

        {"children": [{"name": "Lina Martin",
                       "lines": [{"label": "Demi-pension", "detail": "48 jours sur 60",
                                  "amount": "180.00"}, ...],
                       "total": "144.00"}, ...],
         "payments": [{"label": "Chèque n° 1234", "day": "2026-10-05", "amount": "-50.00"}]}

    Amounts are strings with a dot and two decimals, signed as they act on what the family
    owes (a charge is positive; a reduction, a scholarship, a receipt negative). ``detail``
    and ``payments`` may be missing. Whatever else the staff side froze (ids, internal codes)
    stays there; an entry without its label or amount is left out (the notice's totals,
    copied apart, still tell the whole)."""
    try:
        data = json.loads(frozen)
    except (TypeError, ValueError):
        data = None
    data = data.get("family") if isinstance(data, dict) else None
    data = data if isinstance(data, dict) else {}
    children: list[dict[str, Any]] = []
    for child in data.get("children") or []:
        if not isinstance(child, dict) or _text(child.get("name")) is None:
            continue
        lines = []
        for line in child.get("lines") or []:
            if not isinstance(line, dict):
                continue
            label, amount = _text(line.get("label")), _amount(line.get("amount"))
            if label is None or amount is None:
                continue
            lines.append({"label": label, "detail": _text(line.get("detail")), "amount": amount})
        children.append(
            {"name": _text(child["name"]), "lines": lines, "total": _amount(child.get("total"))}
        )
    payments = []
    for payment in data.get("payments") or []:
        if not isinstance(payment, dict):
            continue
        label, amount = _text(payment.get("label")), _amount(payment.get("amount"))
        if label is None or amount is None:
            continue
        day = payment.get("day")
        try:
            day = date.fromisoformat(day).isoformat() if isinstance(day, str) else None
        except ValueError:
            day = None
        payments.append({"label": label, "day": day, "amount": amount})
    return {"children": children, "payments": payments}


async def finance_notices(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(FamilyNotice, FinanceTerm.label, FinanceTerm.first_day)
        .join(FamilyAccount, FamilyAccount.id == FamilyNotice.account_id)
        .join(FinanceTerm, FinanceTerm.id == FamilyNotice.term_id)
        .where(payer_held(FamilyAccount.guardian_id))
    )
    rows = await session.execute(_scoped(query, scope, FamilyNotice.id, FamilyNotice.school_id))
    return [
        {
            "id": notice.id,
            "account_id": notice.account_id,
            "school_id": notice.school_id,
            "term_label": label,
            "term_first_day": first_day,
            "issued_on": notice.issued_at.date(),
            "charges": notice.charges,
            "reductions": notice.reductions,
            "scholarships": notice.scholarships,
            "payments": notice.payments,
            "balance": notice.balance,
            "lines": notice_lines(notice.frozen_lines),
        }
        for notice, label, first_day in rows
    ]


Reader = Callable[[AsyncSession, Scope, date], Any]


@dataclass(frozen=True)
class Table:
    """A replicated table: its model in the télé-services database and how to read it."""

    name: str
    model: type[ts.Base]
    read: Reader
    # The télé-services column holding the school (for school-wide changes).
    school_column: str


TABLES = (
    Table("schools", ts.TsSchool, schools, "id"),
    Table("students", ts.TsStudent, students, "school_id"),
    Table("absences", ts.TsAbsence, absences, "school_id"),
    Table("marks", ts.TsMark, marks, "school_id"),
    Table("codes", ts.TsCode, codes, "school_id"),
    Table("finance_accounts", ts.TsFinanceAccount, finance_accounts, "school_id"),
    Table("finance_notices", ts.TsFinanceNotice, finance_notices, "school_id"),
)
