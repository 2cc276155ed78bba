"""Family accounts as the bursar reads them: the school's list (payer, children, balance,
searched and paged) and one account's statement, reconciled to the cent on a scenario
computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.auth.principal import PermissionDenied
from api.resolvers.finances.ledger import account_balances
from api.resolvers.finances.payments import (
    PaymentMethod,
    ReceiptInput,
    RefundInput,
    record_receipt,
    refund_credit,
    reverse_receipt,
)
from api.resolvers.finances.reductions import (
    GraceReductionInput,
    OrderMotive,
    OrderReductionInput,
    grant_grace_reduction,
    grant_order_reduction,
)
from api.resolvers.finances.statements import LineKind, account_statement, family_accounts
from core.errors import NotFound, ValidationFailed
from db.finances import ChargeKind
from tests.api.finances.family_ledger import FamilyLedger, build_ledger, invariants, run
from tests.world import World

D = Decimal


@pytest.fixture
async def ledger(sessionmaker, world: World) -> FamilyLedger:
    return await build_ledger(sessionmaker, world)


async def _statement(sessionmaker, world: World, account_id: int, login: str = "bursar_a"):
    principal = await world.principal(sessionmaker, login)
    async with sessionmaker() as session:
        return await account_statement(session, principal, account_id)


async def test_the_martins_year_to_the_cent(sessionmaker, world: World, ledger: FamilyLedger):
    """Two children, three terms (1 950,00 charged), a cheque of 500,00, a transfer of
    1 500,00 (50,00 of credit), a remise d'ordre of 100,00 on a paid term (150,00 of credit),
    the credit refunded, then the cheque returned unpaid and a remise gracieuse of 30,00."""
    t1, t2, t3 = ledger.terms
    lina, noah = world.students["lina"], world.students["noah"]
    bursar = "bursar_a"
    cheque = await run(
        sessionmaker,
        world,
        bursar,
        record_receipt,
        ReceiptInput(
            ledger.martin,
            PaymentMethod.CHEQUE,
            D("500.00"),
            date(2026, 10, 5),
            cheque_number="0012345",
            bank="Crédit Mutuel",
        ),
    )
    await run(
        sessionmaker,
        world,
        bursar,
        record_receipt,
        ReceiptInput(ledger.martin, PaymentMethod.TRANSFER, D("1500.00"), date(2026, 11, 10)),
    )
    statement = await _statement(sessionmaker, world, ledger.martin)
    # 1 950,00 − 2 000,00.
    assert (statement.balance, statement.unallocated_credit) == (D("-50.00"), D("50.00"))
    # Noah ill 1–18 February: 500,00 × 18 / 90 calendar days = 100,00 off a paid term.
    await run(
        sessionmaker,
        world,
        bursar,
        grant_order_reduction,
        OrderReductionInput(
            ledger.martin, noah, OrderMotive.ILLNESS, date(2027, 2, 1), date(2027, 2, 18)
        ),
    )
    statement = await _statement(sessionmaker, world, ledger.martin)
    assert (statement.balance, statement.unallocated_credit) == (D("-150.00"), D("150.00"))
    await run(
        sessionmaker,
        world,
        bursar,
        refund_credit,
        RefundInput(ledger.martin, PaymentMethod.TRANSFER, D("150.00"), date(2026, 12, 1)),
    )
    await run(sessionmaker, world, bursar, reverse_receipt, cheque.id, "Chèque impayé")
    await run(
        sessionmaker,
        world,
        "principal_a",
        grant_grace_reduction,
        GraceReductionInput(
            ledger.martin, lina, t1, ChargeKind.HALF_BOARD, D("30.00"), "Situation familiale"
        ),
    )
    await invariants(sessionmaker, ledger.martin)
    statement = await _statement(sessionmaker, world, ledger.martin)
    # 1 950,00 − 130,00 − 2 000,00 + 150,00 + 500,00 = 470,00.
    assert (
        statement.charged,
        statement.reduced,
        statement.received,
        statement.refunded,
        statement.reversed,
        statement.unallocated_credit,
        statement.balance,
    ) == (D("1950.00"), D("130.00"), D("2000.00"), D("150.00"), D("500.00"), D("0.00"), D("470.00"))
    # Every line summed gives the balance, which is the ledger's.
    assert sum((line.debit - line.credit for line in statement.lines), D(0)) == D("470.00")
    assert statement.lines[-1].balance == D("470.00")
    async with sessionmaker() as session:
        assert (await account_balances(session, [ledger.martin]))[ledger.martin] == D("470.00")
    kinds = [line.kind for line in statement.lines]
    assert kinds.count(LineKind.CHARGE) == 6
    assert kinds.count(LineKind.REDUCTION) == 2
    assert kinds.count(LineKind.RECEIPT) == 2
    assert kinds.count(LineKind.REFUND) == 1
    assert kinds.count(LineKind.REVERSAL) == 1
    days = [line.day for line in statement.lines]
    assert days == sorted(days)
    # The cheque is reversed; the transfer still may be.
    receipts = {
        line.entry_id: line.reversible for line in statement.lines if line.kind is LineKind.RECEIPT
    }
    assert receipts[cheque.id] is False and list(receipts.values()).count(True) == 1
    # Debts: Lina T1 180,00 − 30,00 (the cheque's 180,00 undone) = 150,00 due; Noah T1
    # 600,00 − 280,00 (the transfer) = 320,00 due; Noah T2 500,00 − 100,00 − 400,00 = 0.
    debts = {(d.student_id, d.term_id): d for d in statement.debts}
    assert (debts[lina, t1].reduced, debts[lina, t1].allocated, debts[lina, t1].due) == (
        D("30.00"),
        D("0.00"),
        D("150.00"),
    )
    assert (debts[noah, t1].allocated, debts[noah, t1].due) == (D("280.00"), D("320.00"))
    assert (debts[noah, t2].reduced, debts[noah, t2].allocated, debts[noah, t2].due) == (
        D("100.00"),
        D("400.00"),
        D("0.00"),
    )
    assert all(debts[s, t3].due == D("0.00") for s in (lina, noah))
    # Per child: Lina 450,00 − 30,00 − 270,00 = 150,00; Noah 1 500,00 − 100,00 − 1 080,00 = 320,00.
    students = {s.student_id: s for s in statement.students}
    assert (students[lina].allocated, students[lina].balance) == (D("270.00"), D("150.00"))
    assert (students[noah].allocated, students[noah].balance) == (D("1080.00"), D("320.00"))
    assert sum((s.balance for s in statement.students), D(0)) - statement.unallocated_credit == (
        statement.balance
    )
    assert statement.account.payer_name == "MARTIN Claire"
    assert statement.account.children == ["MARTIN Lina", "MARTIN Noah"]


async def test_the_accounts_list_is_searched_by_payer_or_child_and_paged(
    sessionmaker, world: World, ledger: FamilyLedger
):
    principal = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session:
        every = await family_accounts(session, principal, world.school_a)
        assert [(a.payer_name, a.balance, a.children) for a in every.accounts] == [
            ("ÉLAN Sophie", D("450.00"), ["ÉLAN Éloïse"]),
            ("MARTIN Claire", D("1950.00"), ["MARTIN Lina", "MARTIN Noah"]),
        ]
        assert every.total_count == 2
        for search, payers in (
            ("martin", ["MARTIN Claire"]),
            ("eloise", ["ÉLAN Sophie"]),
            ("Élan", ["ÉLAN Sophie"]),
            ("noah", ["MARTIN Claire"]),
            ("claire martin", ["MARTIN Claire"]),
            ("personne", []),
        ):
            found = await family_accounts(session, principal, world.school_a, search)
            assert [a.payer_name for a in found.accounts] == payers, search
        page = await family_accounts(session, principal, world.school_a, None, 1, 1)
        assert (page.total_count, len(page.accounts), page.offset) == (2, 1, 1)
        with pytest.raises(ValidationFailed) as failed:
            await family_accounts(session, principal, world.school_a, None, 0, 101)
        assert failed.value.errors[0].field == "limit"
        with pytest.raises(ValidationFailed):
            await family_accounts(session, principal, world.school_a, "x" * 81)


async def test_the_accounts_are_read_by_the_finance_staff_of_the_school_only(
    sessionmaker, world: World, ledger: FamilyLedger
):
    for login in ("teacher_a", "registrar_a", "cpe_a"):
        principal = await world.principal(sessionmaker, login)
        async with sessionmaker() as session:
            with pytest.raises(PermissionDenied):
                await family_accounts(session, principal, world.school_a)
            with pytest.raises(PermissionDenied):
                await account_statement(session, principal, ledger.martin)
    principal = await world.principal(sessionmaker, "principal_b")
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await family_accounts(session, principal, world.school_a)
        with pytest.raises(NotFound):
            await account_statement(session, principal, ledger.martin)


STATEMENT = """
query($id: Int!) { familyAccount(id: $id) {
  balance unallocatedCredit account { payerName children }
  lines { kind day label debit credit balance reversible }
  students { studentName balance } debts { termLabel kind due } } }
"""
RECEIPT = """
mutation($a: Int!, $m: PaymentMethod!, $n: String) { recordPayment(input: {accountId: $a,
  method: $m, amount: "1234.50", receivedOn: "2026-11-20", chequeNumber: $n, bank: "BNP"}) {
  payment { id amount reference } errors { field code message } } }
"""


async def test_the_accounts_in_graphql(gql, sessionmaker, world: World, ledger: FamilyLedger):
    refused = await gql("bursar_a", RECEIPT, {"a": ledger.martin, "m": "CHEQUE", "n": "12x"})
    assert [e["field"] for e in refused["data"]["recordPayment"]["errors"]] == ["chequeNumber"]
    body = await gql("bursar_a", RECEIPT, {"a": ledger.martin, "m": "CHEQUE", "n": "7654321"})
    payment = body["data"]["recordPayment"]["payment"]
    assert (payment["amount"], payment["reference"]) == ("1234.50", "Chèque n° 7654321, BNP")
    statement = (await gql("bursar_a", STATEMENT, {"id": ledger.martin}))["data"]["familyAccount"]
    # 1 950,00 − 1 234,50 = 715,50.
    assert statement["balance"] == "715.50" and statement["unallocatedCredit"] == "0.00"
    # The receipt of 20 November comes before the charges written on 2 December.
    assert [line["kind"] for line in statement["lines"]][:2] == ["RECEIPT", "CHARGE"]
    assert statement["lines"][0]["reversible"] and statement["lines"][-1]["balance"] == "715.50"
    listed = await gql(
        "bursar_a",
        'query($s: Int!) { familyAccounts(schoolId: $s, search: "noah") '
        "{ totalCount accounts { id payerName balance } } }",
        {"s": world.school_a},
    )
    assert listed["data"]["familyAccounts"] == {
        "totalCount": 1,
        "accounts": [{"id": ledger.martin, "payerName": "MARTIN Claire", "balance": "715.50"}],
    }


async def test_a_teacher_reaches_no_account(gql, world: World, ledger: FamilyLedger):
    body = await gql("teacher_a", STATEMENT, {"id": ledger.martin})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(
        "teacher_a",
        "query($s: Int!) { familyAccounts(schoolId: $s) { totalCount } }",
        {"s": world.school_a},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] is None
    body = await gql("teacher_a", RECEIPT, {"a": ledger.martin, "m": "CASH", "n": None})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None or body["data"]["recordPayment"] is None


REVERSE = """
mutation($p: Int!) { reversePayment(paymentId: $p, reason: "Chèque impayé") {
  payment { kind reference reason reversesPaymentId } errors { field code } } }
"""
REFUND = """
mutation($a: Int!) { refundCredit(input: {accountId: $a, method: TRANSFER, amount: "50",
  paidOn: "2026-12-01", reason: "Trop-perçu"}) { payment { kind reason } errors { code } } }
"""
REVERSE_REDUCTION = """
mutation($r: Int!) { reverseReduction(reductionId: $r, reason: "Erreur de saisie") {
  reduction { amount reason reversesReductionId } errors { code } } }
"""


async def test_reasons_and_reversals_in_graphql(
    gql, sessionmaker, world: World, ledger: FamilyLedger
):
    body = await gql("bursar_a", RECEIPT, {"a": ledger.martin, "m": "CHEQUE", "n": "7654321"})
    cheque = body["data"]["recordPayment"]["payment"]["id"]
    reversal = (await gql("bursar_a", REVERSE, {"p": cheque}))["data"]["reversePayment"]
    assert reversal == {
        "payment": {
            "kind": "REVERSAL",
            "reference": "Chèque n° 7654321, BNP",
            "reason": "Chèque impayé",
            "reversesPaymentId": cheque,
        },
        "errors": [],
    }
    # Éloïse's 450,00 and 500,00 received: 50,00 of credit, refunded with its reason.
    await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(ledger.elan, PaymentMethod.CARD, D("500"), date(2026, 11, 2)),
    )
    refund = (await gql("bursar_a", REFUND, {"a": ledger.elan}))["data"]["refundCredit"]
    assert refund == {"payment": {"kind": "REFUND", "reason": "Trop-perçu"}, "errors": []}
    grace = await run(
        sessionmaker,
        world,
        "principal_a",
        grant_grace_reduction,
        GraceReductionInput(
            ledger.elan,
            world.students["eloise"],
            ledger.terms[0],
            ChargeKind.HALF_BOARD,
            D("20.00"),
            "Situation familiale",
        ),
    )
    body = await gql("principal_a", REVERSE_REDUCTION, {"r": grace.id})
    assert body["data"]["reverseReduction"] == {
        "reduction": {
            "amount": "-20.00",
            "reason": "Erreur de saisie",
            "reversesReductionId": grace.id,
        },
        "errors": [],
    }
    body = await gql("principal_a", REVERSE_REDUCTION, {"r": grace.id})
    assert body["data"]["reverseReduction"]["errors"] == [{"code": "ALREADY_REVERSED"}]
