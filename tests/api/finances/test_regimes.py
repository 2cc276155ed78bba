"""Régime periods: an enrolment's days of a term cut where its régime changes, and a change
recorded from a day (hébergement croisé naming its host school)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from api.resolvers.enrollments import change_regime
from api.resolvers.finances.charges import apply_charges, charge_preview
from api.resolvers.finances.regimes import RegimePiece, pieces_in_term, record_regime_change
from api.resolvers.finances.regimes import regime_periods as periods_of
from core.clock import SetClock
from core.errors import NotFound, ValidationFailed
from db.enrollments import Enrollment, Regime
from db.finances import Charge, ChargeKind
from tests.api.finances.charges_world import add_student, read, run, school_terms, tariffs
from tests.world import World

SEP_1, SEP_30 = date(2026, 9, 1), date(2026, 9, 30)


def test_an_enrolment_without_change_is_one_piece_within_the_term() -> None:
    assert pieces_in_term(date(2026, 8, 20), None, "2", [], SEP_1, SEP_30) == [
        RegimePiece(SEP_1, SEP_30, "2", None)
    ]
    # Arriving on the 14th, leaving after the 25th.
    assert pieces_in_term(date(2026, 9, 14), date(2026, 9, 25), "2", [], SEP_1, SEP_30) == [
        RegimePiece(date(2026, 9, 14), date(2026, 9, 25), "2", None)
    ]
    # Gone before the term, or arriving after it.
    assert pieces_in_term(date(2026, 6, 1), date(2026, 8, 31), "2", [], SEP_1, SEP_30) == []
    assert pieces_in_term(date(2026, 10, 1), None, "2", [], SEP_1, SEP_30) == []


def test_changes_cut_the_term() -> None:
    periods = [
        (date(2026, 9, 21), "3", None),
        (date(2026, 6, 1), "24", None),
        (date(2026, 10, 5), "0", None),
        (date(2026, 9, 28), "5", 7),
    ]
    assert pieces_in_term(date(2026, 6, 1), None, "2", periods, SEP_1, SEP_30) == [
        # In force on the 1st: the period of June, not the enrolment's own régime.
        RegimePiece(SEP_1, date(2026, 9, 20), "24", None),
        RegimePiece(date(2026, 9, 21), date(2026, 9, 27), "3", None),
        RegimePiece(date(2026, 9, 28), SEP_30, "5", 7),
    ]
    # A change on the first day of the term: one piece.
    assert pieces_in_term(date(2026, 9, 1), None, "2", [(SEP_1, "3", None)], SEP_1, SEP_30) == [
        RegimePiece(SEP_1, SEP_30, "3", None)
    ]


async def test_a_change_of_the_past_moves_the_enrolment(sessionmaker, world: World) -> None:
    lina = world.enrollments["lina"]
    await run(sessionmaker, world, "bursar_a", record_regime_change, lina, date(2026, 11, 2), "3")
    async with sessionmaker() as session:
        enrollment = await session.get(Enrollment, lina)
        assert enrollment is not None
        assert (enrollment.regime, enrollment.regime_code) == (Regime.INTERNE, "3")
    # Its régime before the change is kept from the entry on.
    listed = await read(sessionmaker, world, "bursar_a", periods_of, lina)
    assert [(p.effective_on, p.regime_code) for p in listed] == [
        (date(2026, 9, 1), "2"),
        (date(2026, 11, 2), "3"),
    ]
    # Announced for January: recorded, the enrolment stays interne until then.
    await run(sessionmaker, world, "bursar_a", record_regime_change, lina, date(2027, 1, 4), "24")
    async with sessionmaker() as session:
        enrollment = await session.scalar(select(Enrollment).where(Enrollment.id == lina))
        assert enrollment is not None
        assert enrollment.regime_code == "3"
    # Recorded again the same day: replaced.
    await run(sessionmaker, world, "bursar_a", record_regime_change, lina, date(2027, 1, 4), "25")
    listed = await read(sessionmaker, world, "bursar_a", periods_of, lina)
    assert [p.regime_code for p in listed] == ["2", "3", "25"]


async def test_hosting_names_another_school_of_the_academy(sessionmaker, world: World) -> None:
    lina = world.enrollments["lina"]

    async def refused(*args: object) -> list[tuple[str, str]]:
        with pytest.raises(ValidationFailed) as failed:
            await run(sessionmaker, world, "bursar_a", record_regime_change, lina, *args)
        return [(e.field, e.code) for e in failed.value.errors]

    assert await refused(date(2026, 10, 1), "5") == [("host_school_id", "REQUIRED")]
    assert await refused(date(2026, 10, 1), "5", world.school_a) == [
        ("host_school_id", "NOT_FOUND")
    ]
    assert await refused(date(2026, 10, 1), "77") == [("regime_code", "UNKNOWN")]
    assert await refused(date(2026, 8, 1), "2") == [("effective_on", "OUTSIDE_ENROLLMENT")]
    period = await run(
        sessionmaker,
        world,
        "bursar_a",
        record_regime_change,
        lina,
        date(2026, 10, 1),
        "5",
        world.school_b,
    )
    assert (period.regime_code, period.host_school_id) == ("5", world.school_b)


async def test_out_of_reach(sessionmaker, world: World) -> None:
    with pytest.raises(NotFound):
        await run(
            sessionmaker,
            world,
            "principal_b",
            record_regime_change,
            world.enrollments["lina"],
            date(2026, 10, 1),
            "3",
        )
    with pytest.raises(Exception) as denied:
        await read(sessionmaker, world, "teacher_a", periods_of, world.enrollments["lina"])
    assert type(denied.value).__name__ == "PermissionDenied"


async def test_the_registrar_s_change_is_prorated_at_the_next_generation(
    sessionmaker, world: World, clock: SetClock
) -> None:
    """Tom, half-boarder, becomes a boarder at the registrar's desk on Monday 21 September:
    the change holds from that day, and September's charges prorate both régimes."""
    terms = await school_terms(sessionmaker, world)
    await tariffs(
        sessionmaker, world, terms, {"2": ("flat_term", "220,00"), "3": ("flat_term", "660,00")}
    )
    await add_student(sessionmaker, world, "tom", born=date(2014, 1, 1), payer="tom_parent")
    tom = world.enrollments["tom"]
    # From Wednesday 2 December back to Monday 21 September.
    clock.advance(-(date(2026, 12, 2) - date(2026, 9, 21)))
    await run(sessionmaker, world, "registrar_a", change_regime, tom, "interne")
    # Chosen again: no change, no period.
    await run(sessionmaker, world, "registrar_a", change_regime, tom, "interne")
    listed = await read(sessionmaker, world, "bursar_a", periods_of, tom)
    registrar = (await world.principal(sessionmaker, "registrar_a")).label
    assert [(p.effective_on, p.regime_code, p.actor_label) for p in listed] == [
        (date(2026, 9, 1), "2", registrar),
        (date(2026, 9, 21), "3", registrar),
    ]
    async with sessionmaker() as session:
        enrollment = await session.get(Enrollment, tom)
        assert enrollment is not None
        assert (enrollment.regime, enrollment.regime_code) == (Regime.INTERNE, "3")
    clock.advance(date(2026, 12, 2) - date(2026, 9, 21))
    preview = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
    lines = {
        line.kind: (line.expected, line.basis)
        for line in preview.lines
        if line.student_id == world.students["tom"]
    }
    assert lines == {
        # DP 1–18 September: 14 service days of 22, 220,00 × 14 / 22 = 140,00.
        ChargeKind.HALF_BOARD: (Decimal("140.00"), "14 jours de service sur 22"),
        # Interne 21–30 September: 8 service days of 22, 660,00 × 8 / 22 = 240,00.
        ChargeKind.BOARDING: (Decimal("240.00"), "8 jours de service sur 22"),
    }
    await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    async with sessionmaker() as session:
        written = (
            await session.execute(
                select(Charge.kind, Charge.regime_code, Charge.amount).where(
                    Charge.student_id == world.students["tom"]
                )
            )
        ).all()
    assert sorted(written) == sorted(
        [
            (ChargeKind.HALF_BOARD, "2", Decimal("140.00")),
            (ChargeKind.BOARDING, "3", Decimal("240.00")),
        ]
    )


async def test_the_registrar_s_change_before_the_entry_is_the_own_regime(
    sessionmaker, world: World
) -> None:
    """An enrolment beginning after today: the new régime holds from its entry, and the
    enrolment takes it at once."""
    await add_student(sessionmaker, world, "ines", born=date(2014, 1, 1), entry=date(2027, 1, 4))
    ines = world.enrollments["ines"]
    await run(sessionmaker, world, "registrar_a", change_regime, ines, "externe")
    listed = await read(sessionmaker, world, "bursar_a", periods_of, ines)
    assert [(p.effective_on, p.regime_code) for p in listed] == [(date(2027, 1, 4), "0")]
    async with sessionmaker() as session:
        enrollment = await session.get(Enrollment, ines)
        assert enrollment is not None
        assert (enrollment.regime, enrollment.regime_code) == (Regime.EXTERNE, "0")
