"""A family ledger written as the term's generation would write it, for the tests of
payments, reductions and statements (the generation is tested on its own).

School A's terms are the default split of 2026-2027 (T1 1 Sep–31 Dec, T2 1 Jan–31 Mar,
T3 1 Apr–31 Aug). Claire Martin pays for Lina (half-board) and Noah (boarding): one
account; Sophie Élan pays for Éloïse (half-board). Charges per term:

    Lina  half-board  T1 180,00  T2 150,00  T3 120,00   (450,00)
    Noah  boarding    T1 600,00  T2 500,00  T3 400,00   (1 500,00)
    Éloïse half-board T1 180,00  T2 150,00  T3 120,00   (450,00)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.terms import set_terms
from api.resolvers.work import Work
from db.audit import set_actor
from db.finances import (
    Charge,
    ChargeKind,
    FinanceSettings,
    LedgerOrigin,
    Payment,
    PaymentAllocation,
    PaymentKind,
    ProrationRule,
    Reduction,
)
from tests.world import World

R = TypeVar("R")

CHARGES = {
    "lina": (ChargeKind.HALF_BOARD, "2", ("180.00", "150.00", "120.00")),
    "noah": (ChargeKind.BOARDING, "3", ("600.00", "500.00", "400.00")),
    "eloise": (ChargeKind.HALF_BOARD, "2", ("180.00", "150.00", "120.00")),
}


@dataclass
class FamilyLedger:
    terms: list[int]
    martin: int
    elan: int


async def build_ledger(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    rule: ProrationRule | None = ProrationRule.CALENDAR_DAYS,
) -> FamilyLedger:
    """School A's terms, the two accounts and their charges for the three terms; the school's
    finance settings with ``rule`` (none: the defaults, service days)."""
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        terms = await set_terms(session, principal, world.school_a, world.year_id)
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        accounts = await accounts_of(
            session, world.school_a, [world.guardians["mother"], world.guardians["elan"]]
        )
        if rule is not None:
            session.add(
                FinanceSettings(
                    school_id=world.school_a,
                    school_year_id=world.year_id,
                    proration_rule=rule,
                    service_weekdays="12345",
                    order_reduction_min_days=14,
                )
            )
        for key, (kind, regime, amounts) in CHARGES.items():
            payer = world.guardians["elan" if key == "eloise" else "mother"]
            for term, amount in zip(terms, amounts, strict=True):
                session.add(
                    Charge(
                        school_id=world.school_a,
                        term_id=term.id,
                        concerns_term_id=term.id,
                        account_id=accounts[payer].id,
                        student_id=world.students[key],
                        enrollment_id=world.enrollments[key],
                        kind=kind,
                        origin=LedgerOrigin.GENERATION,
                        regime_code=regime,
                        basis="forfait du trimestre",
                        amount=Decimal(amount),
                        actor_label="génération (tests)",
                    )
                )
        return FamilyLedger(
            terms=[term.id for term in terms],
            martin=accounts[world.guardians["mother"]].id,
            elan=accounts[world.guardians["elan"]].id,
        )


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    login: str,
    fn: Callable[..., Awaitable[R]],
    *args: Any,
) -> R:
    """``fn`` in a transaction of its own, as ``login``."""
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        return await transaction.run(fn, *args)


async def invariants(sessionmaker: async_sessionmaker[AsyncSession], account_id: int) -> None:
    """Σ allocations ≤ Σ receipts − Σ reversals, and 0 ≤ allocated ≤ charged − reduced for
    every debt, read from the rows themselves."""
    async with sessionmaker() as session:
        payments = dict(
            (
                await session.execute(
                    select(Payment.kind, func.sum(Payment.amount))
                    .where(Payment.account_id == account_id)
                    .group_by(Payment.kind)
                )
            ).all()
        )
        allocated = await session.scalar(
            select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(Payment.account_id == account_id)
        )
        receipts = Decimal(str(payments.get(PaymentKind.RECEIPT, 0)))
        reversals = Decimal(str(payments.get(PaymentKind.REVERSAL, 0)))
        assert Decimal(str(allocated)) <= receipts - reversals
        per_debt: dict[tuple[int, int, str], list[Decimal]] = {}
        for model, term, kind in (
            (Charge, Charge.concerns_term_id, Charge.kind),
            (Reduction, Reduction.concerns_term_id, Reduction.charge_kind),
        ):
            rows = await session.execute(
                select(model.student_id, term, kind, func.sum(model.amount))
                .where(model.account_id == account_id)
                .group_by(model.student_id, term, kind)
            )
            for student, term_id, charge_kind, total in rows.all():
                debt = per_debt.setdefault((student, term_id, str(charge_kind)), [Decimal(0)] * 3)
                debt[0 if model is Charge else 1] += Decimal(str(total))
        rows = await session.execute(
            select(
                PaymentAllocation.student_id,
                PaymentAllocation.term_id,
                PaymentAllocation.kind,
                func.sum(PaymentAllocation.amount),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(Payment.account_id == account_id)
            .group_by(
                PaymentAllocation.student_id, PaymentAllocation.term_id, PaymentAllocation.kind
            )
        )
        for student, term_id, charge_kind, total in rows.all():
            debt = per_debt.setdefault((student, term_id, str(charge_kind)), [Decimal(0)] * 3)
            debt[2] += Decimal(str(total))
        for key, (charged, reduced, allocated_to_debt) in per_debt.items():
            assert Decimal(0) <= allocated_to_debt <= max(charged - reduced, Decimal(0)), key
