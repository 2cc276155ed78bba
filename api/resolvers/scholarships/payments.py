"""A term's scholarships, paid after the term (à terme échu): each granted file's share of
the term, deducted first from what the student still owes for the term's board (boarding,
then half-board) as scholarship reductions, the rest paid to the family. Once per file and
term.

A student is paid the whole share of every term he was enrolled in the school at least one
day of; nothing for a term that began after he left or ended before he came. No proration
by days: the national scholarships are paid by whole terms."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.reach import school_in_reach
from api.resolvers.finances.terms import recording_term
from api.resolvers.scholarships.files import alphabetical, file_cards
from api.resolvers.scholarships.scales import KIND_LABELS, term_shares
from core import clock
from core.errors import NotFound, ValidationFailed
from core.money import ZERO
from db.audit import set_actor
from db.enrollments import Enrollment
from db.finances import (
    Charge,
    ChargeKind,
    FinanceTerm,
    LedgerOrigin,
    Payment,
    PaymentAllocation,
    Reduction,
    ReductionKind,
)
from db.scholarships import ScholarshipFile, ScholarshipPayment, ScholarshipStatus

CHUNK = 5000


@dataclass
class Deduction:
    account_id: int
    kind: ChargeKind
    amount: Decimal


@dataclass
class PaymentLine:
    """A granted file's term: ``state`` is ``to_pay``, ``paid`` (already, its figures are the
    payment's) or ``left`` (not enrolled during the term: nothing due)."""

    file_id: int
    student_id: int
    student_name: str
    division_code: str | None
    echelon: int
    share: Decimal
    deducted: Decimal
    paid_to_family: Decimal
    state: str
    deductions: list[Deduction] = field(default_factory=list)


@dataclass
class TermPayment:
    term_id: int
    term_label: str
    last_day: date
    # The term's last day is past: it may be paid.
    payable: bool
    lines: list[PaymentLine]
    # How many files this call paid (``pay_term``): none for a preview.
    paid_now: int = 0

    @property
    def to_pay(self) -> list[PaymentLine]:
        return [line for line in self.lines if line.state == "to_pay"]

    @property
    def total(self) -> Decimal:
        return sum((line.share for line in self.to_pay), ZERO)

    @property
    def total_deducted(self) -> Decimal:
        return sum((line.deducted for line in self.to_pay), ZERO)

    @property
    def total_paid_to_family(self) -> Decimal:
        return sum((line.paid_to_family for line in self.to_pay), ZERO)


async def _term(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    term_id: int,
    permission: Permission,
) -> FinanceTerm:
    school = await school_in_reach(session, principal, school_id, permission)
    term = await session.get(FinanceTerm, term_id)
    if term is None or term.school_id != school.id:
        raise NotFound("FinanceTerm", term_id)
    return term


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


async def _board_debts(
    session: AsyncSession, term: FinanceTerm, student_ids: list[int]
) -> dict[int, list[tuple[int, ChargeKind, Decimal]]]:
    """What each student still owes for the term's board, per (account, kind): charged −
    reduced − allocated receipts, as ``ledger.debts`` counts it, for all the students in a
    few statements; boarding before half-board."""
    owed: dict[tuple[int, int, ChargeKind], Decimal] = defaultdict(lambda: ZERO)
    for start in range(0, len(student_ids), CHUNK):
        chunk = student_ids[start : start + CHUNK]
        charged = select(
            Charge.account_id, Charge.student_id, Charge.kind, func.sum(Charge.amount)
        ).where(Charge.concerns_term_id == term.id, Charge.student_id.in_(chunk))
        reduced = select(
            Reduction.account_id,
            Reduction.student_id,
            Reduction.charge_kind,
            func.sum(Reduction.amount),
        ).where(Reduction.concerns_term_id == term.id, Reduction.student_id.in_(chunk))
        allocated = (
            select(
                Payment.account_id,
                PaymentAllocation.student_id,
                PaymentAllocation.kind,
                func.sum(PaymentAllocation.amount),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.term_id == term.id, PaymentAllocation.student_id.in_(chunk))
        )
        for statement, sign in ((charged, 1), (reduced, -1), (allocated, -1)):
            rows = await session.execute(statement.group_by(*statement.selected_columns[:3]))
            for account_id, student_id, kind, total in rows.all():
                owed[(account_id, student_id, kind)] += sign * _money(total)
    order = {ChargeKind.BOARDING: 0, ChargeKind.HALF_BOARD: 1}
    debts: dict[int, list[tuple[int, ChargeKind, Decimal]]] = defaultdict(list)
    for (account_id, student_id, kind), due in sorted(
        owed.items(), key=lambda item: (item[0][1], order[item[0][2]], item[0][0])
    ):
        if due > 0:
            debts[student_id].append((account_id, kind, due))
    return debts


async def _plan(session: AsyncSession, term: FinanceTerm) -> TermPayment:
    ranks = list(
        await session.scalars(
            select(FinanceTerm.id)
            .where(
                FinanceTerm.school_id == term.school_id,
                FinanceTerm.school_year_id == term.school_year_id,
            )
            .order_by(FinanceTerm.rank)
        )
    )
    position = ranks.index(term.id)
    files = list(
        await session.scalars(
            select(ScholarshipFile)
            .where(
                ScholarshipFile.school_id == term.school_id,
                ScholarshipFile.school_year_id == term.school_year_id,
                ScholarshipFile.status == ScholarshipStatus.GRANTED,
            )
            .order_by(ScholarshipFile.id)
        )
    )
    paid = {
        p.file_id: p
        for p in await session.scalars(
            select(ScholarshipPayment).where(ScholarshipPayment.term_id == term.id)
        )
    }
    student_ids = sorted({f.student_id for f in files})
    present: set[int] = set()
    for start in range(0, len(student_ids), CHUNK):
        present |= set(
            await session.scalars(
                select(Enrollment.student_id).where(
                    Enrollment.student_id.in_(student_ids[start : start + CHUNK]),
                    Enrollment.school_id == term.school_id,
                    Enrollment.school_year_id == term.school_year_id,
                    Enrollment.entry_date <= term.last_day,
                    (Enrollment.exit_date.is_(None)) | (Enrollment.exit_date >= term.first_day),
                )
            )
        )
    debts = await _board_debts(session, term, [s for s in student_ids if s in present])
    cards = {card.id: card for card in await file_cards(session, files)}
    lines: list[PaymentLine] = []
    for file in files:
        card = cards[file.id]
        assert file.echelon is not None and file.annual_amount is not None
        share = term_shares(_money(file.annual_amount), len(ranks))[position]
        line = PaymentLine(
            file.id,
            file.student_id,
            card.student_name,
            card.division_code,
            file.echelon,
            share,
            ZERO,
            ZERO,
            "to_pay",
        )
        if file.id in paid:
            payment = paid[file.id]
            line.share, line.deducted = _money(payment.amount), _money(payment.deducted)
            line.paid_to_family, line.state = _money(payment.paid_to_family), "paid"
        elif file.student_id not in present:
            line.share, line.state = ZERO, "left"
        else:
            remaining = share
            for account_id, kind, due in debts.get(file.student_id, []):
                if remaining <= 0:
                    break
                taken = min(remaining, due)
                line.deductions.append(Deduction(account_id, kind, taken))
                remaining -= taken
            line.deducted = share - remaining
            line.paid_to_family = remaining
        lines.append(line)
    lines.sort(key=lambda p: (p.division_code or "\uffff", alphabetical(p.student_name), p.file_id))
    return TermPayment(term.id, term.label, term.last_day, term.last_day < clock.today(), lines)


@requires(Permission.SCHOLARSHIPS_READ)
async def term_payment_preview(
    session: AsyncSession, principal: Principal, school_id: int, term_id: int
) -> TermPayment:
    """What paying the term would do, written nowhere: each scholar's share, what it takes
    off his board charges and what goes to his family; the files already paid as paid."""
    term = await _term(session, principal, school_id, term_id, Permission.SCHOLARSHIPS_READ)
    return await _plan(session, term)


@requires(Permission.SCHOLARSHIPS_MANAGE)
async def pay_term(
    session: AsyncSession, principal: Principal, school_id: int, term_id: int
) -> TermPayment:
    """Pay the term's scholarships once its last day is past: a payment per granted file not
    yet paid for the term, its deductions as scholarship reductions of the student's board
    charges (recorded in the term, or the open term after it once it is closed). Running it
    again pays only the files granted since."""
    term = await _term(session, principal, school_id, term_id, Permission.SCHOLARSHIPS_MANAGE)
    if term.last_day >= clock.today():
        raise ValidationFailed.single(
            "term_id",
            "NOT_OVER",
            f"Le {term.label} se paie après son dernier jour ({term.last_day:%d/%m/%Y}) : "
            "les bourses sont versées à terme échu.",
        )
    plan = await _plan(session, term)
    lines = plan.to_pay
    if not lines:
        return plan
    recorded_in = await recording_term(session, term)
    set_actor(session.sync_session, principal.audit_actor(term.school_id))
    today = clock.today()
    payments = [
        ScholarshipPayment(
            file_id=line.file_id,
            term_id=term.id,
            amount=line.share,
            deducted=line.deducted,
            paid_to_family=line.paid_to_family,
            paid_on=today,
            actor_label=principal.label,
        )
        for line in lines
    ]
    session.add_all(payments)
    await session.flush()
    kinds = {
        f.id: f.kind
        for f in await session.scalars(
            select(ScholarshipFile).where(ScholarshipFile.id.in_([line.file_id for line in lines]))
        )
    }
    session.add_all(
        Reduction(
            school_id=term.school_id,
            term_id=recorded_in.id,
            concerns_term_id=term.id,
            account_id=deduction.account_id,
            student_id=line.student_id,
            charge_kind=deduction.kind,
            kind=ReductionKind.SCHOLARSHIP,
            origin=LedgerOrigin.GENERATION,
            amount=deduction.amount,
            reason=f"{KIND_LABELS[kinds[line.file_id]].capitalize()}, échelon {line.echelon} : "
            f"{term.label}",
            scholarship_payment_id=payment.id,
            actor_label=principal.label,
        )
        for line, payment in zip(lines, payments, strict=True)
        for deduction in line.deductions
    )
    await session.flush()
    for line in lines:
        line.state = "paid"
    plan.paid_now = len(lines)
    return plan
