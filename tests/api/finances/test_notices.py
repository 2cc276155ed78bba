"""The term's notices (avis aux familles): issued once per account and term with the figures
of the hand-computed ledger (tests/api/finances/term_ledger.py), frozen as issued, printed
one page per family; issuing again issues only the accounts without a notice."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from api.auth.principal import PermissionDenied
from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.notices import (
    issue_notices,
    notice_pdf,
    notices_to_issue,
    term_notices,
    term_notices_pdf,
)
from core.errors import NotFound, ValidationFailed
from db.audit import set_actor
from db.finances import Charge, ChargeKind, LedgerOrigin
from replication.snapshot import notice_lines
from tests.api.finances.term_ledger import first_term, second_term
from tests.world import uai


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


def _pages(content: bytes) -> list[str]:
    """Each page's text, its cells' line breaks read as spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def _figures(notice) -> tuple[Decimal, ...]:
    return (notice.charges, notice.reductions, notice.scholarships, notice.payments, notice.balance)


async def test_the_terms_notices_hold_the_hand_computed_figures(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    t1 = ledger.terms[0]
    assert await _run(sessionmaker, notices_to_issue, bursar, t1) == 2

    issue = await _run(sessionmaker, issue_notices, bursar, t1, due_on=date(2027, 1, 15))
    assert issue.already_issued == 0
    by_account = {n.account_id: n for n in issue.notices}
    # 180 + 450 = 630 charged; 30 remise d'ordre; 105 scholarship; 200 paid;
    # 630 − 30 − 105 − 200 = 295,00 due.
    assert _figures(by_account[ledger.mother]) == (
        Decimal("630.00"),
        Decimal("30.00"),
        Decimal("105.00"),
        Decimal("200.00"),
        Decimal("295.00"),
    )
    # 180 charged, 180 paid by card: 0,00.
    assert _figures(by_account[ledger.elan]) == (
        Decimal("180.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("180.00"),
        Decimal("0.00"),
    )
    lines = json.loads(by_account[ledger.mother].frozen_lines)
    assert lines["previous_balance"] == "0.00" and lines["balance"] == "295.00"
    assert lines["due_on"] == "2027-01-15"
    assert lines["payer"]["address"] == ["Mme Claire Martin", "12 rue de Paris", "93100 MONTREUIL"]
    lina, noah = lines["children"]
    assert lina["name"] == "Martin Lina" and lina["total"] == "180.00"
    assert [(c["kind"], c["basis"], c["amount"]) for c in lina["charges"]] == [
        ("half_board", "Forfait 1er trimestre", "180.00")
    ]
    # 450 − 30 − 105 = 315,00.
    assert noah["total"] == "315.00"
    assert [(r["kind"], r["reason"], r["amount"]) for r in noah["reductions"]] == [
        ("order", "Stage en entreprise du 9 au 20 novembre", "30.00")
    ]
    assert [s["amount"] for s in noah["scholarships"]] == ["105.00"]
    assert [(p["method"], p["reference"], p["amount"]) for p in lines["payments"]] == [
        ("cheque", "Chèque 1234567", "200.00")
    ]
    # The family's view, as the replication copies it: signed by the effect on what is owed.
    family = notice_lines(by_account[ledger.mother].frozen_lines)
    assert [(c["name"], c["total"]) for c in family["children"]] == [
        ("Martin Lina", "180.00"),
        ("Martin Noah", "315.00"),
    ]
    assert [line["amount"] for line in family["children"][1]["lines"]] == [
        "450.00",
        "-30.00",
        "-105.00",
    ]
    assert family["payments"] == [
        {
            "label": "Paiement (chèque) Chèque 1234567",
            "day": family["payments"][0]["day"],
            "amount": "-200.00",
        }
    ]
    assert await _run(sessionmaker, notices_to_issue, bursar, t1) == 0


async def test_the_previous_balance_carries_to_the_next_terms_notice(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    await second_term(world, sessionmaker, ledger)
    bursar = await world.principal(sessionmaker, "bursar_a")
    [notice] = (
        await _run(sessionmaker, issue_notices, bursar, ledger.terms[1], ledger.mother)
    ).notices
    # Charges 150 − 12,50 = 137,50; payments 100 received − 200 reversed = −100,00;
    # 295,00 carried + 137,50 + 100,00 = 532,50.
    assert _figures(notice) == (
        Decimal("137.50"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("-100.00"),
        Decimal("532.50"),
    )
    lines = json.loads(notice.frozen_lines)
    assert lines["previous_balance"] == "295.00"
    [lina] = lines["children"]
    # The adjustment recorded in T2 is about T1, and says so.
    assert [(c["concerns"], c["origin"], c["amount"]) for c in lina["charges"]] == [
        ("2e trimestre", "generation", "150.00"),
        ("1er trimestre", "adjustment", "-12.50"),
    ]
    pages = _pages((await _run(sessionmaker, notice_pdf, bursar, notice.id))[1])
    assert len(pages) == 1
    text = pages[0]
    for expected in (
        "Avis aux familles — 2e trimestre 2026-2027",
        "Solde des trimestres précédents 295,00 €",
        "Droits constatés du trimestre 137,50 €",
        "Paiements reçus 100,00 €",
        "Solde à payer 532,50 €",
        "Annulation de paiement (chèque)",
        "Chèque 1234567 impayé",
        "-12,50 €",
    ):
        assert expected in text, text


async def test_issued_once_then_only_the_accounts_without_a_notice(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    t1 = ledger.terms[0]
    await _run(sessionmaker, issue_notices, bursar, t1)
    with pytest.raises(ValidationFailed) as again:
        await _run(sessionmaker, issue_notices, bursar, t1)
    assert again.value.errors[0].field == "term_id"
    assert again.value.errors[0].code == "ALREADY_ISSUED"
    assert "1er trimestre" in again.value.errors[0].message
    with pytest.raises(ValidationFailed) as one:
        await _run(sessionmaker, issue_notices, bursar, t1, ledger.mother)
    assert (one.value.errors[0].field, one.value.errors[0].code) == ("account_id", "ALREADY_ISSUED")

    # A charge added after the issue: the issued notice does not move...
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, bursar.audit_actor(world.school_a))
        father = (await accounts_of(session, world.school_a, [world.guardians["father"]]))[
            world.guardians["father"]
        ].id
        for account, amount in ((ledger.mother, "40.00"), (father, "75.25")):
            session.add(
                Charge(
                    school_id=world.school_a,
                    term_id=t1,
                    concerns_term_id=t1,
                    account_id=account,
                    student_id=world.students["lina"],
                    kind=ChargeKind.HALF_BOARD,
                    origin=LedgerOrigin.MANUAL,
                    regime_code="2",
                    basis="Repas exceptionnels",
                    amount=Decimal(amount),
                    actor_label="tests",
                )
            )
    # ... and issuing again issues only the new account's.
    issue = await _run(sessionmaker, issue_notices, bursar, t1)
    assert issue.already_issued == 2
    assert [(n.account_id, n.balance) for n in issue.notices] == [(father, Decimal("75.25"))]
    notices = await _run(sessionmaker, term_notices, bursar, t1)
    mother = next(n for n in notices if n.account_id == ledger.mother)
    assert mother.balance == Decimal("295.00")
    assert "295,00 €" in _pages((await _run(sessionmaker, notice_pdf, bursar, mother.id))[1])[0]


async def test_the_batch_is_one_page_per_family_with_the_school_and_the_payer(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    await _run(sessionmaker, issue_notices, bursar, ledger.terms[0], due_on=date(2027, 1, 15))
    name, content = await _run(sessionmaker, term_notices_pdf, bursar, ledger.terms[0])
    assert name == f"avis_{uai('0930001')}_T1.pdf"
    pages = _pages(content)
    # By payer's name: Mme ÉLAN Sophie before Mme MARTIN Claire.
    assert len(pages) == 2
    elan, martin = pages
    for page in pages:
        assert "Collège Jean Moulin" in page and f"UAI {uai('0930001')}" in page
        assert "Avis aux familles — 1er trimestre 2026-2027" in page
    assert "Mme Sophie Élan" in elan and "Vous n'avez rien à payer" not in elan
    assert "Votre compte est soldé" in elan and "Solde 0,00 €" in elan
    for expected in (
        "Mme Claire Martin",
        "12 rue de Paris",
        "93100 MONTREUIL",
        "Martin Lina",
        "Martin Noah",
        "Demi-pension — 1er trimestre",
        "Forfait 1er trimestre",
        "Remise d'ordre — internat, 1er trimestre",
        "Stage en entreprise du 9 au 20 novembre",
        "Bourse — internat, 1er trimestre",
        "-105,00 €",
        "Paiement (chèque)",
        "Chèque 1234567",
        "Droits constatés du trimestre 630,00 €",
        "Remises -30,00 €",
        "Bourses déduites -105,00 €",
        "Paiements reçus -200,00 €",
        "Solde à payer 295,00 €",
        "15 janvier 2027",
        f"F{ledger.mother:07d}",
    ):
        assert expected in martin, expected


async def test_who_may_issue_and_read(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    t1 = ledger.terms[0]
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, issue_notices, teacher, t1)
    other = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(sessionmaker, issue_notices, other, t1)
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(ValidationFailed) as late:
        await _run(sessionmaker, issue_notices, principal, t1, due_on=date(2026, 11, 1))
    assert (late.value.errors[0].field, late.value.errors[0].code) == ("due_on", "OUT_OF_RANGE")
    with pytest.raises(ValidationFailed) as empty:
        await _run(sessionmaker, issue_notices, principal, ledger.terms[2])
    assert empty.value.errors[0].code == "NOTHING_RECORDED"
    with pytest.raises(ValidationFailed) as none:
        await _run(sessionmaker, term_notices_pdf, principal, t1)
    assert none.value.errors[0].code == "NO_NOTICE"
    issue = await _run(sessionmaker, issue_notices, principal, t1)
    with pytest.raises(NotFound):
        await _run(sessionmaker, notice_pdf, other, issue.notices[0].id)
