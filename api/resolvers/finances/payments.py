"""Money on a family account: receipts (encaissements) set at once against the oldest debts,
the reversal of a receipt (a cheque returned unpaid, a receipt entered twice), the refund of
a credit balance, and the settling of an account whose debts changed.

Allocation (lettrage) follows ``ledger.debts``: oldest term first, then student, board
before half-board. What a receipt does not cover stays an unallocated credit, which
``allocate_credit`` sets against debts that appear later. Every allocation row hangs on a
receipt (or, negative, on the reversal that undoes it), so that for every account

    Σ allocations ≤ Σ receipts − Σ reversals, and for every debt 0 ≤ allocated ≤ charged − reduced.

A debt can become overpaid after it was settled: a reduction granted later, a negative
adjustment of its charge. Settling the account then releases the excess: negative
allocation rows on the receipts that paid it, latest receipt first, so that the excess
becomes credit again (and goes to the next open debt, or stays a credit to refund).

The account's unallocated credit is Σ receipts − Σ reversals − Σ refunds − Σ allocations,
and its balance is Σ (charged − reduced − allocated) over its debts minus that credit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances import ledger
from api.resolvers.finances.reach import account_in_reach
from api.resolvers.finances.terms import term_on
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from core.money import ZERO, format_euros, parse_amount
from db.audit import set_actor
from db.finances import (
    ChargeKind,
    FamilyAccount,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
)

__all__ = [
    "REFUND_METHODS",
    "PaymentKind",
    "PaymentMethod",
    "ReceiptInput",
    "RefundInput",
    "account_credit",
    "allocate_credit",
    "record_receipt",
    "refund_credit",
    "reverse_receipt",
]

REFUND_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.CHEQUE, PaymentMethod.CASH)
_CHEQUE_NUMBER = re.compile(r"^\d{1,20}$")
# "Chèque n° " + the number + ", " + the bank fits the reference's 80 characters.
BANK_MAX = 48
REFERENCE_MAX = 80
# Why a receipt is reversed or a credit refunded (the column holds 300).
REASON_MAX = 200

DebtKey = tuple[int, int, ChargeKind]


@dataclass
class ReceiptInput:
    """Money received from the family: a cheque needs its number and bank, a SEPA debit
    its mandate reference (RUM); a transfer or a card payment may carry a reference."""

    account_id: int
    method: PaymentMethod
    amount: Decimal
    received_on: date
    cheque_number: str | None = None
    bank: str | None = None
    reference: str | None = None


@dataclass
class RefundInput:
    """A credit balance paid back to the family (by transfer, cheque or cash), with why
    when it is worth saying (a student who left, a scholarship paid after the fees)."""

    account_id: int
    method: PaymentMethod
    amount: Decimal
    paid_on: date
    reference: str | None = None
    reason: str | None = None


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _amount(value: Decimal | str, field: str, errors: list[FieldError]) -> Decimal | None:
    try:
        amount = parse_amount(value, field)
    except ValidationFailed as failed:
        errors.extend(failed.errors)
        return None
    if amount == ZERO:
        errors.append(FieldError(field, "ZERO_AMOUNT", "Le montant doit être supérieur à zéro."))
        return None
    return amount


def _not_future(day: date, field: str, errors: list[FieldError]) -> None:
    if day > clock.today():
        errors.append(
            FieldError(
                field, "IN_THE_FUTURE", "La date ne peut pas être postérieure à aujourd'hui."
            )
        )


def _receipt_reference(entry: ReceiptInput, errors: list[FieldError]) -> str | None:
    """The reference kept with the receipt: the cheque's number and bank, the mandate's
    reference for a SEPA debit, what the bursar typed otherwise."""
    if entry.method is PaymentMethod.CHEQUE:
        number, bank = _clean(entry.cheque_number), _clean(entry.bank)
        if not _CHEQUE_NUMBER.match(number):
            errors.append(
                FieldError(
                    "cheque_number",
                    "REQUIRED",
                    "Numéro du chèque requis (chiffres seulement, 20 au plus).",
                )
            )
        if not bank or len(bank) > BANK_MAX:
            errors.append(
                FieldError(
                    "bank", "REQUIRED", f"Banque du chèque requise ({BANK_MAX} caractères au plus)."
                )
            )
        return f"Chèque n° {number}, {bank}"
    reference = _clean(entry.reference)
    if entry.method is PaymentMethod.SEPA_DEBIT and not reference:
        errors.append(
            FieldError("reference", "REQUIRED", "Référence unique du mandat (RUM) requise.")
        )
    if len(reference) > REFERENCE_MAX:
        errors.append(
            FieldError("reference", "TOO_LONG", f"Référence : {REFERENCE_MAX} caractères au plus.")
        )
    return reference or None


async def _lock(session: AsyncSession, account_id: int) -> None:
    """Two commands on one account at once would set the same debt against two receipts:
    the second waits for the first (PostgreSQL; SQLite has one writer at a time)."""
    await session.execute(
        select(FamilyAccount.id).where(FamilyAccount.id == account_id).with_for_update()
    )


async def account_credit(session: AsyncSession, account_id: int) -> Decimal:
    """Σ receipts − Σ reversals − Σ refunds − Σ allocations: what was received and is set
    against no debt (negative when a refunded receipt was reversed afterwards)."""
    totals = dict(
        (
            await session.execute(
                select(Payment.kind, func.sum(Payment.amount))
                .where(Payment.account_id == account_id)
                .group_by(Payment.kind)
            )
        ).all()
    )
    allocated = await session.scalar(
        select(func.sum(PaymentAllocation.amount))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.account_id == account_id)
    )

    def total(kind: PaymentKind) -> Decimal:
        return _money(totals.get(kind))

    return (
        total(PaymentKind.RECEIPT)
        - total(PaymentKind.REVERSAL)
        - total(PaymentKind.REFUND)
        - _money(allocated)
    )


async def _allocated_by_receipt(
    session: AsyncSession, account_id: int
) -> dict[int, dict[DebtKey, Decimal]]:
    """The net allocation of each receipt of the account that stands (not reversed), per
    debt."""
    reversed_ids = select(Payment.reverses_payment_id).where(
        Payment.account_id == account_id,
        Payment.kind == PaymentKind.REVERSAL,
        Payment.reverses_payment_id.is_not(None),
    )
    rows = await session.execute(
        select(
            PaymentAllocation.payment_id,
            PaymentAllocation.student_id,
            PaymentAllocation.term_id,
            PaymentAllocation.kind,
            func.sum(PaymentAllocation.amount),
        )
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(
            Payment.account_id == account_id,
            Payment.kind == PaymentKind.RECEIPT,
            Payment.id.not_in(reversed_ids),
        )
        .group_by(
            PaymentAllocation.payment_id,
            PaymentAllocation.student_id,
            PaymentAllocation.term_id,
            PaymentAllocation.kind,
        )
    )
    found: dict[int, dict[DebtKey, Decimal]] = defaultdict(dict)
    for payment_id, student_id, term_id, kind, total in rows.all():
        found[payment_id][(student_id, term_id, ChargeKind(kind))] = _money(total)
    return found


async def _standing_receipts(session: AsyncSession, account_id: int) -> list[Payment]:
    """The account's receipts not reversed, oldest first."""
    reversed_ids = select(Payment.reverses_payment_id).where(
        Payment.account_id == account_id,
        Payment.kind == PaymentKind.REVERSAL,
        Payment.reverses_payment_id.is_not(None),
    )
    return list(
        await session.scalars(
            select(Payment)
            .where(
                Payment.account_id == account_id,
                Payment.kind == PaymentKind.RECEIPT,
                Payment.id.not_in(reversed_ids),
            )
            .order_by(Payment.received_on, Payment.id)
        )
    )


async def _settle(session: AsyncSession, account_id: int, first: Payment | None = None) -> None:
    """Release what overpays a debt, then set the credit against the open debts, oldest
    first, from the receipts that have money left (``first`` before the others, then the
    oldest)."""
    debts = await ledger.debts(session, account_id)
    by_receipt = await _allocated_by_receipt(session, account_id)
    receipts = await _standing_receipts(session, account_id)
    new_rows: list[PaymentAllocation] = []

    def allocate(payment_id: int, debt: ledger.Debt, amount: Decimal) -> None:
        new_rows.append(
            PaymentAllocation(
                payment_id=payment_id,
                student_id=debt.student_id,
                term_id=debt.term_id,
                kind=debt.kind,
                amount=amount,
            )
        )
        debt.allocated += amount
        key = (debt.student_id, debt.term_id, debt.kind)
        on_receipt = by_receipt.setdefault(payment_id, {})
        on_receipt[key] = on_receipt.get(key, ZERO) + amount

    latest_first = sorted(receipts, key=lambda p: (p.received_on, p.id), reverse=True)
    released = ZERO
    for debt in debts:
        excess = debt.allocated - max(debt.charged - debt.reduced, ZERO)
        key = (debt.student_id, debt.term_id, debt.kind)
        for receipt in latest_first:
            if excess <= ZERO:
                break
            part = min(excess, by_receipt.get(receipt.id, {}).get(key, ZERO))
            if part > ZERO:
                allocate(receipt.id, debt, -part)
                excess -= part
                released += part
    credit = await account_credit(session, account_id) + released
    ordered = ([first] if first is not None else []) + [
        r for r in receipts if first is None or r.id != first.id
    ]
    for receipt in ordered:
        room = receipt.amount - sum(by_receipt.get(receipt.id, {}).values(), ZERO)
        for debt in debts:
            if credit <= ZERO or room <= ZERO:
                break
            part = min(debt.due, room, credit)
            if part > ZERO:
                allocate(receipt.id, debt, part)
                room -= part
                credit -= part
    if new_rows:
        session.add_all(new_rows)
        await session.flush()


async def allocate_credit(session: AsyncSession, account_id: int) -> None:
    """Settle an account after its debts changed (the generation wrote charges, a reduction
    or its reversal was recorded): an overpaid debt gives its excess back as credit, and
    the credit goes to the open debts, oldest first. No principal: called inside the
    command that changed the debts, which has checked its caller."""
    await _lock(session, account_id)
    await _settle(session, account_id)


@requires(Permission.FINANCES_MANAGE)
async def record_receipt(
    session: AsyncSession, principal: Principal, entry: ReceiptInput
) -> Payment:
    """Record money received on a family account, in the open term of its day, and set it
    at once against the oldest debts; what is left is a credit."""
    account = await account_in_reach(
        session, principal, entry.account_id, Permission.FINANCES_MANAGE
    )
    errors: list[FieldError] = []
    amount = _amount(entry.amount, "amount", errors)
    _not_future(entry.received_on, "received_on", errors)
    reference = _receipt_reference(entry, errors)
    if errors:
        raise ValidationFailed(errors)
    assert amount is not None
    term = await term_on(session, account.school_id, entry.received_on)
    await _lock(session, account.id)
    set_actor(session.sync_session, principal.audit_actor(account.school_id))
    payment = Payment(
        school_id=account.school_id,
        term_id=term.id,
        account_id=account.id,
        kind=PaymentKind.RECEIPT,
        method=entry.method,
        amount=amount,
        received_on=entry.received_on,
        reference=reference,
        actor_label=principal.label,
    )
    session.add(payment)
    await session.flush()
    await _settle(session, account.id, first=payment)
    return payment


@requires(Permission.FINANCES_MANAGE)
async def reverse_receipt(
    session: AsyncSession, principal: Principal, payment_id: int, reason: str
) -> Payment:
    """Cancel a receipt (a cheque returned unpaid, a receipt entered twice): a reversal of
    the same amount and reference, with its reason, whose negative allocations undo the
    receipt's, so that its debts are due again (other credit then goes to them). A receipt
    is reversed once."""
    receipt = await session.get(Payment, payment_id)
    if receipt is None:
        raise NotFound("Payment", payment_id)
    try:
        await account_in_reach(session, principal, receipt.account_id, Permission.FINANCES_MANAGE)
    except NotFound:
        raise NotFound("Payment", payment_id) from None
    reason = _clean(reason)
    if not reason or len(reason) > REASON_MAX:
        raise ValidationFailed.single(
            "reason", "REQUIRED", f"Motif de l'annulation requis ({REASON_MAX} caractères au plus)."
        )
    if receipt.kind is not PaymentKind.RECEIPT:
        raise ValidationFailed.single(
            "payment_id", "NOT_A_RECEIPT", "Seul un encaissement peut être annulé."
        )
    await _lock(session, receipt.account_id)
    already = await session.scalar(
        select(Payment.id).where(
            Payment.reverses_payment_id == receipt.id, Payment.kind == PaymentKind.REVERSAL
        )
    )
    if already is not None:
        raise ValidationFailed.single(
            "payment_id", "ALREADY_REVERSED", "Cet encaissement est déjà annulé."
        )
    try:
        term = await term_on(session, receipt.school_id, clock.today())
    except ValidationFailed as failed:
        raise ValidationFailed(
            [FieldError("payment_id", e.code, e.message) for e in failed.errors]
        ) from None
    set_actor(session.sync_session, principal.audit_actor(receipt.school_id))
    reversal = Payment(
        school_id=receipt.school_id,
        term_id=term.id,
        account_id=receipt.account_id,
        kind=PaymentKind.REVERSAL,
        method=receipt.method,
        amount=receipt.amount,
        received_on=clock.today(),
        reference=receipt.reference,
        reverses_payment_id=receipt.id,
        reason=reason,
        actor_label=principal.label,
    )
    session.add(reversal)
    await session.flush()
    rows = await session.execute(
        select(
            PaymentAllocation.student_id,
            PaymentAllocation.term_id,
            PaymentAllocation.kind,
            func.sum(PaymentAllocation.amount),
        )
        .where(PaymentAllocation.payment_id == receipt.id)
        .group_by(PaymentAllocation.student_id, PaymentAllocation.term_id, PaymentAllocation.kind)
    )
    session.add_all(
        PaymentAllocation(
            payment_id=reversal.id,
            student_id=student_id,
            term_id=term_id,
            kind=kind,
            amount=-_money(total),
        )
        for student_id, term_id, kind, total in rows.all()
        if _money(total) != ZERO
    )
    await session.flush()
    await _settle(session, receipt.account_id)
    return reversal


@requires(Permission.FINANCES_MANAGE)
async def refund_credit(session: AsyncSession, principal: Principal, entry: RefundInput) -> Payment:
    """Pay a credit balance back to the family, at most the unallocated credit."""
    account = await account_in_reach(
        session, principal, entry.account_id, Permission.FINANCES_MANAGE
    )
    errors: list[FieldError] = []
    if entry.method not in REFUND_METHODS:
        errors.append(
            FieldError(
                "method",
                "NOT_FOR_REFUND",
                "Un remboursement se fait par virement, chèque ou espèces.",
            )
        )
    amount = _amount(entry.amount, "amount", errors)
    _not_future(entry.paid_on, "paid_on", errors)
    reference = _clean(entry.reference)
    if len(reference) > REFERENCE_MAX:
        errors.append(
            FieldError("reference", "TOO_LONG", f"Référence : {REFERENCE_MAX} caractères au plus.")
        )
    reason = _clean(entry.reason)
    if len(reason) > REASON_MAX:
        errors.append(FieldError("reason", "TOO_LONG", f"Motif : {REASON_MAX} caractères au plus."))
    if errors:
        raise ValidationFailed(errors)
    assert amount is not None
    await _lock(session, account.id)
    credit = await account_credit(session, account.id)
    if amount > credit:
        raise ValidationFailed.single(
            "amount",
            "ABOVE_CREDIT",
            f"Le remboursement ne peut dépasser le crédit du compte ({format_euros(max(credit, ZERO))}).",
        )
    try:
        term = await term_on(session, account.school_id, entry.paid_on)
    except ValidationFailed as failed:
        raise ValidationFailed(
            [FieldError("paid_on", e.code, e.message) for e in failed.errors]
        ) from None
    set_actor(session.sync_session, principal.audit_actor(account.school_id))
    refund = Payment(
        school_id=account.school_id,
        term_id=term.id,
        account_id=account.id,
        kind=PaymentKind.REFUND,
        method=entry.method,
        amount=amount,
        received_on=entry.paid_on,
        reference=reference or None,
        reason=reason or None,
        actor_label=principal.label,
    )
    session.add(refund)
    await session.flush()
    return refund
