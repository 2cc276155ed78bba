"""The remise de principe: the rates of decree 63-629 by the family's count and the
children's ranks, and who counts (public schools of the académie, half-boarders and
boarders, not the ticket, the children declared elsewhere)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from api.resolvers.finances.charges import apply_charges, charge_preview
from api.resolvers.finances.principle import principle_rates
from api.resolvers.finances.regimes import record_regime_change
from db.enrollments import Regime
from db.finances import Reduction
from db.schools import School, SchoolSector
from tests.api.finances.charges_world import add_student, read, run, school_terms, tariffs
from tests.world import World

D = Decimal


def _born(year: int, student_id: int) -> tuple[date, int]:
    return (date(year, 1, 1), student_id)


def test_rates_by_the_family_count() -> None:
    assert principle_rates([_born(2010, 1), _born(2011, 2)]) == {}
    assert principle_rates([_born(2010, 1), _born(2011, 2), _born(2012, 3)]) == {
        1: D(20),
        2: D(20),
        3: D(20),
    }
    assert set(principle_rates([_born(2010 + n, n) for n in range(4)]).values()) == {D(30)}
    assert set(principle_rates([_born(2010 + n, n) for n in range(5)]).values()) == {D(40)}


def test_from_six_children_the_youngest_are_free() -> None:
    # Ranked by birth date, eldest first: the sixth and seventh are free.
    rates = principle_rates([_born(2003 + n, 10 + n) for n in (6, 0, 3, 1, 5, 2, 4)])
    assert rates == {10: D(40), 11: D(40), 12: D(40), 13: D(40), 14: D(40), 15: D(100), 16: D(100)}


def test_children_declared_elsewhere_count_and_take_the_first_ranks() -> None:
    assert principle_rates([_born(2010, 1), _born(2011, 2)], 1) == {1: D(20), 2: D(20)}
    # Three elsewhere take ranks 1-3: ours are 4th, 5th (40 %) and 6th (free).
    assert principle_rates([_born(2012, 3), _born(2010, 1), _born(2011, 2)], 3) == {
        1: D(40),
        2: D(40),
        3: D(100),
    }


async def test_who_counts_in_the_family(sessionmaker, world: World) -> None:
    """Lina and Noah (A) with their mother's children: one in a private school, one
    externe, one at the ticket count for nothing; a half-boarder of school B counts."""
    terms = await school_terms(sessionmaker, world)
    await tariffs(sessionmaker, world, terms, {"2": ("flat_term", "220,00")})
    await add_student(
        sessionmaker, world, "ext", born=date(2011, 1, 1), regime=Regime.EXTERNE, payer="mother"
    )
    await add_student(
        sessionmaker, world, "tick", born=date(2011, 2, 1), regime_code="29", payer="mother"
    )
    await add_student(
        sessionmaker,
        world,
        "priv",
        born=date(2011, 3, 1),
        school_id=world.school_b,
        payer="mother",
    )
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(School)
            .where(School.id == world.school_b)
            .values(sector=SchoolSector.PRIVATE_UNDER_CONTRACT)
        )
    preview = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
    assert {line.principle_rate for line in preview.lines} == {None}
    # School B public again: three children, 20 % each for Lina and Noah.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(School).where(School.id == world.school_b).values(sector=SchoolSector.PUBLIC)
        )
    preview = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
    rates = {line.student_id: line.principle_rate for line in preview.lines}
    assert rates[world.students["lina"]] == rates[world.students["noah"]] == D(20)
    assert rates[world.students["eloise"]] is None
    await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])

    # The child of B becomes externe from the term's first day: the family has two
    # children left; the remise is taken back by a negative row saying why.
    await run(
        sessionmaker,
        world,
        "principal_b",
        record_regime_change,
        world.enrollments["priv"],
        date(2026, 9, 1),
        "0",
        school=world.school_b,
    )
    applied = await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    assert (applied.charges, applied.reductions) == (0, 2)
    # Each: 220,00 × 20 % = 44,00 granted, then −44,00.
    async with sessionmaker() as session:
        rows = (await session.scalars(select(Reduction).order_by(Reduction.id))).all()
    assert [r.amount for r in rows] == [D("44.00"), D("44.00"), D("-44.00"), D("-44.00")]
    assert rows[-1].rate is None
    assert rows[-1].reason.startswith("Remise de principe retirée")
    assert rows[0].reason == "Remise de principe de 20 % (3 enfants demi-pensionnaires ou internes)"
