"""The lists of scholars of a school's year, and the état récapitulatif of a term: the
students paid and the amounts by kind and échelon, for a school or consolidated for the
académie (counts and amounts only, never a student)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers.finances.reach import school_in_reach, term_in_reach, year_of_academy
from api.resolvers.scholarships.files import scholarship_files
from core.errors import ValidationFailed
from core.money import ZERO
from db.finances import FinanceTerm
from db.scholarships import ScholarshipFile, ScholarshipKind, ScholarshipPayment, ScholarshipStatus
from db.schools import School


@dataclass
class Scholar:
    file_id: int
    student_id: int
    student_name: str
    division_code: str | None
    kind: ScholarshipKind
    echelon: int
    annual_amount: Decimal


@requires(Permission.SCHOLARSHIPS_READ)
async def scholars(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    division_id: int | None = None,
) -> list[Scholar]:
    """The year's scholars (granted files), by division then name."""
    cards = await scholarship_files(
        session, principal, school_id, school_year_id, ScholarshipStatus.GRANTED, division_id
    )
    return [
        Scholar(
            c.id,
            c.student_id,
            c.student_name,
            c.division_code,
            c.kind,
            c.echelon or 0,
            c.annual_amount or ZERO,
        )
        for c in cards
    ]


@dataclass
class EchelonTotal:
    kind: ScholarshipKind
    echelon: int
    students: int
    amount: Decimal
    deducted: Decimal
    paid_to_family: Decimal


@dataclass
class SchoolTotal:
    school_id: int
    uai: str
    name: str
    students: int
    amount: Decimal


@dataclass
class TermSummary:
    """What a term paid: by kind and échelon, and in all; for the académie, each school's
    total too (a school that paid nothing shows zero)."""

    school_year_id: int
    term_rank: int
    term_label: str
    school_id: int | None
    by_echelon: list[EchelonTotal]
    students: int
    amount: Decimal
    deducted: Decimal
    paid_to_family: Decimal
    schools: list[SchoolTotal] = field(default_factory=list)


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


async def _by_echelon(session: AsyncSession, *where: object) -> list[EchelonTotal]:
    rows = await session.execute(
        select(
            ScholarshipFile.kind,
            ScholarshipFile.echelon,
            func.count(ScholarshipPayment.id),
            func.sum(ScholarshipPayment.amount),
            func.sum(ScholarshipPayment.deducted),
            func.sum(ScholarshipPayment.paid_to_family),
        )
        .join(ScholarshipFile, ScholarshipFile.id == ScholarshipPayment.file_id)
        .join(FinanceTerm, FinanceTerm.id == ScholarshipPayment.term_id)
        .where(*where)  # type: ignore[arg-type]
        .group_by(ScholarshipFile.kind, ScholarshipFile.echelon)
    )
    return sorted(
        (
            EchelonTotal(kind, echelon or 0, count, _money(a), _money(d), _money(p))
            for kind, echelon, count, a, d, p in rows.all()
        ),
        key=lambda t: (t.kind.value, t.echelon),
    )


def _summary(
    year_id: int, rank: int, label: str, school_id: int | None, lines: list[EchelonTotal]
) -> TermSummary:
    return TermSummary(
        school_year_id=year_id,
        term_rank=rank,
        term_label=label,
        school_id=school_id,
        by_echelon=lines,
        students=sum(t.students for t in lines),
        amount=sum((t.amount for t in lines), ZERO),
        deducted=sum((t.deducted for t in lines), ZERO),
        paid_to_family=sum((t.paid_to_family for t in lines), ZERO),
    )


@requires(Permission.FINANCE_SUMMARIES_READ)
async def term_summary(session: AsyncSession, principal: Principal, term_id: int) -> TermSummary:
    """A school's état récapitulatif of a term."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCE_SUMMARIES_READ)
    lines = await _by_echelon(session, ScholarshipPayment.term_id == term.id)
    return _summary(term.school_year_id, term.rank, term.label, term.school_id, lines)


@requires(Permission.FINANCE_SUMMARIES_READ)
async def academy_term_summary(
    session: AsyncSession, principal: Principal, school_year_id: int, term_rank: int
) -> TermSummary:
    """The académie's état récapitulatif of a term (the schools' terms of that rank):
    the rectorat's, académie-wide."""
    if not principal.academy_wide(Permission.FINANCE_SUMMARIES_READ):
        raise PermissionDenied(Permission.FINANCE_SUMMARIES_READ)
    year = await year_of_academy(session, principal, school_year_id)
    if not 1 <= term_rank <= 4:
        raise ValidationFailed.single("term_rank", "OUT_OF_RANGE", "Trimestre : de 1 à 4.")
    in_academy = FinanceTerm.school_id.in_(
        select(School.id).where(School.academy_id == principal.academy_id)
    )
    lines = await _by_echelon(
        session, FinanceTerm.school_year_id == year.id, FinanceTerm.rank == term_rank, in_academy
    )
    summary = _summary(year.id, term_rank, f"Trimestre {term_rank}", None, lines)
    paid = {
        school_id: (count, _money(total))
        for school_id, count, total in (
            await session.execute(
                select(
                    FinanceTerm.school_id,
                    func.count(ScholarshipPayment.id),
                    func.sum(ScholarshipPayment.amount),
                )
                .join(FinanceTerm, FinanceTerm.id == ScholarshipPayment.term_id)
                .where(
                    FinanceTerm.school_year_id == year.id,
                    FinanceTerm.rank == term_rank,
                    in_academy,
                )
                .group_by(FinanceTerm.school_id)
            )
        ).all()
    }
    schools = await session.execute(
        select(School.id, School.uai, School.name)
        .where(School.academy_id == principal.academy_id)
        .order_by(School.uai)
    )
    summary.schools = [
        SchoolTotal(id_, uai, name, *paid.get(id_, (0, ZERO))) for id_, uai, name in schools.all()
    ]
    return summary


@requires(Permission.FINANCE_SUMMARIES_READ)
async def school_term_ranks(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[tuple[int, int, str]]:
    """The school's terms of the year (id, rank, label), for choosing the état's term."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCE_SUMMARIES_READ)
    year = await year_of_academy(session, principal, school_year_id)
    rows = await session.execute(
        select(FinanceTerm.id, FinanceTerm.rank, FinanceTerm.label)
        .where(FinanceTerm.school_id == school.id, FinanceTerm.school_year_id == year.id)
        .order_by(FinanceTerm.rank)
    )
    return [(id_, rank, label) for id_, rank, label in rows.all()]
