"""The remise de principe (decree 63-629 of 26 June 1963): a family with at least three
children boarding or half-boarding at once in public secondary schools has its board
charges reduced, per child, by 20 % for three children, 30 % for four, 40 % for five; from
six children on, the first five have 40 % and the sixth and following are free.

Our reading, written once here:

- a child counts when his payer is the family's payer and he is half-boarder or boarder
  (a régime that gives a term charge, not the ticket) some day of the term in a public
  school of the académie (the school that feeds or lodges him), or when the payer's account
  in the generating school declares him (``FamilyAccount.children_elsewhere``: a
  certificate from another académie);
- children are ranked by birth date, the eldest first, to know who is the sixth; the
  children declared elsewhere have no birth date here and take the first ranks, so that the
  gratuity of the youngest falls on the children this base charges;
- the rate applies to each board charge of the term (half-board and boarding alike).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.finances.accounts import payers_of
from api.resolvers.finances.regimes import own_code, pieces_in_term
from api.resolvers.finances.tariffs import CHARGE_KINDS, TICKET
from db.enrollments import Enrollment
from db.finances import FamilyAccount, FinanceTerm, RegimePeriod
from db.guardians import GuardianLink
from db.schools import School, SchoolSector
from db.students import Student

RATES = {3: Decimal("20"), 4: Decimal("30"), 5: Decimal("40")}
FREE = Decimal("100")
CHUNK = 5000


def principle_rates(
    children: Iterable[tuple[date, int]], children_elsewhere: int = 0
) -> dict[int, Decimal]:
    """Each child's rate in percent, from the family's children counted here (birth date,
    student id) and those declared elsewhere; empty under three children."""
    ranked = sorted(children)
    count = len(ranked) + children_elsewhere
    if count < 3:
        return {}
    if count <= 5:
        return {student_id: RATES[count] for _born, student_id in ranked}
    return {
        student_id: FREE if children_elsewhere + rank > 5 else RATES[5]
        for rank, (_born, student_id) in enumerate(ranked, start=1)
    }


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


async def family_rates(
    session: AsyncSession,
    school: School,
    term: FinanceTerm,
    payer_of: Mapping[int, int],
    kinds: Mapping[str, str],
) -> dict[int, tuple[Decimal, int]]:
    """The rate of each student of ``payer_of`` (student → payer) whose family has three
    children or more, with the family's count. ``kinds``: the year's régime code → kind.
    Reads the payers' children in every public school of the académie, a fixed number of
    statements whatever the number of families."""
    payers = set(payer_of.values())
    if not payers:
        return {}
    candidates: set[int] = set()
    for chunk in _chunks(sorted(payers)):
        candidates |= set(
            await session.scalars(
                select(GuardianLink.student_id).where(GuardianLink.guardian_id.in_(chunk))
            )
        )
    family_payer = {
        student_id: payer
        for student_id, payer in (await payers_of(session, candidates)).items()
        if payer in payers
    }
    public = {
        school_id
        for school_id in await session.scalars(
            select(School.id).where(
                School.academy_id == school.academy_id, School.sector == SchoolSector.PUBLIC
            )
        )
    }
    enrollments: list[Enrollment] = []
    for chunk in _chunks(sorted(family_payer)):
        enrollments += list(
            await session.scalars(
                select(Enrollment).where(
                    Enrollment.student_id.in_(chunk),
                    Enrollment.school_year_id == term.school_year_id,
                    Enrollment.entry_date <= term.last_day,
                )
            )
        )
    periods: dict[int, list[tuple[date, str, int | None]]] = {}
    births: dict[int, date] = {}
    for chunk in _chunks([e.id for e in enrollments]):
        for period in await session.scalars(
            select(RegimePeriod).where(RegimePeriod.enrollment_id.in_(chunk))
        ):
            periods.setdefault(period.enrollment_id, []).append(
                (period.effective_on, period.regime_code, period.host_school_id)
            )
    for chunk in _chunks(sorted(family_payer)):
        births |= dict(
            (
                await session.execute(
                    select(Student.id, Student.birth_date).where(Student.id.in_(chunk))
                )
            ).all()
        )
    boarding: dict[int, set[int]] = {}
    for enrollment in enrollments:
        pieces = pieces_in_term(
            enrollment.entry_date,
            enrollment.exit_date,
            own_code(enrollment),
            periods.get(enrollment.id, []),
            term.first_day,
            term.last_day,
        )
        if any(
            kinds.get(p.regime_code) in CHARGE_KINDS
            and p.regime_code != TICKET
            and (p.host_school_id or enrollment.school_id) in public
            for p in pieces
        ):
            boarding.setdefault(family_payer[enrollment.student_id], set()).add(
                enrollment.student_id
            )
    elsewhere: dict[int, int] = {}
    for chunk in _chunks(sorted(payers)):
        elsewhere |= dict(
            (
                await session.execute(
                    select(FamilyAccount.guardian_id, FamilyAccount.children_elsewhere).where(
                        FamilyAccount.school_id == school.id,
                        FamilyAccount.guardian_id.in_(chunk),
                    )
                )
            ).all()
        )
    rates: dict[int, tuple[Decimal, int]] = {}
    for payer in payers:
        children = boarding.get(payer, set())
        count = len(children) + elsewhere.get(payer, 0)
        for student_id, rate in principle_rates(
            ((births[s], s) for s in children), elsewhere.get(payer, 0)
        ).items():
            if payer_of.get(student_id) == payer:
                rates[student_id] = (rate, count)
    return rates
