"""Remises granted by hand: the remise d'ordre (an absence for illness, a work placement, an
exclusion, or the closure of the service) prorated over the days missed, the remise
gracieuse decided by the principal, and the reversal of either.

A remise d'ordre covers a span within one term. It is the student's charge of the kind for
that term (net of its adjustments) times the span's days over the term's days, counted by
the school's rule on the same calendar as the generation (its service weekdays, its zone's
school holidays and the public holidays), and never more than what is still charged after
the other reductions. An absence must last at least the school's minimum of consecutive
days; the closure of a service is the school's doing and is granted whatever its length.

A reduction is recorded in the open term of the term it is about (``terms.recording_term``)
and the account is settled at once: a debt it overpays gives its excess back as credit
(see ``payments``). A reversal is a negative row naming the reduction it undoes
(``reverses_reduction_id``), which is how a reduction is reversed only once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers.finances.calendar import SchoolCalendarRule, service_calendar
from api.resolvers.finances.payments import allocate_credit
from api.resolvers.finances.proration import prorated
from api.resolvers.finances.reach import account_in_reach, school_in_reach, term_in_reach
from api.resolvers.finances.terms import recording_term
from core.errors import FieldError, NotFound, ValidationFailed
from core.money import ZERO, format_euros, parse_amount
from db.audit import set_actor
from db.finances import (
    Charge,
    ChargeKind,
    FinanceTerm,
    LedgerOrigin,
    OrderMotive,
    ProrationRule,
    Reduction,
    ReductionKind,
)

__all__ = [
    "MOTIVE_LABELS",
    "ChargeKind",
    "ClosureResult",
    "GraceReductionInput",
    "OrderMotive",
    "OrderReductionInput",
    "ReductionKind",
    "ServiceClosureInput",
    "ServiceClosureSummary",
    "close_service",
    "grant_grace_reduction",
    "grant_order_reduction",
    "reverse_reduction",
    "service_closures",
]

MOTIVE_LABELS = {
    OrderMotive.ILLNESS: "Maladie",
    OrderMotive.WORK_PLACEMENT: "Stage",
    OrderMotive.EXCLUSION: "Exclusion",
    OrderMotive.SERVICE_CLOSURE: "Fermeture du service",
    OrderMotive.OTHER: "Autre motif",
}
COMMENT_MAX = 150
REASON_MAX = 200
UNITS = {
    ProrationRule.CALENDAR_DAYS: "jours",
    ProrationRule.SERVICE_DAYS: "jours de service",
    ProrationRule.WEEKS: "semaines",
}


@dataclass
class OrderReductionInput:
    """A student's absence from ``first_day`` to ``last_day`` (within one term): every kind
    he is charged for that term unless ``charge_kind`` names one."""

    account_id: int
    student_id: int
    motive: OrderMotive
    first_day: date
    last_day: date
    charge_kind: ChargeKind | None = None
    comment: str | None = None


@dataclass
class GraceReductionInput:
    account_id: int
    student_id: int
    term_id: int
    charge_kind: ChargeKind
    amount: Decimal
    reason: str


@dataclass
class ServiceClosureInput:
    """The half-board or boarding service (both when ``charge_kind`` is None) closed from
    ``first_day`` to ``last_day``: a remise d'ordre to every student charged for it."""

    school_id: int
    first_day: date
    last_day: date
    charge_kind: ChargeKind | None = None
    comment: str | None = None


@dataclass
class ClosureResult:
    reductions: int
    students: int
    total: Decimal


@dataclass
class ServiceClosureSummary:
    """A closure of a service already granted: its span, the service, its reason, the
    students it reduced and its total, net of the reversals of some of its remises."""

    first_day: date
    last_day: date
    charge_kind: ChargeKind
    term_label: str
    reason: str
    students: int
    total: Decimal


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


async def _term_of_span(
    session: AsyncSession, school_id: int, first_day: date, last_day: date
) -> FinanceTerm:
    errors: list[FieldError] = []
    if last_day < first_day:
        raise ValidationFailed.single(
            "last_day", "ORDER", "Le dernier jour précède le premier jour."
        )
    term = await session.scalar(
        select(FinanceTerm).where(
            FinanceTerm.school_id == school_id,
            FinanceTerm.first_day <= first_day,
            FinanceTerm.last_day >= first_day,
        )
    )
    if term is None:
        raise ValidationFailed.single(
            "first_day", "NO_TERM", "Aucun trimestre de l'établissement ne contient ce jour."
        )
    if last_day > term.last_day:
        errors.append(
            FieldError(
                "last_day",
                "ACROSS_TERMS",
                f"La période doit tenir dans un trimestre : le {term.label} finit le "
                f"{term.last_day:%d/%m/%Y}. Saisissez une remise par trimestre.",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return term


@dataclass
class _Open:
    account_id: int
    student_id: int
    kind: ChargeKind
    charged: Decimal
    reduced: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.charged - self.reduced


async def _open_charges(
    session: AsyncSession,
    school_id: int,
    term_id: int,
    *,
    account_id: int | None = None,
    student_id: int | None = None,
    kind: ChargeKind | None = None,
) -> list[_Open]:
    """What each student is charged, and already reduced, per account and kind for a term."""

    def narrowed(query, account_column, student_column, kind_column):
        if account_id is not None:
            query = query.where(account_column == account_id)
        if student_id is not None:
            query = query.where(student_column == student_id)
        if kind is not None:
            query = query.where(kind_column == kind)
        return query

    found: dict[tuple[int, int, ChargeKind], _Open] = {}
    charges = narrowed(
        select(Charge.account_id, Charge.student_id, Charge.kind, func.sum(Charge.amount))
        .where(Charge.school_id == school_id, Charge.concerns_term_id == term_id)
        .group_by(Charge.account_id, Charge.student_id, Charge.kind),
        Charge.account_id,
        Charge.student_id,
        Charge.kind,
    )
    for account, student, charge_kind, total in (await session.execute(charges)).all():
        key = (account, student, ChargeKind(charge_kind))
        found[key] = _Open(account, student, ChargeKind(charge_kind), _money(total), ZERO)
    reductions = narrowed(
        select(
            Reduction.account_id,
            Reduction.student_id,
            Reduction.charge_kind,
            func.sum(Reduction.amount),
        )
        .where(Reduction.school_id == school_id, Reduction.concerns_term_id == term_id)
        .group_by(Reduction.account_id, Reduction.student_id, Reduction.charge_kind),
        Reduction.account_id,
        Reduction.student_id,
        Reduction.charge_kind,
    )
    for account, student, charge_kind, total in (await session.execute(reductions)).all():
        key = (account, student, ChargeKind(charge_kind))
        if key in found:
            found[key].reduced += _money(total)
    order = {ChargeKind.BOARDING: 0, ChargeKind.HALF_BOARD: 1}
    return sorted(found.values(), key=lambda o: (o.account_id, o.student_id, order[o.kind]))


async def _overlapping(
    session: AsyncSession, term_id: int, first_day: date, last_day: date
) -> set[tuple[int, int, ChargeKind]]:
    """(account, student, kind) already given a remise d'ordre over part of the span (and
    not reversed: a reversal nets its span to zero)."""
    rows = await session.execute(
        select(
            Reduction.account_id,
            Reduction.student_id,
            Reduction.charge_kind,
            func.sum(Reduction.amount),
        )
        .where(
            Reduction.concerns_term_id == term_id,
            Reduction.kind == ReductionKind.ORDER,
            Reduction.first_day <= last_day,
            Reduction.last_day >= first_day,
        )
        .group_by(
            Reduction.account_id,
            Reduction.student_id,
            Reduction.charge_kind,
            Reduction.first_day,
            Reduction.last_day,
        )
    )
    return {
        (account, student, ChargeKind(kind))
        for account, student, kind, total in rows.all()
        if _money(total) > ZERO
    }


def _order_reason(
    motive: OrderMotive,
    first_day: date,
    last_day: date,
    rule: SchoolCalendarRule,
    part: int,
    whole: int,
    comment: str,
) -> str:
    reason = (
        f"{MOTIVE_LABELS[motive]} du {first_day:%d/%m/%Y} au {last_day:%d/%m/%Y} : "
        f"{part} {UNITS[rule.rule]} sur {whole}"
    )
    return f"{reason} — {comment}" if comment else reason


def _check_span(
    motive: OrderMotive, first_day: date, last_day: date, min_days: int, comment: str
) -> None:
    errors: list[FieldError] = []
    length = (last_day - first_day).days + 1
    if motive is not OrderMotive.SERVICE_CLOSURE and length < min_days:
        errors.append(
            FieldError(
                "last_day",
                "TOO_SHORT",
                f"Une remise d'ordre suppose une absence d'au moins {min_days} jours "
                f"consécutifs (règle de l'établissement) ; celle-ci en compte {length}.",
            )
        )
    if len(comment) > COMMENT_MAX:
        errors.append(
            FieldError("comment", "TOO_LONG", f"Commentaire : {COMMENT_MAX} caractères au plus.")
        )
    if errors:
        raise ValidationFailed(errors)


@requires(Permission.FINANCES_MANAGE)
async def grant_order_reduction(
    session: AsyncSession, principal: Principal, entry: OrderReductionInput
) -> list[Reduction]:
    """A remise d'ordre for a student's absence: one reduction per kind he is charged for
    that term (or the kind named), prorated over the span."""
    account = await account_in_reach(
        session, principal, entry.account_id, Permission.FINANCES_MANAGE
    )
    term = await _term_of_span(session, account.school_id, entry.first_day, entry.last_day)
    rule = await service_calendar(session, account.school_id, term.school_year_id)
    comment = _clean(entry.comment)
    _check_span(entry.motive, entry.first_day, entry.last_day, rule.min_days, comment)
    part = rule.count(entry.first_day, entry.last_day)
    whole = rule.count(term.first_day, term.last_day)
    if part == 0:
        raise ValidationFailed.single(
            "first_day", "NO_SERVICE_DAY", "Le service ne fonctionne aucun jour de cette période."
        )
    candidates = await _open_charges(
        session,
        account.school_id,
        term.id,
        account_id=account.id,
        student_id=entry.student_id,
        kind=entry.charge_kind,
    )
    if not candidates:
        raise ValidationFailed.single(
            "student_id",
            "NOT_CHARGED",
            f"Cet élève n'a pas de frais d'hébergement sur ce compte pour le {term.label}.",
        )
    overlapping = await _overlapping(session, term.id, entry.first_day, entry.last_day)
    if any((o.account_id, o.student_id, o.kind) in overlapping for o in candidates):
        raise ValidationFailed.single(
            "first_day",
            "OVERLAP",
            "Une remise d'ordre couvre déjà une partie de cette période pour cet élève.",
        )
    reason = _order_reason(
        entry.motive, entry.first_day, entry.last_day, rule, part, whole, comment
    )
    recorded_in = await recording_term(session, term)
    set_actor(session.sync_session, principal.audit_actor(account.school_id))
    written = [
        row
        for open_ in candidates
        if (
            row := _order_row(
                principal, term, recorded_in, entry.motive, entry, open_, part, whole, reason
            )
        )
        is not None
    ]
    if not written:
        raise ValidationFailed.single(
            "student_id",
            "NOTHING_LEFT",
            f"Les frais de cet élève pour le {term.label} sont déjà entièrement remis.",
        )
    session.add_all(written)
    await session.flush()
    await allocate_credit(session, account.id)
    return written


def _order_row(
    principal: Principal,
    term: FinanceTerm,
    recorded_in: FinanceTerm,
    motive: OrderMotive,
    span: OrderReductionInput | ServiceClosureInput,
    open_: _Open,
    part: int,
    whole: int,
    reason: str,
) -> Reduction | None:
    amount = min(prorated(open_.charged, part, whole), open_.remaining)
    if amount <= ZERO:
        return None
    return Reduction(
        school_id=term.school_id,
        term_id=recorded_in.id,
        concerns_term_id=term.id,
        account_id=open_.account_id,
        student_id=open_.student_id,
        charge_kind=open_.kind,
        kind=ReductionKind.ORDER,
        origin=LedgerOrigin.MANUAL,
        motive=motive,
        first_day=span.first_day,
        last_day=span.last_day,
        amount=amount,
        reason=reason,
        actor_label=principal.label,
    )


@requires(Permission.FINANCES_MANAGE)
async def close_service(
    session: AsyncSession, principal: Principal, entry: ServiceClosureInput
) -> ClosureResult:
    """The service closed over a span: a remise d'ordre to every half-boarder and boarder
    of the school charged for that term (those already given one over the span are left
    as they are)."""
    school = await school_in_reach(session, principal, entry.school_id, Permission.FINANCES_MANAGE)
    term = await _term_of_span(session, school.id, entry.first_day, entry.last_day)
    rule = await service_calendar(session, school.id, term.school_year_id)
    comment = _clean(entry.comment)
    motive = OrderMotive.SERVICE_CLOSURE
    _check_span(motive, entry.first_day, entry.last_day, rule.min_days, comment)
    part = rule.count(entry.first_day, entry.last_day)
    whole = rule.count(term.first_day, term.last_day)
    if part == 0:
        raise ValidationFailed.single(
            "first_day", "NO_SERVICE_DAY", "Le service ne fonctionne aucun jour de cette période."
        )
    overlapping = await _overlapping(session, term.id, entry.first_day, entry.last_day)
    candidates = [
        o
        for o in await _open_charges(session, school.id, term.id, kind=entry.charge_kind)
        if (o.account_id, o.student_id, o.kind) not in overlapping
    ]
    reason = _order_reason(motive, entry.first_day, entry.last_day, rule, part, whole, comment)
    recorded_in = await recording_term(session, term)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    written = [
        row
        for o in candidates
        if (row := _order_row(principal, term, recorded_in, motive, entry, o, part, whole, reason))
        is not None
    ]
    session.add_all(written)
    await session.flush()
    for account_id in sorted({row.account_id for row in written}):
        await allocate_credit(session, account_id)
    return ClosureResult(
        reductions=len(written),
        students=len({row.student_id for row in written}),
        total=sum((row.amount for row in written), ZERO),
    )


@requires(Permission.FINANCES_READ)
async def service_closures(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[ServiceClosureSummary]:
    """The closures of the school's services granted for the year, latest first."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    terms = {
        term.id: term.label
        for term in await session.scalars(
            select(FinanceTerm).where(
                FinanceTerm.school_id == school.id, FinanceTerm.school_year_id == school_year_id
            )
        )
    }
    rows = await session.scalars(
        select(Reduction)
        .where(
            Reduction.school_id == school.id,
            Reduction.concerns_term_id.in_(terms),
            Reduction.motive == OrderMotive.SERVICE_CLOSURE,
        )
        .order_by(Reduction.id)
    )
    found: dict[tuple[date, date, ChargeKind], ServiceClosureSummary] = {}
    net: dict[tuple[date, date, ChargeKind], dict[int, Decimal]] = {}
    for row in rows:
        if row.first_day is None or row.last_day is None:
            continue
        key = (row.first_day, row.last_day, row.charge_kind)
        summary = found.setdefault(
            key,
            ServiceClosureSummary(
                row.first_day,
                row.last_day,
                row.charge_kind,
                terms[row.concerns_term_id],
                "",
                0,
                ZERO,
            ),
        )
        if row.reverses_reduction_id is None:
            summary.reason = summary.reason or row.reason
        summary.total += row.amount
        students = net.setdefault(key, {})
        students[row.student_id] = students.get(row.student_id, ZERO) + row.amount
    for key, summary in found.items():
        summary.students = sum(1 for amount in net[key].values() if amount > ZERO)
    return sorted(
        found.values(), key=lambda s: (s.first_day, s.last_day, s.charge_kind.value), reverse=True
    )


@requires(Permission.FINANCES_GRACE)
async def grant_grace_reduction(
    session: AsyncSession, principal: Principal, entry: GraceReductionInput
) -> Reduction:
    """A remise gracieuse decided by the principal, with its reason: at most what is still
    charged for that student, kind and term."""
    account = await account_in_reach(
        session, principal, entry.account_id, Permission.FINANCES_GRACE
    )
    term = await term_in_reach(session, principal, entry.term_id, Permission.FINANCES_GRACE)
    if term.school_id != account.school_id:
        raise NotFound("FinanceTerm", entry.term_id)
    errors: list[FieldError] = []
    reason = _clean(entry.reason)
    if not reason or len(reason) > REASON_MAX:
        errors.append(
            FieldError(
                "reason",
                "REQUIRED",
                f"Motif de la remise requis ({REASON_MAX} caractères au plus).",
            )
        )
    amount: Decimal | None = None
    try:
        amount = parse_amount(entry.amount, "amount")
    except ValidationFailed as failed:
        errors.extend(failed.errors)
    if amount is not None and amount == ZERO:
        errors.append(FieldError("amount", "ZERO_AMOUNT", "Le montant doit être supérieur à zéro."))
    open_ = next(
        iter(
            await _open_charges(
                session,
                account.school_id,
                term.id,
                account_id=account.id,
                student_id=entry.student_id,
                kind=entry.charge_kind,
            )
        ),
        None,
    )
    if open_ is None:
        errors.append(
            FieldError(
                "student_id",
                "NOT_CHARGED",
                f"Cet élève n'a pas de frais de cette nature sur ce compte pour le {term.label}.",
            )
        )
    elif amount is not None and amount > open_.remaining:
        errors.append(
            FieldError(
                "amount",
                "ABOVE_REMAINING",
                "La remise ne peut dépasser ce qui reste dû après les autres remises "
                f"({format_euros(max(open_.remaining, ZERO))}).",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert amount is not None
    recorded_in = await recording_term(session, term)
    set_actor(session.sync_session, principal.audit_actor(account.school_id))
    reduction = Reduction(
        school_id=account.school_id,
        term_id=recorded_in.id,
        concerns_term_id=term.id,
        account_id=account.id,
        student_id=entry.student_id,
        charge_kind=entry.charge_kind,
        kind=ReductionKind.GRACE,
        origin=LedgerOrigin.MANUAL,
        amount=amount,
        reason=reason,
        actor_label=principal.label,
    )
    session.add(reduction)
    await session.flush()
    await allocate_credit(session, account.id)
    return reduction


@requires(Permission.FINANCES_MANAGE)
async def reverse_reduction(
    session: AsyncSession, principal: Principal, reduction_id: int, reason: str
) -> Reduction:
    """Undo a remise d'ordre or a remise gracieuse (the latter by whom may grant it): a
    negative row with the reason, recorded in the open term of the term it was about."""
    reduction = await session.get(Reduction, reduction_id)
    if reduction is None:
        raise NotFound("Reduction", reduction_id)
    try:
        await account_in_reach(session, principal, reduction.account_id, Permission.FINANCES_MANAGE)
    except NotFound:
        raise NotFound("Reduction", reduction_id) from None
    if reduction.kind is ReductionKind.GRACE and Permission.FINANCES_GRACE not in (
        principal.permissions_in(reduction.school_id)
    ):
        raise PermissionDenied(Permission.FINANCES_GRACE)
    reason = _clean(reason)
    if not reason or len(reason) > REASON_MAX:
        raise ValidationFailed.single(
            "reason", "REQUIRED", f"Motif de l'annulation requis ({REASON_MAX} caractères au plus)."
        )
    if reduction.kind not in (ReductionKind.ORDER, ReductionKind.GRACE) or reduction.amount <= 0:
        raise ValidationFailed.single(
            "reduction_id",
            "NOT_REVERSIBLE",
            "Seule une remise d'ordre ou une remise gracieuse s'annule ici.",
        )
    already = await session.scalar(
        select(Reduction.id).where(Reduction.reverses_reduction_id == reduction.id)
    )
    if already is not None:
        raise ValidationFailed.single(
            "reduction_id", "ALREADY_REVERSED", "Cette remise est déjà annulée."
        )
    concerned = await session.get(FinanceTerm, reduction.concerns_term_id)
    assert concerned is not None
    recorded_in = await recording_term(session, concerned)
    set_actor(session.sync_session, principal.audit_actor(reduction.school_id))
    reversal = Reduction(
        school_id=reduction.school_id,
        term_id=recorded_in.id,
        concerns_term_id=reduction.concerns_term_id,
        account_id=reduction.account_id,
        student_id=reduction.student_id,
        charge_kind=reduction.charge_kind,
        kind=reduction.kind,
        origin=LedgerOrigin.MANUAL,
        motive=reduction.motive,
        first_day=reduction.first_day,
        last_day=reduction.last_day,
        rate=reduction.rate,
        amount=-reduction.amount,
        reason=reason,
        reverses_reduction_id=reduction.id,
        actor_label=principal.label,
    )
    session.add(reversal)
    await session.flush()
    await allocate_credit(session, reduction.account_id)
    return reversal
