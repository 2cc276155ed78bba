"""Finance rows for the families' tests, written straight with the models (the charge
generation, payments and notices have their own tests): school A's terms, the accounts of
Claire Martin (Lina and Noah) and Sophie Élan (Éloïse) there, Paul Martin's account in school
B (Jade), their charges, a reduction, payments and the first term's notices.

Figures (by hand):
- Claire Martin, school A: Lina half-board 180,00 + Noah boarding 450,00 = 630,00 charged;
  remise gracieuse on Noah 30,00; cheque 200,00: balance 630,00 − 30,00 − 200,00 = 400,00.
- Sophie Élan, school A: Éloïse half-board 150,00; transfer 200,00: balance −50,00 (credit).
- Paul Martin, school B: Jade half-board 120,00: balance 120,00.

The notices' ``frozen_lines`` follow the shape ``replication.snapshot.notice_lines``
documents, with extra keys (ids) that must not reach the families' database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.terms import set_terms
from db.audit import AuditActor, set_actor
from db.finances import (
    Charge,
    ChargeGeneration,
    ChargeKind,
    FamilyNotice,
    FinanceTerm,
    LedgerOrigin,
    Payment,
    PaymentKind,
    PaymentMethod,
    Reduction,
    ReductionKind,
)

BURSAR = AuditActor(kind="system", id=None, label="Gestionnaire (tests)")


@dataclass
class FinanceRows:
    # Terms of school A by rank, and school B's first.
    terms_a: dict[int, int] = field(default_factory=dict)
    term_b: int = 0
    # Accounts by guardian key ("mother", "elan", "father").
    accounts: dict[str, int] = field(default_factory=dict)
    notices: dict[str, int] = field(default_factory=dict)


def mother_lines(world) -> str:
    return json.dumps(
        {
            "family": {
                "children": [
                    {
                        "student_id": world.students["lina"],
                        "name": "Lina Martin",
                        "lines": [
                            {
                                "kind": "charge",
                                "label": "Demi-pension, 1er trimestre",
                                "detail": "48 jours sur 60",
                                "amount": "180.00",
                                "tariff_id": 77,
                            }
                        ],
                        "total": "180.00",
                    },
                    {
                        "student_id": world.students["noah"],
                        "name": "Noah Martin",
                        "lines": [
                            {"label": "Internat, 1er trimestre", "amount": "450.00"},
                            {
                                "label": "Remise gracieuse",
                                "detail": "Décision du chef d'établissement",
                                "amount": "-30.00",
                            },
                        ],
                        "total": "420.00",
                    },
                ],
                "payments": [{"label": "Chèque n° 1234", "day": "2026-10-05", "amount": "-200.00"}],
            },
            "internal": {"generation_id": 1},
        }
    )


async def write_finance_rows(sessionmaker, world) -> FinanceRows:
    rows = FinanceRows()
    principal_a = await world.principal(sessionmaker, "principal_a")
    principal_b = await world.principal(sessionmaker, "principal_b")
    async with sessionmaker() as session, session.begin():
        for made in await set_terms(session, principal_a, world.school_a, world.year_id):
            rows.terms_a[made.rank] = made.id
        rows.term_b = (await set_terms(session, principal_b, world.school_b, world.year_id))[0].id
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, BURSAR)
        in_a = await accounts_of(
            session, world.school_a, [world.guardians["mother"], world.guardians["elan"]]
        )
        in_b = await accounts_of(session, world.school_b, [world.guardians["father"]])
        rows.accounts = {
            "mother": in_a[world.guardians["mother"]].id,
            "elan": in_a[world.guardians["elan"]].id,
            "father": in_b[world.guardians["father"]].id,
        }
        term = rows.terms_a[1]
        generation_a = ChargeGeneration(
            school_id=world.school_a,
            term_id=term,
            actor_label=BURSAR.label,
            lines=3,
            total=Decimal("780.00"),
        )
        generation_b = ChargeGeneration(
            school_id=world.school_b,
            term_id=rows.term_b,
            actor_label=BURSAR.label,
            lines=1,
            total=Decimal("120.00"),
        )
        session.add_all([generation_a, generation_b])
        await session.flush()
        for account, student, kind, amount, school, term_id, generation in (
            ("mother", "lina", ChargeKind.HALF_BOARD, "180.00", world.school_a, term, generation_a),
            ("mother", "noah", ChargeKind.BOARDING, "450.00", world.school_a, term, generation_a),
            ("elan", "eloise", ChargeKind.HALF_BOARD, "150.00", world.school_a, term, generation_a),
            ("father", "jade", ChargeKind.HALF_BOARD, "120.00", world.school_b, rows.term_b,
             generation_b),
        ):  # fmt: skip
            session.add(
                charge(
                    world,
                    school,
                    term_id,
                    rows.accounts[account],
                    student,
                    kind,
                    Decimal(amount),
                    generation.id,
                )
            )
        session.add(
            Reduction(
                school_id=world.school_a,
                term_id=term,
                concerns_term_id=term,
                account_id=rows.accounts["mother"],
                student_id=world.students["noah"],
                charge_kind=ChargeKind.BOARDING,
                kind=ReductionKind.GRACE,
                origin=LedgerOrigin.MANUAL,
                amount=Decimal("30.00"),
                reason="Décision du chef d'établissement",
                actor_label=BURSAR.label,
            )
        )
        for account, method, amount in (
            ("mother", PaymentMethod.CHEQUE, "200.00"),
            ("elan", PaymentMethod.TRANSFER, "200.00"),
        ):
            session.add(payment(world.school_a, term, rows.accounts[account], method, amount))
        await session.flush()
        for key, charges, reductions, payments, balance, lines in (
            ("mother", "630.00", "30.00", "200.00", "400.00", mother_lines(world)),
            ("elan", "150.00", "0.00", "200.00", "-50.00", json.dumps({"children": []})),
        ):
            found = notice(world.school_a, term, rows.accounts[key], charges, reductions)
            found.payments, found.balance = Decimal(payments), Decimal(balance)
            found.frozen_lines = lines
            session.add(found)
            await session.flush()
            rows.notices[key] = found.id
    return rows


def charge(
    world,
    school_id: int,
    term_id: int,
    account_id: int,
    student: str,
    kind: ChargeKind,
    amount: Decimal,
    generation_id: int | None,
) -> Charge:
    return Charge(
        school_id=school_id,
        term_id=term_id,
        concerns_term_id=term_id,
        account_id=account_id,
        student_id=world.students[student],
        enrollment_id=world.enrollments[student],
        kind=kind,
        origin=LedgerOrigin.GENERATION if generation_id else LedgerOrigin.MANUAL,
        regime_code="2" if kind == ChargeKind.HALF_BOARD else "3",
        basis="forfait",
        amount=amount,
        generation_id=generation_id,
        reason=None if generation_id else "Correction à la main",
        actor_label=BURSAR.label,
    )


def payment(
    school_id: int, term_id: int, account_id: int, method: PaymentMethod, amount: str
) -> Payment:
    return Payment(
        school_id=school_id,
        term_id=term_id,
        account_id=account_id,
        kind=PaymentKind.RECEIPT,
        method=method,
        amount=Decimal(amount),
        received_on=date(2026, 10, 5),
        actor_label=BURSAR.label,
    )


def notice(
    school_id: int, term_id: int, account_id: int, charges: str, reductions: str
) -> FamilyNotice:
    return FamilyNotice(
        school_id=school_id,
        term_id=term_id,
        account_id=account_id,
        charges=Decimal(charges),
        reductions=Decimal(reductions),
        scholarships=Decimal("0.00"),
        payments=Decimal("0.00"),
        balance=Decimal("0.00"),
        frozen_lines="{}",
        actor_label=BURSAR.label,
    )


async def term_label(sessionmaker, term_id: int) -> str:
    async with sessionmaker() as session:
        return str(await session.scalar(select(FinanceTerm.label).where(FinanceTerm.id == term_id)))
