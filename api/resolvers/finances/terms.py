"""A school's financial terms (trimestres) for a year: set up from the school year (three
terms by default), closed in order once over. A closed term is immutable: what changes
about it afterwards is recorded in the first open term after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.reach import school_in_reach, term_in_reach, year_of_academy
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import FieldError, ValidationFailed
from db.audit import set_actor
from db.finances import FinanceTerm
from db.schools import SchoolYear


@dataclass
class TermDates:
    label: str
    first_day: date
    last_day: date


def default_terms(year: SchoolYear) -> list[TermDates]:
    """September to December, January to March, April to the year's end: the usual split
    of the boarding year, which the school board may change."""
    january = date(year.start_year + 1, 1, 1)
    april = date(year.start_year + 1, 4, 1)
    return [
        TermDates("1er trimestre", year.starts_on, january - timedelta(days=1)),
        TermDates("2e trimestre", january, april - timedelta(days=1)),
        TermDates("3e trimestre", april, year.ends_on),
    ]


def _check_dates(year: SchoolYear, terms: list[TermDates]) -> None:
    errors: list[FieldError] = []
    if not 1 <= len(terms) <= 4:
        errors.append(FieldError("terms", "COUNT", "Une année compte de 1 à 4 trimestres."))
    previous: TermDates | None = None
    for rank, term in enumerate(terms, start=1):
        field = f"terms.{rank}"
        if not term.label.strip() or len(term.label) > 40:
            errors.append(
                FieldError(f"{field}.label", "LABEL", "Libellé requis (40 caractères au plus).")
            )
        if term.first_day > term.last_day:
            errors.append(
                FieldError(f"{field}.last_day", "ORDER", "Le dernier jour précède le premier.")
            )
        if term.first_day < year.starts_on or term.last_day > year.ends_on:
            errors.append(
                FieldError(
                    f"{field}.first_day",
                    "OUTSIDE_YEAR",
                    f"Le trimestre doit tenir dans l'année {year.label}.",
                )
            )
        if previous is not None and term.first_day != previous.last_day + timedelta(days=1):
            errors.append(
                FieldError(
                    f"{field}.first_day",
                    "NOT_CONTIGUOUS",
                    "Chaque trimestre commence le lendemain du dernier jour du précédent.",
                )
            )
        previous = term
    if errors:
        raise ValidationFailed(errors)


@requires(Permission.FINANCES_READ)
async def finance_terms(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[FinanceTerm]:
    await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    await year_of_academy(session, principal, school_year_id)
    return list(
        await session.scalars(
            select(FinanceTerm)
            .where(FinanceTerm.school_id == school_id, FinanceTerm.school_year_id == school_year_id)
            .order_by(FinanceTerm.rank)
        )
    )


@requires(Permission.FINANCES_MANAGE)
async def set_terms(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    terms: list[TermDates] | None = None,
) -> list[FinanceTerm]:
    """Set the year's terms (the default split when ``terms`` is None). Terms already
    closed keep their dates; a term cannot be dropped once something is recorded in it
    (the database's foreign keys refuse it)."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_MANAGE)
    year = await year_of_academy(session, principal, school_year_id)
    await check_year_writable(session, school.id, year)
    wanted = terms if terms is not None else default_terms(year)
    _check_dates(year, wanted)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    existing = {
        term.rank: term
        for term in await session.scalars(
            select(FinanceTerm).where(
                FinanceTerm.school_id == school.id, FinanceTerm.school_year_id == year.id
            )
        )
    }
    for rank, dates in enumerate(wanted, start=1):
        term = existing.pop(rank, None)
        if term is None:
            session.add(
                FinanceTerm(
                    school_id=school.id,
                    school_year_id=year.id,
                    rank=rank,
                    label=dates.label.strip(),
                    first_day=dates.first_day,
                    last_day=dates.last_day,
                )
            )
            continue
        if term.closed_at is not None and (term.first_day, term.last_day) != (
            dates.first_day,
            dates.last_day,
        ):
            raise ValidationFailed.single(
                f"terms.{rank}.first_day",
                "TERM_CLOSED",
                f"Le {term.label} est clos : ses dates ne changent plus.",
            )
        term.label, term.first_day, term.last_day = (
            dates.label.strip(),
            dates.first_day,
            dates.last_day,
        )
    for term in existing.values():
        if term.closed_at is not None:
            raise ValidationFailed.single(
                "terms", "TERM_CLOSED", f"Le {term.label} est clos : il ne se supprime pas."
            )
        await session.delete(term)
    await session.flush()
    return await finance_terms(session, principal, school.id, year.id)


@requires(Permission.FINANCES_MANAGE)
async def close_term(session: AsyncSession, principal: Principal, term_id: int) -> FinanceTerm:
    """Close a term once its last day is past and every earlier term is closed: from then
    on it reads, and corrections about it go to the next open term."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_MANAGE)
    if term.closed_at is not None:
        raise ValidationFailed.single(
            "term_id", "ALREADY_CLOSED", f"Le {term.label} est déjà clos."
        )
    if term.last_day >= clock.today():
        raise ValidationFailed.single(
            "term_id",
            "NOT_OVER",
            f"Le {term.label} se clôt après son dernier jour ({term.last_day:%d/%m/%Y}).",
        )
    earlier_open = await session.scalar(
        select(FinanceTerm.label).where(
            FinanceTerm.school_id == term.school_id,
            FinanceTerm.first_day < term.first_day,
            FinanceTerm.closed_at.is_(None),
        )
    )
    if earlier_open is not None:
        raise ValidationFailed.single(
            "term_id", "EARLIER_OPEN", f"Clôturez d'abord le {earlier_open}."
        )
    set_actor(session.sync_session, principal.audit_actor(term.school_id))
    term.closed_at = clock.now()
    term.closed_by_label = principal.label
    await session.flush()
    return term


async def recording_term(session: AsyncSession, term: FinanceTerm) -> FinanceTerm:
    """The term a line about ``term`` is recorded in: itself while open, else the school's
    first open term after it."""
    if term.closed_at is None:
        return term
    later = await session.scalar(
        select(FinanceTerm)
        .where(
            FinanceTerm.school_id == term.school_id,
            FinanceTerm.first_day > term.first_day,
            FinanceTerm.closed_at.is_(None),
        )
        .order_by(FinanceTerm.first_day)
        .limit(1)
    )
    if later is None:
        raise ValidationFailed.single(
            "term_id",
            "NO_OPEN_TERM",
            f"Le {term.label} est clos et aucun trimestre ouvert ne le suit : ouvrez les "
            "trimestres de l'année suivante pour y enregistrer la correction.",
        )
    return later


async def term_on(session: AsyncSession, school_id: int, day: date) -> FinanceTerm:
    """The term a payment received on ``day`` is recorded in: the open term holding the day,
    else the first open term after it."""
    term = await session.scalar(
        select(FinanceTerm)
        .where(
            FinanceTerm.school_id == school_id,
            FinanceTerm.last_day >= day,
            FinanceTerm.closed_at.is_(None),
        )
        .order_by(FinanceTerm.first_day)
        .limit(1)
    )
    if term is None:
        raise ValidationFailed.single(
            "received_on",
            "NO_OPEN_TERM",
            "Aucun trimestre ouvert à cette date : définissez les trimestres de l'année.",
        )
    return term
