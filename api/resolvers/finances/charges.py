"""A term's charges (droits constatés), generated in mass: a preview of what each half-boarder
and boarder owes for the term beside what was already charged, then its application, which
writes the differences only (a first charge, or a traceable adjustment) with the remise de
principe that goes with them.

How a line is computed, for a (student, kind) of the generating school:

- the student's days in the term are cut into régime pieces (entry and exit dates, régime
  changes: ``regimes.pieces_in_term``); a piece counts here when its régime gives a charge
  (demi-pensionnaire or interne kind, not the ticket) and this school feeds or lodges him:
  his own school, unless a régime period names a host, which then charges him by its own
  tariff (the host's tariff of his code, else of its kind: "2" half-board, "3" boarding);
- a flat rate (forfait) is prorated by the school's rule: the days of its pieces (service
  days, calendar days or weeks begun) over the term's whole, summed per tariff before
  rounding, so that a full term is the tariff to the cent;
- per meal, a piece gives its service days × the régime's days a week / the school's
  service weekdays, rounded half up (a DP 4 jours in a 5-day school eats 4 days out of 5;
  a régime without a number of days eats every service day), times the price;
- the line is charged to the account of the student's payer in the generating school.

A closed term is computed the same way; its differences are recorded in the open term that
follows it (``terms.recording_term``), about the closed one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from sqlalchemy import Table, and_, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.accounts import accounts_of, payers_of
from api.resolvers.finances.calendar import service_calendar
from api.resolvers.finances.payments import allocate_credit
from api.resolvers.finances.principle import family_rates
from api.resolvers.finances.proration import ServiceCalendar, counted_days, prorated
from api.resolvers.finances.reach import term_in_reach
from api.resolvers.finances.regimes import HOSTED_CODES, RegimePiece, own_code, pieces_in_term
from api.resolvers.finances.tariffs import (
    CHARGE_KINDS,
    KIND_CODES,
    TICKET,
    days_a_week,
    regime_kinds,
)
from api.resolvers.finances.terms import recording_term
from core.money import ZERO, format_euros, to_cents
from db.audit import set_actor
from db.enrollments import Enrollment
from db.finances import (
    Charge,
    ChargeGeneration,
    ChargeKind,
    FamilyAccount,
    FinanceTerm,
    LedgerOrigin,
    Payment,
    ProrationRule,
    Reduction,
    ReductionKind,
    RegimePeriod,
    Tariff,
    TariffBasis,
)
from db.ids import reserve_ids
from db.schools import School, SchoolYear
from db.structures import Division
from db.students import Student

CHUNK = 5000
CHARGES = cast(Table, Charge.__table__)
UNITS = {
    ProrationRule.SERVICE_DAYS: "jours de service",
    ProrationRule.CALENDAR_DAYS: "jours",
    ProrationRule.WEEKS: "semaines",
}
KIND_ORDER = {ChargeKind.BOARDING: 0, ChargeKind.HALF_BOARD: 1}
NO_PAYER = "Aucun responsable financier : l'élève ne peut être facturé."


@dataclass
class ChargeLine:
    """What one student owes for one kind of charge in the term, beside what is charged."""

    student_id: int
    student_name: str
    division: str
    kind: ChargeKind
    regime_code: str
    regime_label: str
    # How the amount is reached ("48 jours de service sur 60", "52 repas à 3,90 €").
    basis: str
    # None when it cannot be computed (a régime without tariff): nothing is applied.
    expected: Decimal | None
    already: Decimal
    warnings: list[str] = field(default_factory=list)
    principle_rate: Decimal | None = None
    principle_expected: Decimal = ZERO
    principle_already: Decimal = ZERO
    # The family's children counted for the remise de principe.
    family_children: int = 0
    enrollment_id: int | None = None
    tariff_id: int | None = None
    payer_id: int | None = None
    account_id: int | None = None
    # Charge rows already written for it (none: the next one is the generation's first).
    charge_rows: int = 0
    principle_rows: int = 0

    @property
    def adjustment(self) -> Decimal:
        return ZERO if self.expected is None else self.expected - self.already

    @property
    def principle_adjustment(self) -> Decimal:
        if self.expected is None:
            return ZERO
        return self.principle_expected - self.principle_already

    @property
    def applicable(self) -> bool:
        return self.payer_id is not None and self.expected is not None


@dataclass
class ChargePreview:
    """A term's generation as it would be applied now; nothing written."""

    term_id: int
    term_label: str
    term_closed: bool
    # The term the differences are recorded in (None: the term is closed and none is open).
    recording_term_id: int | None
    recording_term_label: str | None
    lines: list[ChargeLine]
    total_expected: Decimal
    total_already: Decimal
    # What applying writes: the sum of the lines' differences that can be applied.
    total_adjustment: Decimal
    total_principle: Decimal
    principle_adjustment: Decimal
    lines_to_write: int
    warnings: int


@dataclass
class ChargeApplication:
    """What an application wrote. ``account_ids``: the accounts it charged or reduced, whose
    credit the payments part then allocates (``payments.allocate_credit``)."""

    generation_id: int | None
    charges: int
    reductions: int
    total: Decimal
    principle_total: Decimal
    account_ids: list[int]


@dataclass
class _Draft:
    enrollment: Enrollment
    kind: ChargeKind
    pieces: list[RegimePiece] = field(default_factory=list)


def meals_of(piece: RegimePiece, calendar: ServiceCalendar) -> int:
    """The meals a piece gives: its service days × the régime's days a week / the service
    weekdays, rounded half up."""
    served = counted_days(ProrationRule.SERVICE_DAYS, piece.first, piece.last, calendar)
    weekdays = len(calendar.weekdays)
    days = days_a_week(piece.regime_code)
    if days is None or days >= weekdays:
        return served
    return int((Decimal(served * days) / weekdays).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _amount(
    draft: _Draft,
    school_id: int,
    tariffs: dict[str, Tariff],
    rule: ProrationRule,
    calendar: ServiceCalendar,
    whole: int,
    labels: dict[str, str],
) -> tuple[Decimal | None, str, Tariff | None, list[str]]:
    """A line's amount, its basis text, the tariff it names and its warnings."""
    parts: dict[int, tuple[Tariff, int]] = {}
    missing: list[str] = []
    last: Tariff | None = None
    for piece in draft.pieces:
        hosted = piece.host_school_id not in (None, draft.enrollment.school_id)
        tariff = tariffs.get(piece.regime_code)
        if tariff is None and (hosted or piece.regime_code in HOSTED_CODES):
            tariff = tariffs.get(KIND_CODES[draft.kind])
        if tariff is None:
            if piece.regime_code not in missing:
                missing.append(piece.regime_code)
            continue
        if tariff.basis is TariffBasis.FLAT_TERM:
            count = counted_days(rule, piece.first, piece.last, calendar)
        else:
            count = meals_of(piece, calendar)
        known = parts.get(tariff.id)
        parts[tariff.id] = (tariff, count + (known[1] if known else 0))
        last = tariff
    if missing:
        return (
            None,
            "",
            None,
            [
                f"Aucun tarif du régime {code} ({labels.get(code, code)}) pour ce trimestre."
                for code in missing
            ],
        )
    total = ZERO
    texts: list[str] = []
    for tariff, count in parts.values():
        if tariff.basis is TariffBasis.FLAT_TERM:
            total += prorated(tariff.amount, count, whole)
            texts.append(f"{min(count, whole)} {UNITS[rule]} sur {whole}")
        else:
            total += to_cents(tariff.amount * count)
            texts.append(f"{count} repas à {format_euros(tariff.amount)}")
    return total, " + ".join(texts)[:120], last, []


async def _preview(session: AsyncSession, term: FinanceTerm) -> ChargePreview:
    school = await session.get(School, term.school_id)
    year = await session.get(SchoolYear, term.school_year_id)
    assert school is not None and year is not None
    counting = await service_calendar(session, school.id, year.id)
    calendar, rule = counting.calendar, counting.rule
    whole = counted_days(rule, term.first_day, term.last_day, calendar)
    kinds = await regime_kinds(session, year.start_year)
    labels = {code: label.capitalize() for code, (_kind, label) in kinds.items()}
    meets_term = and_(
        Enrollment.school_year_id == year.id,
        Enrollment.entry_date <= term.last_day,
        or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= term.first_day),
    )
    concerned = select(Enrollment.id).where(
        meets_term,
        or_(
            Enrollment.school_id == school.id,
            Enrollment.id.in_(
                select(RegimePeriod.enrollment_id).where(RegimePeriod.host_school_id == school.id)
            ),
        ),
    )
    enrollments = list(
        await session.scalars(select(Enrollment).where(Enrollment.id.in_(concerned)))
    )
    periods: dict[int, list[tuple[date, str, int | None]]] = {}
    for period in await session.scalars(
        select(RegimePeriod).where(RegimePeriod.enrollment_id.in_(concerned))
    ):
        periods.setdefault(period.enrollment_id, []).append(
            (period.effective_on, period.regime_code, period.host_school_id)
        )
    tariffs = {
        t.regime_code: t
        for t in await session.scalars(select(Tariff).where(Tariff.term_id == term.id))
    }
    drafts: dict[tuple[int, ChargeKind], _Draft] = {}
    by_student: dict[int, Enrollment] = {}
    for enrollment in enrollments:
        if enrollment.school_id == school.id:
            by_student[enrollment.student_id] = enrollment
        for piece in pieces_in_term(
            enrollment.entry_date,
            enrollment.exit_date,
            own_code(enrollment),
            periods.get(enrollment.id, []),
            term.first_day,
            term.last_day,
        ):
            if (piece.host_school_id or enrollment.school_id) != school.id:
                continue
            kind_name = kinds.get(piece.regime_code, (enrollment.regime.value, ""))[0]
            kind = CHARGE_KINDS.get(kind_name)
            if kind is None or piece.regime_code == TICKET:
                continue
            by_student.setdefault(enrollment.student_id, enrollment)
            draft = drafts.setdefault(
                (enrollment.student_id, kind), _Draft(enrollment=enrollment, kind=kind)
            )
            draft.pieces.append(piece)
    charged = {
        (student_id, kind): (Decimal(total or 0), rows, code)
        for student_id, kind, total, rows, code in (
            await session.execute(
                select(
                    Charge.student_id,
                    Charge.kind,
                    func.sum(Charge.amount),
                    func.count(),
                    func.max(Charge.regime_code),
                )
                .where(Charge.school_id == school.id, Charge.concerns_term_id == term.id)
                .group_by(Charge.student_id, Charge.kind)
            )
        )
    }
    reduced = {
        (student_id, kind): (Decimal(total or 0), rows)
        for student_id, kind, total, rows in (
            await session.execute(
                select(
                    Reduction.student_id,
                    Reduction.charge_kind,
                    func.sum(Reduction.amount),
                    func.count(),
                )
                .where(
                    Reduction.school_id == school.id,
                    Reduction.concerns_term_id == term.id,
                    Reduction.kind == ReductionKind.PRINCIPLE,
                )
                .group_by(Reduction.student_id, Reduction.charge_kind)
            )
        )
    }
    keys = set(drafts) | set(charged) | set(reduced)
    student_ids = {student_id for student_id, _kind in keys}
    students: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(student_ids):
        students |= {
            row.id: (row.family_name, row.first_name)
            for row in (
                await session.execute(
                    select(Student.id, Student.family_name, Student.first_name).where(
                        Student.id.in_(chunk)
                    )
                )
            ).all()
        }
    division_ids = {e.division_id for e in by_student.values() if e.division_id is not None}
    divisions: dict[int, str] = {}
    for chunk in _chunks(division_ids):
        divisions |= dict(
            (
                await session.execute(
                    select(Division.id, Division.code).where(Division.id.in_(chunk))
                )
            ).all()
        )
    payers = await payers_of(session, student_ids)
    accounts: dict[int, int] = {}
    for chunk in _chunks(payers.values()):
        accounts |= dict(
            (
                await session.execute(
                    select(FamilyAccount.guardian_id, FamilyAccount.id).where(
                        FamilyAccount.school_id == school.id,
                        FamilyAccount.guardian_id.in_(chunk),
                    )
                )
            ).all()
        )
    rates = await family_rates(
        session,
        school,
        term,
        {s: p for s, p in payers.items() if any((s, k) in drafts for k in ChargeKind)},
        {code: kind for code, (kind, _label) in kinds.items()},
    )
    lines: list[ChargeLine] = []
    for student_id, kind in keys:
        found = drafts.get((student_id, kind))
        already, charge_rows, last_code = charged.get((student_id, kind), (ZERO, 0, None))
        principle_already, principle_rows = reduced.get((student_id, kind), (ZERO, 0))
        known = by_student.get(student_id)
        if found is not None:
            expected, basis, tariff, warnings = _amount(
                found, school.id, tariffs, rule, calendar, whole, labels
            )
            code = found.pieces[-1].regime_code
            codes = list(dict.fromkeys(p.regime_code for p in found.pieces))
        else:
            expected, basis, tariff, warnings = ZERO, f"0 {UNITS[rule]} sur {whole}", None, []
            code = last_code or KIND_CODES[kind]
            codes = [code]
        payer = payers.get(student_id)
        if payer is None:
            warnings.append(NO_PAYER)
        family, first = students.get(student_id, ("", ""))
        rate, children = rates.get(student_id, (None, 0))
        line = ChargeLine(
            student_id=student_id,
            student_name=f"{family} {first}".strip(),
            division=divisions.get(known.division_id or 0, "") if known else "",
            kind=kind,
            regime_code=code,
            regime_label=" puis ".join(labels.get(c, c) for c in codes),
            basis=basis,
            expected=expected,
            already=already,
            warnings=warnings,
            principle_rate=rate,
            principle_expected=(
                to_cents(expected * rate / 100) if rate is not None and expected else ZERO
            ),
            principle_already=principle_already,
            family_children=children,
            enrollment_id=found.enrollment.id if found else (known.id if known else None),
            tariff_id=tariff.id if tariff else None,
            payer_id=payer,
            account_id=accounts.get(payer) if payer is not None else None,
            charge_rows=charge_rows,
            principle_rows=principle_rows,
        )
        lines.append(line)
    lines.sort(key=lambda x: (x.division, x.student_name, x.student_id, KIND_ORDER[x.kind]))
    recording: FinanceTerm | None = term
    if term.closed_at is not None:
        recording = await session.scalar(
            select(FinanceTerm)
            .where(
                FinanceTerm.school_id == term.school_id,
                FinanceTerm.first_day > term.first_day,
                FinanceTerm.closed_at.is_(None),
            )
            .order_by(FinanceTerm.first_day)
            .limit(1)
        )
    applicable = [line for line in lines if line.applicable]
    return ChargePreview(
        term_id=term.id,
        term_label=term.label,
        term_closed=term.closed_at is not None,
        recording_term_id=recording.id if recording else None,
        recording_term_label=recording.label if recording else None,
        lines=lines,
        total_expected=sum((line.expected or ZERO for line in lines), ZERO),
        total_already=sum((line.already for line in lines), ZERO),
        total_adjustment=sum((line.adjustment for line in applicable), ZERO),
        total_principle=sum((line.principle_expected for line in lines), ZERO),
        principle_adjustment=sum((line.principle_adjustment for line in applicable), ZERO),
        lines_to_write=sum(
            1 for line in applicable if line.adjustment or line.principle_adjustment
        ),
        warnings=sum(1 for line in lines if line.warnings),
    )


@requires(Permission.FINANCES_READ)
async def charge_preview(
    session: AsyncSession, principal: Principal, term_id: int
) -> ChargePreview:
    """The term's generation as applying it would write it: each half-boarder's and
    boarder's expected charge, what is already charged, the difference, the remise de
    principe, and the warnings (no payer, no tariff). Writes nothing."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_READ)
    return await _preview(session, term)


def payer_of(line: ChargeLine) -> int:
    assert line.payer_id is not None, "only the lines that can be applied are written"
    return line.payer_id


def _principle_reason(line: ChargeLine) -> str:
    if line.principle_rate is None:
        return "Remise de principe retirée : moins de trois enfants hébergés sur le trimestre."
    return (
        f"Remise de principe de {line.principle_rate:.0f} % "
        f"({line.family_children} enfants demi-pensionnaires ou internes)"
    )


@requires(Permission.FINANCES_MANAGE)
async def apply_charges(
    session: AsyncSession, principal: Principal, term_id: int
) -> ChargeApplication:
    """Write the term's generation: one charge per line whose amount differs from what is
    charged (the first one of origin "generation", then adjustments saying why) and the
    remise de principe's differences, in the term itself or, closed, in the open term after
    it. Nothing changed: nothing written. The accounts touched are returned: their credit is
    then allocated to the new charges by the payments part."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_MANAGE)
    recording = await recording_term(session, term)
    # Two applications at once would both write the same differences: the second waits.
    await session.execute(
        select(FinanceTerm.id).where(FinanceTerm.id == recording.id).with_for_update()
    )
    preview = await _preview(session, term)
    writable = [
        line
        for line in preview.lines
        if line.applicable and (line.adjustment or line.principle_adjustment)
    ]
    if not writable:
        return ChargeApplication(None, 0, 0, ZERO, ZERO, [])
    set_actor(session.sync_session, principal.audit_actor(term.school_id))
    accounts = await accounts_of(
        session, term.school_id, {line.payer_id for line in writable if line.payer_id}
    )
    charged = [line for line in writable if line.adjustment]
    generation = ChargeGeneration(
        school_id=term.school_id,
        term_id=term.id,
        actor_label=principal.label,
        lines=len(charged),
        total=sum((line.adjustment for line in charged), ZERO),
    )
    session.add(generation)
    await session.flush()
    closed = " (trimestre clos)" if term.closed_at is not None else ""
    reduced = [line for line in writable if line.principle_adjustment]
    # Given their ids, the rows are inserted in batches, not one by one (db.ids).
    charge_ids = iter(await reserve_ids(session, Charge.__tablename__, len(charged)))
    reduction_ids = iter(await reserve_ids(session, Reduction.__tablename__, len(reduced)))
    # Plain rows, not ORM objects: charges are written in mass and never read back here.
    charges = [
        dict(
            id=next(charge_ids),
            school_id=term.school_id,
            term_id=recording.id,
            concerns_term_id=term.id,
            account_id=accounts[payer_of(line)].id,
            student_id=line.student_id,
            enrollment_id=line.enrollment_id,
            kind=line.kind,
            origin=LedgerOrigin.GENERATION if line.charge_rows == 0 else LedgerOrigin.ADJUSTMENT,
            regime_code=line.regime_code,
            tariff_id=line.tariff_id,
            basis=line.basis,
            amount=line.adjustment,
            generation_id=generation.id,
            reason=None
            if line.charge_rows == 0
            else (
                f"Régularisation du {term.label}{closed} : {line.basis or 'aucun jour'}, "
                f"{format_euros(line.expected or ZERO)} dus, {format_euros(line.already)} déjà "
                "constatés."
            )[:300],
            actor_label=principal.label,
        )
        for line in charged
    ]
    reductions = [
        Reduction(
            id=next(reduction_ids),
            school_id=term.school_id,
            term_id=recording.id,
            concerns_term_id=term.id,
            account_id=accounts[payer_of(line)].id,
            student_id=line.student_id,
            charge_kind=line.kind,
            kind=ReductionKind.PRINCIPLE,
            origin=(
                LedgerOrigin.GENERATION if line.principle_rows == 0 else LedgerOrigin.ADJUSTMENT
            ),
            rate=line.principle_rate,
            amount=line.principle_adjustment,
            reason=_principle_reason(line),
            generation_id=generation.id,
            actor_label=principal.label,
        )
        for line in reduced
    ]
    if charges:
        await session.execute(insert(CHARGES), charges)
    session.add_all(reductions)
    await session.flush()
    account_ids = sorted({accounts[payer_of(line)].id for line in writable})
    await _settle_paying_accounts(session, account_ids)
    return ChargeApplication(
        generation_id=generation.id,
        charges=len(charges),
        reductions=len(reductions),
        total=generation.total,
        principle_total=sum((r.amount for r in reductions), ZERO),
        account_ids=account_ids,
    )


async def _settle_paying_accounts(session: AsyncSession, account_ids: list[int]) -> None:
    """A credit already received pays the new charges, and a charge lowered gives back what
    overpaid it: only accounts that ever received money can have either, so a first
    generation (no payments yet) costs one statement here."""
    paying: set[int] = set()
    for chunk in _chunks(account_ids):
        paying |= set(
            await session.scalars(
                select(Payment.account_id).where(Payment.account_id.in_(chunk)).distinct()
            )
        )
    for account_id in sorted(paying):
        await allocate_credit(session, account_id)
