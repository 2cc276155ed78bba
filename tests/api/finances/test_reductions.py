"""Remises d'ordre (prorated by the school's rule, a minimum length, within a term; the
closure of a service for everyone at once), remises gracieuses (the principal's), their
reversal, and what a reduction does to a debt already paid."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.auth.principal import PermissionDenied
from api.resolvers.finances.payments import (
    PaymentMethod,
    ReceiptInput,
    account_credit,
    record_receipt,
)
from api.resolvers.finances.reductions import (
    GraceReductionInput,
    OrderMotive,
    OrderReductionInput,
    ServiceClosureInput,
    close_service,
    grant_grace_reduction,
    grant_order_reduction,
    reverse_reduction,
)
from api.resolvers.finances.statements import LineKind, account_statement
from api.resolvers.finances.terms import close_term
from core.errors import NotFound, ValidationFailed
from db.audit import AuditActor, set_actor
from db.finances import ChargeKind, PaymentAllocation, Reduction, ReductionKind
from db.reference import load_absence_references
from tests.api.finances.family_ledger import FamilyLedger, build_ledger, invariants, run
from tests.world import World


@pytest.fixture
async def ledger(sessionmaker, world: World) -> FamilyLedger:
    return await build_ledger(sessionmaker, world)


def _illness(ledger: FamilyLedger, world: World, first: date, last: date) -> OrderReductionInput:
    return OrderReductionInput(
        ledger.martin, world.students["noah"], OrderMotive.ILLNESS, first, last
    )


async def test_a_remise_d_ordre_is_prorated_over_the_absence(
    sessionmaker, world: World, ledger: FamilyLedger
):
    # Calendar days: T2 runs 1 January – 31 March 2027, 31 + 28 + 31 = 90 days; Noah is ill
    # 1–18 February, 18 days: 500,00 × 18 / 90 = 100,00.
    [reduction] = await run(
        sessionmaker,
        world,
        "bursar_a",
        grant_order_reduction,
        _illness(ledger, world, date(2027, 2, 1), date(2027, 2, 18)),
    )
    assert (reduction.amount, reduction.kind, reduction.motive, reduction.charge_kind) == (
        Decimal("100.00"),
        ReductionKind.ORDER,
        OrderMotive.ILLNESS,
        ChargeKind.BOARDING,
    )
    assert (reduction.term_id, reduction.concerns_term_id) == (ledger.terms[1], ledger.terms[1])
    assert reduction.reason == "Maladie du 01/02/2027 au 18/02/2027 : 18 jours sur 90"
    # Overlapping it again is refused.
    with pytest.raises(ValidationFailed) as failed:
        await run(
            sessionmaker,
            world,
            "bursar_a",
            grant_order_reduction,
            _illness(ledger, world, date(2027, 2, 10), date(2027, 3, 1)),
        )
    assert [(e.field, e.code) for e in failed.value.errors] == [("first_day", "OVERLAP")]


async def test_service_days_leave_out_weekends_and_the_zone_s_holidays(sessionmaker, world: World):
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    ledger = await build_ledger(sessionmaker, world, rule=None)
    # The defaults: service days, Monday to Friday, zone C (Créteil). T1, 1 September – 31
    # December 2026: 22 days in September, 12 in October before the Toussaint holidays
    # (17 October – 1 November), 20 in November (11 November off), 14 in December before
    # Christmas (19 December on): 68. Lina is absent 16–29 November (14 days): 10 service
    # days. 180,00 × 10 / 68 = 26,470… = 26,47.
    [reduction] = await run(
        sessionmaker,
        world,
        "bursar_a",
        grant_order_reduction,
        OrderReductionInput(
            ledger.martin,
            world.students["lina"],
            OrderMotive.WORK_PLACEMENT,
            date(2026, 11, 16),
            date(2026, 11, 29),
            comment="Stage en entreprise",
        ),
    )
    assert reduction.amount == Decimal("26.47")
    assert reduction.reason == (
        "Stage du 16/11/2026 au 29/11/2026 : 10 jours de service sur 68 — Stage en entreprise"
    )


async def test_an_absence_too_short_or_across_terms_is_refused_by_its_field(
    sessionmaker, world: World, ledger: FamilyLedger
):
    cases = [
        # 13 days, the school's minimum is 14.
        ((date(2027, 2, 1), date(2027, 2, 13)), ("last_day", "TOO_SHORT")),
        ((date(2027, 3, 20), date(2027, 4, 10)), ("last_day", "ACROSS_TERMS")),
        ((date(2027, 2, 13), date(2027, 2, 1)), ("last_day", "ORDER")),
        ((date(2025, 2, 1), date(2025, 2, 20)), ("first_day", "NO_TERM")),
    ]
    for (first, last), error in cases:
        with pytest.raises(ValidationFailed) as failed:
            await run(
                sessionmaker,
                world,
                "bursar_a",
                grant_order_reduction,
                _illness(ledger, world, first, last),
            )
        assert [(e.field, e.code) for e in failed.value.errors] == [error]
        if error[1] == "TOO_SHORT":
            assert "au moins 14 jours consécutifs" in failed.value.errors[0].message
    with pytest.raises(ValidationFailed) as failed:
        await run(
            sessionmaker,
            world,
            "bursar_a",
            grant_order_reduction,
            OrderReductionInput(
                ledger.martin,
                world.students["eloise"],
                OrderMotive.ILLNESS,
                date(2027, 2, 1),
                date(2027, 2, 18),
            ),
        )
    assert [(e.field, e.code) for e in failed.value.errors] == [("student_id", "NOT_CHARGED")]
    async with sessionmaker() as session:
        assert await session.scalar(select(Reduction.id)) is None


async def test_a_reduction_on_a_paid_debt_releases_the_excess_as_credit(
    sessionmaker, world: World, ledger: FamilyLedger
):
    # Éloïse's 450,00 paid in full.
    receipt = await run(
        sessionmaker,
        world,
        "bursar_a",
        record_receipt,
        ReceiptInput(ledger.elan, PaymentMethod.TRANSFER, Decimal("450"), date(2026, 11, 2)),
    )
    # Calendar days: T3 runs 1 April – 31 August 2027, 30 + 31 + 30 + 31 + 31 = 153 days;
    # 1–30 June, 30 days: 120,00 × 30 / 153 = 23,529… = 23,53.
    [reduction] = await run(
        sessionmaker,
        world,
        "bursar_a",
        grant_order_reduction,
        OrderReductionInput(
            ledger.elan,
            world.students["eloise"],
            OrderMotive.EXCLUSION,
            date(2027, 6, 1),
            date(2027, 6, 30),
        ),
    )
    assert reduction.amount == Decimal("23.53")
    async with sessionmaker() as session:
        released = (
            await session.scalars(
                select(PaymentAllocation.amount)
                .where(PaymentAllocation.payment_id == receipt.id)
                .order_by(PaymentAllocation.id.desc())
            )
        ).first()
        assert released == Decimal("-23.53")
        assert await account_credit(session, ledger.elan) == Decimal("23.53")
    await invariants(sessionmaker, ledger.elan)
    # Reversed, the remise makes the debt due again: the credit pays it back.
    reversal = await run(
        sessionmaker, world, "bursar_a", reverse_reduction, reduction.id, "Saisie erronée"
    )
    assert reversal.amount == Decimal("-23.53")
    assert (reversal.reason, reversal.reverses_reduction_id) == ("Saisie erronée", reduction.id)
    async with sessionmaker() as session:
        assert await account_credit(session, ledger.elan) == Decimal("0.00")
    await invariants(sessionmaker, ledger.elan)
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", reverse_reduction, reduction.id, "Encore")
    assert failed.value.errors[0].code == "ALREADY_REVERSED"
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "bursar_a", reverse_reduction, reversal.id, "Encore")
    assert failed.value.errors[0].code == "NOT_REVERSIBLE"
    # The statement names what was undone and why; the remise is no longer reversible.
    principal = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session:
        statement = await account_statement(session, principal, ledger.elan)
    lines = {line.entry_id: line for line in statement.lines if line.kind is LineKind.REDUCTION}
    assert lines[reversal.id].label == (
        "Annulation de la remise d'ordre du 02/12/2026 (demi-pension) : Saisie erronée"
    )
    assert (lines[reversal.id].debit, lines[reduction.id].reversible) == (Decimal("23.53"), False)
    # Even written around the command, a second reversal of the remise is refused by the
    # database (reverses_reduction_id is unique).
    async with sessionmaker() as session:
        with pytest.raises(IntegrityError):
            async with session.begin():
                set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
                twice = await session.get(Reduction, reversal.id)
                assert twice is not None
                session.add(
                    Reduction(
                        **{
                            column: getattr(twice, column)
                            for column in (
                                "school_id",
                                "term_id",
                                "concerns_term_id",
                                "account_id",
                                "student_id",
                                "charge_kind",
                                "kind",
                                "origin",
                                "amount",
                                "reason",
                                "reverses_reduction_id",
                                "actor_label",
                            )
                        }
                    )
                )


async def test_the_closure_of_a_service_reduces_everyone_charged_for_it(
    sessionmaker, world: World, ledger: FamilyLedger
):
    # The canteen closed 8–12 March 2027 (5 days, no minimum for a closure): Lina and Éloïse
    # (half-board) each 150,00 × 5 / 90 = 8,333… = 8,33; Noah (boarding) is not concerned.
    result = await run(
        sessionmaker,
        world,
        "bursar_a",
        close_service,
        ServiceClosureInput(
            world.school_a, date(2027, 3, 8), date(2027, 3, 12), ChargeKind.HALF_BOARD, "Travaux"
        ),
    )
    assert (result.reductions, result.students, result.total) == (2, 2, Decimal("16.66"))
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(Reduction.student_id, Reduction.amount, Reduction.motive).order_by(
                    Reduction.student_id
                )
            )
        ).all()
    assert sorted(rows) == sorted(
        [
            (world.students["lina"], Decimal("8.33"), OrderMotive.SERVICE_CLOSURE),
            (world.students["eloise"], Decimal("8.33"), OrderMotive.SERVICE_CLOSURE),
        ]
    )
    # Applied again over the same days, it finds everyone already reduced.
    again = await run(
        sessionmaker,
        world,
        "bursar_a",
        close_service,
        ServiceClosureInput(world.school_a, date(2027, 3, 8), date(2027, 3, 12)),
    )
    # Noah's board (both services closed this time): 500,00 × 5 / 90 = 27,78.
    assert (again.reductions, again.total) == (1, Decimal("27.78"))
    with pytest.raises(NotFound):
        await run(
            sessionmaker,
            world,
            "principal_b",
            close_service,
            ServiceClosureInput(world.school_a, date(2027, 3, 8), date(2027, 3, 12)),
        )


async def test_a_remise_gracieuse_is_the_principal_s_with_a_reason(
    sessionmaker, world: World, ledger: FamilyLedger
):
    t1 = ledger.terms[0]
    entry = GraceReductionInput(
        ledger.martin, world.students["lina"], t1, ChargeKind.HALF_BOARD, Decimal("30"), ""
    )
    with pytest.raises(PermissionDenied):
        await run(sessionmaker, world, "bursar_a", grant_grace_reduction, entry)
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "principal_a", grant_grace_reduction, entry)
    assert [e.field for e in failed.value.errors] == ["reason"]
    entry.reason, entry.amount = "Situation familiale", Decimal("180.01")
    with pytest.raises(ValidationFailed) as failed:
        await run(sessionmaker, world, "principal_a", grant_grace_reduction, entry)
    assert [(e.field, e.code) for e in failed.value.errors] == [("amount", "ABOVE_REMAINING")]
    entry.amount = Decimal("30")
    grace = await run(sessionmaker, world, "principal_a", grant_grace_reduction, entry)
    assert (grace.kind, grace.amount, grace.reason) == (
        ReductionKind.GRACE,
        Decimal("30.00"),
        "Situation familiale",
    )
    # What is left of Lina's T1 is 150,00: 150,01 is refused.
    entry.amount = Decimal("150.01")
    with pytest.raises(ValidationFailed):
        await run(sessionmaker, world, "principal_a", grant_grace_reduction, entry)
    # The bursar may reverse a remise d'ordre, not a remise gracieuse.
    with pytest.raises(PermissionDenied):
        await run(sessionmaker, world, "bursar_a", reverse_reduction, grace.id, "Erreur")
    with pytest.raises(NotFound):
        await run(sessionmaker, world, "principal_b", reverse_reduction, grace.id, "Erreur")
    await run(sessionmaker, world, "principal_a", reverse_reduction, grace.id, "Erreur")


async def test_a_remise_about_a_closed_term_is_recorded_in_the_next_open_one(
    sessionmaker, world: World, ledger: FamilyLedger, clock
):
    clock.advance(timedelta(days=40))  # 11 January 2027: T1 is over.
    await run(sessionmaker, world, "bursar_a", close_term, ledger.terms[0])
    # T1: 122 calendar days; 2–20 November, 19 days: 600,00 × 19 / 122 = 93,442… = 93,44.
    [reduction] = await run(
        sessionmaker,
        world,
        "bursar_a",
        grant_order_reduction,
        _illness(ledger, world, date(2026, 11, 2), date(2026, 11, 20)),
    )
    assert (reduction.amount, reduction.term_id, reduction.concerns_term_id) == (
        Decimal("93.44"),
        ledger.terms[1],
        ledger.terms[0],
    )
