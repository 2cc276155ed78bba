"""The term's transfer to the accounting software: the CSV file of the hand-computed ledger
(tests/api/finances/term_ledger.py) line by line, its control totals to the cent, sent once
(even when two bursars send at once), only once the term is closed, downloaded again byte
for byte."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from api.auth.principal import PermissionDenied
from api.resolvers.finances.charge_transfers import (
    charge_transfer,
    transfer_file,
    transfer_preview,
    transfer_term,
)
from api.resolvers.finances.terms import close_term
from core.errors import NotFound, ValidationFailed
from db.audit import set_actor
from db.finances import Payment, PaymentKind, PaymentMethod
from tests.api.finances.term_ledger import first_term, second_term
from tests.world import uai

HEADER = (
    "type;date;compte;payeur;eleve;nature;service;trimestre_concerne;montant;mode_paiement;"
    "piece;reference"
)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter=";"))


async def _closed_first_term(world, sessionmaker, clock):
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    # 2 December 2026 + 34 days: 5 January 2027, the first term is over.
    clock.advance(timedelta(days=34))
    await _run(sessionmaker, close_term, bursar, ledger.terms[0])
    return ledger, bursar


async def test_the_first_terms_file_and_its_control_totals(world, sessionmaker, clock):
    ledger, bursar = await _closed_first_term(world, sessionmaker, clock)
    t1 = ledger.terms[0]
    preview = await _run(sessionmaker, transfer_preview, bursar, t1)
    # Charges 180 + 450 + 180 = 810,00; reductions 30 + 105 = 135,00; receipts 200 + 180
    # = 380,00; net 810 − 135 − 380 = 295,00.
    assert [(t.record_type, t.count, t.total) for t in preview.totals] == [
        ("DROIT", 3, Decimal("810.00")),
        ("REMISE", 2, Decimal("135.00")),
        ("ENCAISSEMENT", 2, Decimal("380.00")),
        ("REMBOURSEMENT", 0, Decimal("0.00")),
        ("ANNULATION", 0, Decimal("0.00")),
    ]
    assert (preview.net, preview.lines, preview.closed, preview.transfer_id) == (
        Decimal("295.00"),
        7,
        True,
        None,
    )

    transfer = await _run(sessionmaker, transfer_term, bursar, t1)
    assert transfer.file_name == f"transfert_creances_{uai('0930001')}_2026_T1.csv"
    assert (transfer.lines, transfer.total_charges, transfer.total_reductions) == (
        7,
        Decimal("810.00"),
        Decimal("135.00"),
    )
    assert transfer.total_payments == Decimal("380.00")
    name, content = await _run(sessionmaker, transfer_file, bursar, transfer.id)
    assert name == transfer.file_name
    assert content.decode("utf-8").split("\r\n")[0] == HEADER
    mother, elan = f"F{ledger.mother:07d}", f"F{ledger.elan:07d}"
    rows = _rows(content)
    data = [row[:2] + row[2:11] + row[11:] for row in rows[1:]]
    today = "2027-01-05"
    assert [row[0] for row in data] == ["DROIT"] * 3 + ["REMISE"] * 2 + ["ENCAISSEMENT"] * 2 + [
        "TOTAL"
    ] * 6
    expected = [
        ["DROIT", mother, "MARTIN Claire", "MARTIN Lina", "CONSTATE", "DEMI_PENSION",
         "2026-2027 T1", "180.00", ""],
        ["DROIT", mother, "MARTIN Claire", "MARTIN Noah", "CONSTATE", "INTERNAT",
         "2026-2027 T1", "450.00", ""],
        ["DROIT", elan, "ÉLAN Sophie", "ÉLAN Éloïse", "CONSTATE", "DEMI_PENSION",
         "2026-2027 T1", "180.00", ""],
        ["REMISE", mother, "MARTIN Claire", "MARTIN Noah", "REMISE_ORDRE", "INTERNAT",
         "2026-2027 T1", "30.00", ""],
        ["REMISE", mother, "MARTIN Claire", "MARTIN Noah", "BOURSE", "INTERNAT",
         "2026-2027 T1", "105.00", ""],
        ["ENCAISSEMENT", mother, "MARTIN Claire", "", "", "", "", "200.00", "CHEQUE"],
        ["ENCAISSEMENT", elan, "ÉLAN Sophie", "", "", "", "", "180.00", "CARTE"],
    ]  # fmt: skip
    assert [[row[0], *row[2:10]] for row in data[:7]] == expected
    assert [row[11] for row in data[5:7]] == ["Chèque 1234567", ""]
    assert [row[1] for row in data[5:7]] == ["2026-10-05", "2026-10-12"]
    assert all(row[10][0] in "CRP" and row[10][1:].isdigit() for row in data[:7])
    assert [(row[1], row[5], row[8], row[11]) for row in data[7:]] == [
        (today, "DROIT", "810.00", "3"),
        (today, "REMISE", "135.00", "2"),
        (today, "ENCAISSEMENT", "380.00", "2"),
        (today, "REMBOURSEMENT", "0.00", "0"),
        (today, "ANNULATION", "0.00", "0"),
        (today, "SOLDE_NET", "295.00", "7"),
    ]

    # Sent once; downloaded again, the same bytes, even another day.
    with pytest.raises(ValidationFailed) as again:
        await _run(sessionmaker, transfer_term, bursar, t1)
    error = again.value.errors[0]
    assert (error.field, error.code) == ("term_id", "ALREADY_TRANSFERRED")
    assert "1er trimestre 2026-2027" in error.message and "05/01/2027" in error.message
    clock.advance(timedelta(days=3))
    assert (await _run(sessionmaker, transfer_file, bursar, transfer.id))[1] == content
    stored = await _run(sessionmaker, charge_transfer, bursar, t1)
    assert stored is not None and stored.file_text.encode("utf-8") == content
    shown = await _run(sessionmaker, transfer_preview, bursar, t1)
    assert shown.transfer_id == transfer.id and shown.transferred_by == transfer.actor_label


async def test_refunds_and_reversals_raise_the_net(world, sessionmaker, clock):
    ledger, bursar = await _closed_first_term(world, sessionmaker, clock)
    await second_term(world, sessionmaker, ledger)
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, bursar.audit_actor(world.school_a))
        session.add(
            Payment(
                school_id=world.school_a,
                term_id=ledger.terms[1],
                account_id=ledger.elan,
                kind=PaymentKind.REFUND,
                method=PaymentMethod.TRANSFER,
                amount=Decimal("15.00"),
                received_on=date(2027, 2, 1),
                reference="Remboursement trop-perçu",
                actor_label="tests",
            )
        )
    # 2027-01-05 + 86 days: 1 April 2027, the second term is over.
    clock.advance(timedelta(days=86))
    await _run(sessionmaker, close_term, bursar, ledger.terms[1])
    transfer = await _run(sessionmaker, transfer_term, bursar, ledger.terms[1])
    rows = _rows((await _run(sessionmaker, transfer_file, bursar, transfer.id))[1])
    # Charges 150 − 12,50 = 137,50 (the adjustment is about T1); receipts 100; refunds 15;
    # reversals 200: net 137,50 − 0 − 100 + 15 + 200 = 252,50.
    assert [(row[5], row[8], row[11]) for row in rows if row[0] == "TOTAL"] == [
        ("DROIT", "137.50", "2"),
        ("REMISE", "0.00", "0"),
        ("ENCAISSEMENT", "100.00", "1"),
        ("REMBOURSEMENT", "15.00", "1"),
        ("ANNULATION", "200.00", "1"),
        ("SOLDE_NET", "252.50", "5"),
    ]
    adjustment = next(row for row in rows if row[5] == "REGULARISATION")
    assert (adjustment[7], adjustment[8]) == ("2026-2027 T1", "-12.50")
    # Receipts less refunds and reversals: 100 − 15 − 200 = −115,00.
    assert transfer.total_payments == Decimal("-115.00")


async def test_an_open_term_is_not_transferred(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, transfer_term, bursar, ledger.terms[0])
    error = refused.value.errors[0]
    assert (error.field, error.code) == ("term_id", "TERM_OPEN")
    assert "Le 1er trimestre 2026-2027 n'est pas clos" in error.message
    assert await _run(sessionmaker, charge_transfer, bursar, ledger.terms[0]) is None


async def test_two_sends_at_once_make_one_transfer(world, sessionmaker, clock):
    ledger, bursar = await _closed_first_term(world, sessionmaker, clock)
    principal = await world.principal(sessionmaker, "principal_a")
    t1 = ledger.terms[0]
    async with sessionmaker() as first, sessionmaker() as second:
        await first.begin()
        sent = await transfer_term(first, bursar, t1)
        await second.begin()
        # The second send passes the check (the first is not committed) and waits on the
        # unique index until the first commits: the constraint refuses it.
        racing = asyncio.create_task(transfer_term(second, principal, t1))
        await asyncio.sleep(0.5)
        await first.commit()
        with pytest.raises(ValidationFailed) as refused:
            await racing
        await second.rollback()
    assert refused.value.errors[0].code == "ALREADY_TRANSFERRED"
    # Refused by the database's constraint, not by the check before the insert.
    assert "1er trimestre 2026-2027 vient d'être envoyé" in refused.value.errors[0].message
    stored = await _run(sessionmaker, charge_transfer, bursar, t1)
    assert stored is not None and stored.id == sent.id


async def test_who_may_transfer(world, sessionmaker, clock):
    ledger, bursar = await _closed_first_term(world, sessionmaker, clock)
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, transfer_term, teacher, ledger.terms[0])
    other = await world.principal(sessionmaker, "principal_b")
    for fn in (transfer_term, transfer_preview, charge_transfer):
        with pytest.raises(NotFound):
            await _run(sessionmaker, fn, other, ledger.terms[0])
    transfer = await _run(sessionmaker, transfer_term, bursar, ledger.terms[0])
    with pytest.raises(NotFound):
        await _run(sessionmaker, transfer_file, other, transfer.id)
