"""What the ledger says: an account's balance, and what each student owes for each kind
and term after reductions and allocated receipts. Read only, called with a session by the
finance domain functions once they have checked their caller; every figure is a sum of
ledger rows, so that it reconciles to the cent with the rows it is built from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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
)


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
