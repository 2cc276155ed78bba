"""A hand-computed ledger for the notices, reminders and transfer tests: the rows that the
generation and the payments would write, written directly with the models.

School A, year 2026-2027, the default terms (T1 1 Sept.–31 Dec., T2 1 Jan.–31 Mar., T3 from
1 Apr.). Claire Martin pays for Lina and Noah, Sophie Élan for Éloïse.

T1, Claire Martin's account:
  Lina  half-board charge     180,00  (forfait 1er trimestre)
  Noah  boarding charge       450,00  (forfait 1er trimestre)
  Noah  remise d'ordre        −30,00  (stage en entreprise)
  Noah  scholarship          −105,00  (bourse échelon 2)
  receipt, cheque            −200,00
  -> charges 630,00, reductions 30,00, scholarships 105,00, payments 200,00,
     balance 630 − 30 − 105 − 200 = 295,00.
T1, Sophie Élan's account: Éloïse half-board 180,00, receipt by card 180,00 -> balance 0,00.

T2 (``second_term``), Claire Martin's account:
  Lina  half-board charge     150,00  (forfait 2e trimestre)
  Lina  adjustment of T1      −12,50  (régime changed, recorded in T2 about T1)
  receipt, transfer          −100,00
  reversal of the T1 cheque  +200,00  (returned unpaid)
  -> charges 137,50, payments 100 − 200 = −100,00, term net 137,50 + 100 = 237,50,
     previous balance 295,00, balance 532,50.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.terms import set_terms
from db.audit import set_actor
from db.finances import (
    Charge,
    ChargeKind,
    LedgerOrigin,
    OrderMotive,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    Reduction,
    ReductionKind,
)
from tests.world import World


@dataclass
class TermLedger:
    terms: list[int]
    mother: int
    elan: int
    cheque: int


def _charge(world, term, concerns, account, student, kind, amount, basis, origin=None, reason=None):
    return Charge(
        school_id=world.school_a,
        term_id=term,
        concerns_term_id=concerns,
        account_id=account,
        student_id=world.students[student],
        kind=kind,
        origin=origin or LedgerOrigin.GENERATION,
        regime_code="2" if kind is ChargeKind.HALF_BOARD else "3",
        basis=basis,
        amount=Decimal(amount),
        reason=reason,
        actor_label="tests",
    )


def _payment(world, term, account, kind, method, amount, day, reference=None, reverses=None):
    return Payment(
        school_id=world.school_a,
        term_id=term,
        account_id=account,
        kind=kind,
        method=method,
        amount=Decimal(amount),
        received_on=day,
        reference=reference,
        reverses_payment_id=reverses,
        actor_label="tests",
    )


async def first_term(world: World, sessionmaker) -> TermLedger:
    bursar = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session, session.begin():
        terms = await set_terms(session, bursar, world.school_a, world.year_id)
        set_actor(session.sync_session, bursar.audit_actor(world.school_a))
        accounts = await accounts_of(
            session, world.school_a, [world.guardians["mother"], world.guardians["elan"]]
        )
        mother, elan = accounts[world.guardians["mother"]].id, accounts[world.guardians["elan"]].id
        t1 = terms[0].id
        session.add_all(
            [
                _charge(
                    world,
                    t1,
                    t1,
                    mother,
                    "lina",
                    ChargeKind.HALF_BOARD,
                    "180.00",
                    "Forfait 1er trimestre",
                ),
                _charge(
                    world,
                    t1,
                    t1,
                    mother,
                    "noah",
                    ChargeKind.BOARDING,
                    "450.00",
                    "Forfait 1er trimestre",
                ),
                _charge(
                    world,
                    t1,
                    t1,
                    elan,
                    "eloise",
                    ChargeKind.HALF_BOARD,
                    "180.00",
                    "Forfait 1er trimestre",
                ),
                Reduction(
                    school_id=world.school_a,
                    term_id=t1,
                    concerns_term_id=t1,
                    account_id=mother,
                    student_id=world.students["noah"],
                    charge_kind=ChargeKind.BOARDING,
                    kind=ReductionKind.ORDER,
                    origin=LedgerOrigin.MANUAL,
                    motive=OrderMotive.WORK_PLACEMENT,
                    first_day=date(2026, 11, 9),
                    last_day=date(2026, 11, 20),
                    amount=Decimal("30.00"),
                    reason="Stage en entreprise du 9 au 20 novembre",
                    actor_label="tests",
                ),
                Reduction(
                    school_id=world.school_a,
                    term_id=t1,
                    concerns_term_id=t1,
                    account_id=mother,
                    student_id=world.students["noah"],
                    charge_kind=ChargeKind.BOARDING,
                    kind=ReductionKind.SCHOLARSHIP,
                    origin=LedgerOrigin.GENERATION,
                    amount=Decimal("105.00"),
                    reason="Bourse de collège, échelon 2",
                    actor_label="tests",
                ),
            ]
        )
        cheque = _payment(
            world,
            t1,
            mother,
            PaymentKind.RECEIPT,
            PaymentMethod.CHEQUE,
            "200.00",
            date(2026, 10, 5),
            "Chèque 1234567",
        )
        card = _payment(
            world, t1, elan, PaymentKind.RECEIPT, PaymentMethod.CARD, "180.00", date(2026, 10, 12)
        )
        session.add_all([cheque, card])
        await session.flush()
        session.add_all(
            [
                PaymentAllocation(
                    payment_id=cheque.id,
                    student_id=world.students["noah"],
                    term_id=t1,
                    kind=ChargeKind.BOARDING,
                    amount=Decimal("200.00"),
                ),
                PaymentAllocation(
                    payment_id=card.id,
                    student_id=world.students["eloise"],
                    term_id=t1,
                    kind=ChargeKind.HALF_BOARD,
                    amount=Decimal("180.00"),
                ),
            ]
        )
    return TermLedger([t.id for t in terms], mother, elan, cheque.id)


async def second_term(world: World, sessionmaker, ledger: TermLedger) -> None:
    bursar = await world.principal(sessionmaker, "bursar_a")
    t1, t2 = ledger.terms[0], ledger.terms[1]
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, bursar.audit_actor(world.school_a))
        session.add_all(
            [
                _charge(
                    world,
                    t2,
                    t2,
                    ledger.mother,
                    "lina",
                    ChargeKind.HALF_BOARD,
                    "150.00",
                    "Forfait 2e trimestre",
                ),
                _charge(
                    world,
                    t2,
                    t1,
                    ledger.mother,
                    "lina",
                    ChargeKind.HALF_BOARD,
                    "-12.50",
                    "Régime modifié au 1er décembre",
                    LedgerOrigin.ADJUSTMENT,
                    "Passage au régime DP 4 jours",
                ),
                _payment(
                    world,
                    t2,
                    ledger.mother,
                    PaymentKind.RECEIPT,
                    PaymentMethod.TRANSFER,
                    "100.00",
                    date(2027, 1, 15),
                    "VIR 2027-0042",
                ),
                _payment(
                    world,
                    t2,
                    ledger.mother,
                    PaymentKind.REVERSAL,
                    PaymentMethod.CHEQUE,
                    "200.00",
                    date(2027, 1, 20),
                    "Chèque 1234567 impayé",
                    reverses=ledger.cheque,
                ),
            ]
        )
