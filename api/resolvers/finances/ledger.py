"""What the ledger says: an account's balance, and what each student owes for each kind
and term after reductions and allocated receipts. Read only, called with a session by the
finance domain functions once they have checked their caller; every figure is a sum of
ledger rows, so that it reconciles to the cent with the rows it is built from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.money import ZERO
from db.finances import (
    Charge,
    ChargeKind,
    FinanceTerm,
    Payment,
    PaymentAllocation,
    PaymentKind,
    Reduction,
    ReductionKind,
)

CHARGE_KIND_LABELS = {ChargeKind.HALF_BOARD: "Demi-pension", ChargeKind.BOARDING: "Internat"}


@dataclass
class Debt:
    """What an account owes for one student, one kind and one term (oldest first)."""

    student_id: int
    term_id: int
    term_first_day: date | None
    kind: ChargeKind
    charged: Decimal
    reduced: Decimal
    allocated: Decimal

    @property
    def due(self) -> Decimal:
        return self.charged - self.reduced - self.allocated


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


async def account_balances(session: AsyncSession, account_ids: Iterable[int]) -> dict[int, Decimal]:
    """Charges − reductions − receipts + reversals + refunds, per account: positive is owed
    by the family, negative is a credit."""
    ids = list(account_ids)
    balances = dict.fromkeys(ids, ZERO)
    if not ids:
        return balances
    charged = (
        select(Charge.account_id, func.sum(Charge.amount))
        .where(Charge.account_id.in_(ids))
        .group_by(Charge.account_id)
    )
    reduced = (
        select(Reduction.account_id, func.sum(Reduction.amount))
        .where(Reduction.account_id.in_(ids))
        .group_by(Reduction.account_id)
    )
    signed = case((Payment.kind == PaymentKind.RECEIPT, -Payment.amount), else_=Payment.amount)
    paid = (
        select(Payment.account_id, func.sum(signed))
        .where(Payment.account_id.in_(ids))
        .group_by(Payment.account_id)
    )
    for statement, sign in ((charged, 1), (reduced, -1), (paid, 1)):
        for account_id, total in (await session.execute(statement)).all():
            balances[account_id] += sign * _money(total)
    return balances


async def debts(session: AsyncSession, account_id: int) -> list[Debt]:
    """The account's debts per (student, term, kind), oldest term first, then student and
    kind (board before half-board), the order receipts are allocated in."""
    found: dict[tuple[int, int, ChargeKind], Debt] = {}
    firsts = dict(
        (
            await session.execute(
                select(FinanceTerm.id, FinanceTerm.first_day).where(
                    FinanceTerm.id.in_(
                        select(Charge.concerns_term_id).where(Charge.account_id == account_id)
                    )
                )
            )
        ).all()
    )

    def debt(student_id: int, term_id: int, kind: ChargeKind) -> Debt:
        key = (student_id, term_id, kind)
        if key not in found:
            found[key] = Debt(student_id, term_id, firsts.get(term_id), kind, ZERO, ZERO, ZERO)
        return found[key]

    rows = await session.execute(
        select(Charge.student_id, Charge.concerns_term_id, Charge.kind, func.sum(Charge.amount))
        .where(Charge.account_id == account_id)
        .group_by(Charge.student_id, Charge.concerns_term_id, Charge.kind)
    )
    for student_id, term_id, kind, total in rows.all():
        debt(student_id, term_id, kind).charged += _money(total)
    rows = await session.execute(
        select(
            Reduction.student_id,
            Reduction.concerns_term_id,
            Reduction.charge_kind,
            func.sum(Reduction.amount),
        )
        .where(Reduction.account_id == account_id)
        .group_by(Reduction.student_id, Reduction.concerns_term_id, Reduction.charge_kind)
    )
    for student_id, term_id, kind, total in rows.all():
        debt(student_id, term_id, kind).reduced += _money(total)
    rows = await session.execute(
        select(
            PaymentAllocation.student_id,
            PaymentAllocation.term_id,
            PaymentAllocation.kind,
            func.sum(PaymentAllocation.amount),
        )
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.account_id == account_id)
        .group_by(PaymentAllocation.student_id, PaymentAllocation.term_id, PaymentAllocation.kind)
    )
    for student_id, term_id, kind, total in rows.all():
        debt(student_id, term_id, kind).allocated += _money(total)
    order = {ChargeKind.BOARDING: 0, ChargeKind.HALF_BOARD: 1}
    return sorted(
        found.values(),
        key=lambda d: (str(d.term_first_day), d.term_id, d.student_id, order[d.kind]),
    )


@dataclass
class TermFigures:
    """What an account's rows recorded in one term add up to, by nature (scholarships apart
    from the other reductions, each payment kind apart)."""

    charges: Decimal = ZERO
    reductions: Decimal = ZERO
    scholarships: Decimal = ZERO
    receipts: Decimal = ZERO
    refunds: Decimal = ZERO
    reversals: Decimal = ZERO

    @property
    def payments(self) -> Decimal:
        """Money received net: receipts less refunds and reversed receipts."""
        return self.receipts - self.refunds - self.reversals

    @property
    def net(self) -> Decimal:
        """What the term's rows add to the balance."""
        return self.charges - self.reductions - self.scholarships - self.payments

    def add(self, other: TermFigures) -> None:
        self.charges += other.charges
        self.reductions += other.reductions
        self.scholarships += other.scholarships
        self.receipts += other.receipts
        self.refunds += other.refunds
        self.reversals += other.reversals


async def figures_by_term(
    session: AsyncSession, school_id: int, account_ids: Iterable[int] | None = None
) -> dict[int, dict[int, TermFigures]]:
    """Per account, per term a row is recorded in (``term_id``, not the term it is about):
    the totals of the school's ledger, optionally for some accounts only."""
    ids = None if account_ids is None else list(set(account_ids))
    found: dict[int, dict[int, TermFigures]] = {}

    def figures(account_id: int, term_id: int) -> TermFigures:
        return found.setdefault(account_id, {}).setdefault(term_id, TermFigures())

    chunks = [None] if ids is None else [ids[n : n + 5000] for n in range(0, len(ids), 5000)]
    for chunk in chunks:
        charged = select(Charge.account_id, Charge.term_id, func.sum(Charge.amount)).where(
            Charge.school_id == school_id
        )
        reduced = select(
            Reduction.account_id,
            Reduction.term_id,
            Reduction.kind,
            func.sum(Reduction.amount),
        ).where(Reduction.school_id == school_id)
        paid = select(
            Payment.account_id, Payment.term_id, Payment.kind, func.sum(Payment.amount)
        ).where(Payment.school_id == school_id)
        if chunk is not None:
            charged = charged.where(Charge.account_id.in_(chunk))
            reduced = reduced.where(Reduction.account_id.in_(chunk))
            paid = paid.where(Payment.account_id.in_(chunk))
        for account_id, term_id, total in await session.execute(
            charged.group_by(Charge.account_id, Charge.term_id)
        ):
            figures(account_id, term_id).charges += _money(total)
        for account_id, term_id, reduction_kind, total in await session.execute(
            reduced.group_by(Reduction.account_id, Reduction.term_id, Reduction.kind)
        ):
            if reduction_kind == ReductionKind.SCHOLARSHIP:
                figures(account_id, term_id).scholarships += _money(total)
            else:
                figures(account_id, term_id).reductions += _money(total)
        for account_id, term_id, kind, total in await session.execute(
            paid.group_by(Payment.account_id, Payment.term_id, Payment.kind)
        ):
            line = figures(account_id, term_id)
            if kind == PaymentKind.RECEIPT:
                line.receipts += _money(total)
            elif kind == PaymentKind.REFUND:
                line.refunds += _money(total)
            else:
                line.reversals += _money(total)
    return found


@dataclass
class TermRecords:
    """The ledger rows recorded in a term (``term_id``), in the order they were written."""

    charges: list[Charge]
    reductions: list[Reduction]
    payments: list[Payment]

    @property
    def account_ids(self) -> set[int]:
        return {
            row.account_id
            for rows in (self.charges, self.reductions, self.payments)
            for row in rows
        }


async def term_records(
    session: AsyncSession, term_id: int, account_ids: Iterable[int] | None = None
) -> TermRecords:
    """Every charge, reduction and payment recorded in the term, of some accounts or all."""
    ids = None if account_ids is None else list(set(account_ids))

    async def rows(model: Any) -> list[Any]:
        statement = select(model).where(model.term_id == term_id).order_by(model.id)
        if ids is None:
            return list(await session.scalars(statement))
        found: list[Any] = []
        for start in range(0, len(ids), 5000):
            found += await session.scalars(
                statement.where(model.account_id.in_(ids[start : start + 5000]))
            )
        return sorted(found, key=lambda row: row.id)

    return TermRecords(await rows(Charge), await rows(Reduction), await rows(Payment))
