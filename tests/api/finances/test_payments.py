"""Receipts set against the oldest debts, reversals, refunds, settling after new charges,
and the allocation invariants over a random run of operations."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.resolvers.finances.payments import (
    PaymentMethod,
    ReceiptInput,
    RefundInput,
    account_credit,
    allocate_credit,
    record_receipt,
    refund_credit,
    reverse_receipt,
)
from api.resolvers.finances.reductions import GraceReductionInput, grant_grace_reduction
from api.resolvers.finances.statements import LineKind, account_statement
from core.errors import NotFound, ValidationFailed
from db.audit import AuditEntry
from db.finances import Charge, ChargeKind, LedgerOrigin, Payment, PaymentAllocation, PaymentKind
from tests.api.finances.family_ledger import FamilyLedger, build_ledger, invariants, run
from tests.world import World


@pytest.fixture
async def ledger(sessionmaker, world: World) -> FamilyLedger:
    return await build_ledger(sessionmaker, world)


def _cheque(account: int, amount: str, day: date = date(2026, 10, 5)) -> ReceiptInput:
    return ReceiptInput(
        account,
        PaymentMethod.CHEQUE,
        Decimal(amount),
        day,
        cheque_number="1234567",
        bank="La Poste",
    )


async def _allocations(sessionmaker, payment_id: int) -> list[tuple[int, int, ChargeKind, Decimal]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                PaymentAllocation.student_id,
                PaymentAllocation.term_id,
                PaymentAllocation.kind,
                PaymentAllocation.amount,
            )
            .where(PaymentAllocation.payment_id == payment_id)
            .order_by(PaymentAllocation.id)
        )
        return [tuple(row) for row in rows.all()]


async def test_a_receipt_pays_the_oldest_debts_first_and_leaves_the_rest_as_credit(
    sessionmaker, world: World, ledger: FamilyLedger
):
    t1, t2, t3 = ledger.terms
    lina, noah = world.students["lina"], world.students["noah"]
    cheque = await run(
        sessionmaker, world, "bursar_a", record_receipt, _cheque(ledger.martin, "500.00")
    )
    assert cheque.reference == "Chèque n° 1234567, La Poste"
    assert cheque.term_id == t1
    # T1 first: Lina's half-board 180,00, then Noah's board 320,00 of 600,00.
    assert await _allocations(sessionmaker, cheque.id) == [
        (lina, t1, ChargeKind.HALF_BOARD, Decimal("180.00")),
        (noah, t1, ChargeKind.BOARDING, Decimal("320.00")),
    ]
    transfer = await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(ledger.martin, PaymentMethod.TRANSFER, Decimal("1500"), date(2026, 11, 10)),
    )
    # 280,00 + 150,00 + 500,00 + 120,00 + 400,00 = 1 450,00 of 1 500,00: 50,00 of credit.
    assert await _allocations(sessionmaker, transfer.id) == [
        (noah, t1, ChargeKind.BOARDING, Decimal("280.00")),
        (lina, t2, ChargeKind.HALF_BOARD, Decimal("150.00")),
        (noah, t2, ChargeKind.BOARDING, Decimal("500.00")),
        (lina, t3, ChargeKind.HALF_BOARD, Decimal("120.00")),
        (noah, t3, ChargeKind.BOARDING, Decimal("400.00")),
    ]
    async with sessionmaker() as session:
        assert await account_credit(session, ledger.martin) == Decimal("50.00")
    await invariants(sessionmaker, ledger.martin)


async def test_a_receipt_is_checked_field_by_field(
    sessionmaker, world: World, ledger: FamilyLedger
):
    cases = [
        (
            ReceiptInput(ledger.martin, PaymentMethod.CASH, Decimal("0"), date(2026, 10, 1)),
            {"amount"},
        ),
        (
            ReceiptInput(ledger.martin, PaymentMethod.CASH, "12,345", date(2026, 10, 1)),  # type: ignore[arg-type]
            {"amount"},
        ),
        (
            ReceiptInput(ledger.martin, PaymentMethod.CARD, Decimal("10"), date(2026, 12, 3)),
            {"received_on"},
        ),
        (
            ReceiptInput(ledger.martin, PaymentMethod.CHEQUE, Decimal("10"), date(2026, 10, 1)),
            {"cheque_number", "bank"},
        ),
        (
            ReceiptInput(
                ledger.martin,
                PaymentMethod.CHEQUE,
                Decimal("10"),
                date(2026, 10, 1),
                cheque_number="12A",
                bank="BNP",
            ),
            {"cheque_number"},
        ),
        (
            ReceiptInput(ledger.martin, PaymentMethod.SEPA_DEBIT, Decimal("10"), date(2026, 10, 1)),
            {"reference"},
        ),
    ]
    for entry, fields in cases:
        with pytest.raises(ValidationFailed) as failed:
            await run(sessionmaker, world, "bursar_a", record_receipt, entry)
        assert {e.field for e in failed.value.errors} == fields, entry
    async with sessionmaker() as session:
        assert await session.scalar(select(Payment.id)) is None
    sepa = await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(
            ledger.martin,
            PaymentMethod.SEPA_DEBIT,
            Decimal("10"),
            date(2026, 12, 2),
            reference=" RUM-2026-0042 ",
        ),
    )
    assert sepa.reference == "RUM-2026-0042"


async def test_a_reversal_undoes_the_receipt_once_and_other_credit_takes_its_place(
    sessionmaker, world: World, ledger: FamilyLedger
):
    t1 = ledger.terms[0]
    lina, noah = world.students["lina"], world.students["noah"]
    cheque = await run(
        sessionmaker, world, "bursar_a", record_receipt, _cheque(ledger.martin, "500")
    )
    # A transfer covering all three terms: 1 950,00 − 500,00 = 1 450,00 due, 50,00 of credit.
    await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(ledger.martin, PaymentMethod.TRANSFER, Decimal("1500"), date(2026, 11, 10)),
    )
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", reverse_receipt, cheque.id, "  ")
    assert failed.value.errors[0].field == "reason"
    reversal = await run(
        sessionmaker, world, "bursar_a", reverse_receipt, cheque.id, "Chèque impayé"
    )
    assert (reversal.kind, reversal.amount, reversal.reverses_payment_id) == (
        PaymentKind.REVERSAL,
        Decimal("500.00"),
        cheque.id,
    )
    # The cheque's reference stays with its reversal (the transfer file shows which cheque);
    # the reason has its own column.
    assert (reversal.reference, reversal.reason) == (
        "Chèque n° 1234567, La Poste",
        "Chèque impayé",
    )
    # The cheque's 180,00 + 320,00 are due again; the 50,00 of credit goes to Lina's T1.
    rows = await _allocations(sessionmaker, reversal.id)
    assert sorted(rows) == sorted(
        [
            (lina, t1, ChargeKind.HALF_BOARD, Decimal("-180.00")),
            (noah, t1, ChargeKind.BOARDING, Decimal("-320.00")),
        ]
    )
    async with sessionmaker() as session:
        assert await account_credit(session, ledger.martin) == Decimal("0.00")
    await invariants(sessionmaker, ledger.martin)
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", reverse_receipt, cheque.id, "Encore")
    assert failed.value.errors[0].code == "ALREADY_REVERSED"
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", reverse_receipt, reversal.id, "Encore")
    assert failed.value.errors[0].code == "NOT_A_RECEIPT"
    principal = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session:
        statement = await account_statement(session, principal, ledger.martin)
    [line] = [
        line
        for line in statement.lines
        if line.kind is LineKind.REVERSAL and line.entry_id == reversal.id
    ]
    assert line.label == (
        "Annulation de l'encaissement du 05/10/2026 — Chèque n° 1234567, La Poste — "
        "motif : Chèque impayé"
    )


async def test_a_refund_is_at_most_the_credit(sessionmaker, world: World, ledger: FamilyLedger):
    # Éloïse's three terms: 450,00; 500,00 received: 50,00 of credit.
    await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(ledger.elan, PaymentMethod.CARD, Decimal("500"), date(2026, 11, 2)),
    )
    refund = RefundInput(ledger.elan, PaymentMethod.TRANSFER, Decimal("50.01"), date(2026, 12, 1))
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", refund_credit, refund)
    assert [(e.field, e.code) for e in failed.value.errors] == [("amount", "ABOVE_CREDIT")]
    assert "50,00" in failed.value.errors[0].message
    refund.method = PaymentMethod.CARD
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", refund_credit, refund)
    assert failed.value.errors[0].field == "method"
    refund.method, refund.amount = PaymentMethod.CHEQUE, Decimal("50")
    refund.reason = "x" * 201
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", refund_credit, refund)
    assert [(e.field, e.code) for e in failed.value.errors] == [("reason", "TOO_LONG")]
    refund.reason = "  Trop-perçu   après le départ "
    paid = await run(sessionmaker, world, "bursar_a", refund_credit, refund)
    assert paid.reason == "Trop-perçu après le départ"
    assert (paid.kind, paid.amount, paid.term_id) == (
        PaymentKind.REFUND,
        Decimal("50.00"),
        ledger.terms[0],
    )
    async with sessionmaker() as session:
        assert await account_credit(session, ledger.elan) == Decimal("0.00")
    with pytest.raises(ValidationFailed):
        await run(sessionmaker, world, "bursar_a", refund_credit, refund)


async def test_credit_goes_to_charges_written_later(
    sessionmaker, world: World, ledger: FamilyLedger
):
    receipt = await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(ledger.elan, PaymentMethod.CASH, Decimal("500"), date(2026, 11, 2)),
    )
    t2 = ledger.terms[1]
    # An adjustment of Éloïse's T2 (+80,00), as a new generation writes it, then settles.
    async with sessionmaker() as session, session.begin():
        session.add(
            Charge(
                school_id=world.school_a,
                term_id=t2,
                concerns_term_id=t2,
                account_id=ledger.elan,
                student_id=world.students["eloise"],
                kind=ChargeKind.HALF_BOARD,
                origin=LedgerOrigin.ADJUSTMENT,
                regime_code="2",
                basis="régime modifié",
                amount=Decimal("80.00"),
                actor_label="génération (tests)",
            )
        )
        await session.flush()
        await allocate_credit(session, ledger.elan)
    # The 50,00 of credit goes to it; 30,00 stay due.
    assert (await _allocations(sessionmaker, receipt.id))[-1] == (
        world.students["eloise"],
        t2,
        ChargeKind.HALF_BOARD,
        Decimal("50.00"),
    )
    async with sessionmaker() as session:
        assert await account_credit(session, ledger.elan) == Decimal("0.00")
    await invariants(sessionmaker, ledger.elan)


async def test_only_the_finance_staff_of_the_school_records_payments(
    sessionmaker, world: World, ledger: FamilyLedger
):
    for login in ("teacher_a", "registrar_a", "cpe_a"):
        with pytest.raises(PermissionDenied):
            await run(sessionmaker, world, login, record_receipt, _cheque(ledger.martin, "10"))
    with pytest.raises(NotFound):
        await run(sessionmaker, world, "principal_b", record_receipt, _cheque(ledger.martin, "10"))
    payment = await run(
        sessionmaker, world, "principal_a", record_receipt, _cheque(ledger.martin, "10")
    )
    with pytest.raises(NotFound):
        await run(sessionmaker, world, "principal_b", reverse_receipt, payment.id, "x")
    async with sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity == "payments", AuditEntry.entity_id == payment.id
            )
        )
    assert entry is not None and entry.school_id == world.school_a


async def test_the_invariants_hold_over_a_random_run(
    sessionmaker, world: World, ledger: FamilyLedger
):
    """Receipts, reversals, refunds and remises gracieuses in a random order: after each,
    allocations stay within the receipts and within each debt."""
    chance = random.Random(14)
    receipts: list[int] = []
    day = date(2026, 9, 1)
    for _step in range(24):
        account = chance.choice([ledger.martin, ledger.elan])
        action = chance.choice(["receipt", "receipt", "reverse", "refund", "grace"])
        day = min(day + timedelta(days=chance.randint(0, 6)), date(2026, 12, 2))
        try:
            if action == "receipt":
                amount = Decimal(chance.randint(1, 90000)) / 100
                payment = await run(
                    sessionmaker,
                    world,
                    "bursar_a",
                    record_receipt,
                    ReceiptInput(account, PaymentMethod.CASH, amount, day),
                )
                receipts.append(payment.id)
            elif action == "reverse" and receipts:
                await run(
                    sessionmaker, world, "bursar_a", reverse_receipt, chance.choice(receipts), "x"
                )
            elif action == "refund":
                async with sessionmaker() as session:
                    credit = await account_credit(session, account)
                if credit > 0:
                    await run(
                        sessionmaker,
                        world,
                        "bursar_a",
                        refund_credit,
                        RefundInput(account, PaymentMethod.CASH, credit, day),
                    )
            elif action == "grace":
                student = world.students["eloise" if account == ledger.elan else "lina"]
                await run(
                    sessionmaker,
                    world,
                    "principal_a",
                    grant_grace_reduction,
                    GraceReductionInput(
                        account,
                        student,
                        chance.choice(ledger.terms),
                        ChargeKind.HALF_BOARD,
                        Decimal(chance.randint(1, 5000)) / 100,
                        "Aide",
                    ),
                )
        except ValidationFailed as failed:
            # Refused operations (a second reversal, a remise above what is left) are fine.
            assert failed.errors[0].code in {"ALREADY_REVERSED", "ABOVE_REMAINING"}, failed
        await invariants(sessionmaker, account)
