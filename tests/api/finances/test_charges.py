"""A term's charges: the hand-computed scenario of September 2026 in school A (22 service
days, DP 220,00 € and interne 660,00 € per term, DP 4 jours 4,00 € a meal), applied,
regenerated after changes, corrected once the term is closed; the number of statements does
not grow with the students."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from api.resolvers.enrollments import record_departure
from api.resolvers.finances.charges import apply_charges, charge_preview
from api.resolvers.finances.regimes import record_regime_change
from api.resolvers.finances.terms import close_term, set_terms
from core.errors import NotFound, ValidationFailed
from db.enrollments import Regime
from db.finances import Charge, ChargeGeneration, ChargeKind, LedgerOrigin, Reduction
from tests.api.finances.charges_world import (
    TERMS,
    add_student,
    read,
    run,
    school_terms,
    set_children_elsewhere,
    tariffs,
)
from tests.world import World

HB, BO = ChargeKind.HALF_BOARD, ChargeKind.BOARDING
TARIFFS = {
    "2": ("flat_term", "220,00"),
    "3": ("flat_term", "660,00"),
    "24": ("per_meal", "4,00"),
}


async def scenario(sessionmaker, world: World) -> list[int]:
    """School A's September: the world's Lina, Noah and Éloïse (DP, payer their mother for
    the first two) and Jade (school B, fed by A), plus the students below."""
    terms = await school_terms(sessionmaker, world)
    await tariffs(sessionmaker, world, terms, TARIFFS)
    # Noah arrives on Monday 14 September; Éloïse leaves after Friday 18 September.
    await _dates(sessionmaker, world, "noah", entry=date(2026, 9, 14))
    await _dates(sessionmaker, world, "eloise", exit_date=date(2026, 9, 18))
    # Lina and Noah's mother has a third child half-boarding in school B: 20 % each.
    await add_student(
        sessionmaker, world, "mia", born=date(2012, 5, 5), school_id=world.school_b, payer="mother"
    )
    # Tom: DP, interne from Monday 21 September.
    await add_student(sessionmaker, world, "tom", born=date(2014, 1, 1), payer="tom_parent")
    await run(
        sessionmaker,
        world,
        "bursar_a",
        record_regime_change,
        world.enrollments["tom"],
        date(2026, 9, 21),
        "3",
    )
    # Zoé: DP 4 jours, per meal.
    await add_student(
        sessionmaker, world, "zoe", born=date(2014, 2, 2), regime_code="24", payer="zoe_parent"
    )
    # Jade (school B) is fed by A all term (DP hors de l'établissement).
    await run(
        sessionmaker,
        world,
        "principal_b",
        record_regime_change,
        world.enrollments["jade"],
        date(2026, 9, 1),
        "6",
        world.school_a,
        school=world.school_b,
    )
    # A family of six: five children in A and one declared elsewhere (certificate).
    for n, born in enumerate(
        (date(2010, 1, 1), date(2011, 1, 1), date(2012, 1, 1), date(2013, 1, 1), date(2014, 1, 1))
    ):
        await add_student(sessionmaker, world, f"six{n}", born=born, payer="six_parent")
    await set_children_elsewhere(sessionmaker, world, "six_parent", 1)
    # Sam has no guardian; Ugo is "interne 1 jour", which has no tariff.
    await add_student(sessionmaker, world, "sam", born=date(2014, 3, 3))
    await add_student(
        sessionmaker,
        world,
        "ugo",
        born=date(2014, 4, 4),
        regime=Regime.INTERNE,
        regime_code="31",
        payer="ugo_parent",
    )
    return terms


async def _dates(sessionmaker, world: World, key: str, **dates: date) -> None:
    from db.audit import AuditActor, set_actor
    from db.enrollments import Enrollment

    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        enrollment = await session.get(Enrollment, world.enrollments[key])
        assert enrollment is not None
        for name, value in dates.items():
            setattr(enrollment, "entry_date" if name == "entry" else name, value)


def _by_key(preview, world: World) -> dict[tuple[str, ChargeKind], object]:
    names = {v: k for k, v in world.students.items()}
    return {(names[line.student_id], line.kind): line for line in preview.lines}


async def test_the_september_scenario_to_the_cent(sessionmaker, world: World) -> None:
    terms = await scenario(sessionmaker, world)
    preview = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
    lines = _by_key(preview, world)
    expected = {
        # Full term: the tariff.
        ("lina", HB): ("220.00", "22 jours de service sur 22", "20"),
        # From Monday 14: 13 service days; 220,00 × 13 / 22 = 130,00.
        ("noah", HB): ("130.00", "13 jours de service sur 22", "20"),
        # Until Friday 18: 14 service days; 220,00 × 14 / 22 = 140,00.
        ("eloise", HB): ("140.00", "14 jours de service sur 22", None),
        # DP 1-18 (14 days, 140,00), interne 21-30 (8 days): 660,00 × 8 / 22 = 240,00.
        ("tom", HB): ("140.00", "14 jours de service sur 22", None),
        ("tom", BO): ("240.00", "8 jours de service sur 22", None),
        # 22 service days × 4 / 5 = 17,6 → 18 meals × 4,00 = 72,00.
        ("zoe", HB): ("72.00", "18 repas à 4,00\u00a0€", None),
        # Fed by A: A's tariff of its DP (it has none for code 6).
        ("jade", HB): ("220.00", "22 jours de service sur 22", None),
        # Six children (one elsewhere, ranked first): the four eldest here 40 %, the
        # youngest (sixth) free.
        ("six0", HB): ("220.00", "22 jours de service sur 22", "40"),
        ("six1", HB): ("220.00", "22 jours de service sur 22", "40"),
        ("six2", HB): ("220.00", "22 jours de service sur 22", "40"),
        ("six3", HB): ("220.00", "22 jours de service sur 22", "40"),
        ("six4", HB): ("220.00", "22 jours de service sur 22", "100"),
        ("sam", HB): ("220.00", "22 jours de service sur 22", None),
    }
    assert set(lines) == set(expected) | {("ugo", BO)}
    for key, (amount, basis, rate) in expected.items():
        line = lines[key]
        assert (line.expected, line.basis, line.already) == (
            Decimal(amount),
            basis,
            Decimal("0"),
        ), key
        assert line.principle_rate == (Decimal(rate) if rate else None), key
    assert lines[("sam", HB)].warnings == [
        "Aucun responsable financier : l'élève ne peut être facturé."
    ]
    assert lines[("ugo", BO)].expected is None
    assert lines[("ugo", BO)].warnings == [
        "Aucun tarif du régime 31 (Interne 1 jour) pour ce trimestre."
    ]
    # Remise: Lina 220,00 × 20 % = 44,00; Noah 130,00 × 20 % = 26,00; four × 88,00 and 220,00.
    assert lines[("lina", HB)].principle_expected == Decimal("44.00")
    assert lines[("noah", HB)].principle_expected == Decimal("26.00")
    assert lines[("six0", HB)].principle_expected == Decimal("88.00")
    assert lines[("six4", HB)].principle_expected == Decimal("220.00")
    # 220 + 130 + 140 + 140 + 240 + 72 + 220 + 5 × 220 = 2 262,00 applied; Sam's 220,00 is
    # shown, not applied; principle 44 + 26 + 4 × 88 + 220 = 642,00.
    assert preview.total_expected == Decimal("2482.00")
    assert preview.total_adjustment == Decimal("2262.00")
    assert preview.principle_adjustment == Decimal("642.00")
    assert (preview.lines_to_write, preview.warnings) == (12, 2)

    # Jade is not in B's generation: A feeds and charges her. Mia (B) has her 20 %.
    b_terms = await school_terms(sessionmaker, world, world.school_b)
    b_preview = await read(sessionmaker, world, "principal_b", charge_preview, b_terms[0])
    b_students = {line.student_id: line for line in b_preview.lines}
    assert world.students["jade"] not in b_students
    assert b_students[world.students["mia"]].principle_rate == Decimal("20")

    # Applied: one charge per line, one remise per reduced line.
    applied = await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    assert (applied.charges, applied.reductions) == (12, 7)
    assert applied.total == Decimal("2262.00")
    assert applied.principle_total == Decimal("642.00")
    async with sessionmaker() as session:
        rows = (await session.scalars(select(Charge).order_by(Charge.id))).all()
        assert {r.origin for r in rows} == {LedgerOrigin.GENERATION}
        assert {r.term_id for r in rows} == {terms[0]}
        assert sum(r.amount for r in rows) == Decimal("2262.00")
        jade = next(r for r in rows if r.student_id == world.students["jade"])
        assert jade.school_id == world.school_a
        reductions = (await session.scalars(select(Reduction))).all()
        assert sorted(r.rate for r in reductions) == [
            Decimal(x) for x in ("20", "20", "40", "40", "40", "40", "100")
        ]
        assert len(applied.account_ids) == len({r.account_id for r in rows})

    # Nothing changed: nothing written, not even a generation.
    again = await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    assert (again.generation_id, again.charges, again.reductions) == (None, 0, 0)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ChargeGeneration)) == 1

    # Noah leaves after Friday 25: 10 service days, 220,00 × 10 / 22 = 100,00 (−30,00);
    # his remise 20 % of 100,00 = 20,00 (−6,00).
    await run(
        sessionmaker,
        world,
        "registrar_a",
        record_departure,
        world.enrollments["noah"],
        date(2026, 9, 25),
        "move",
    )
    regenerated = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
    noah = _by_key(regenerated, world)[("noah", HB)]
    assert (noah.expected, noah.already, noah.adjustment) == (
        Decimal("100.00"),
        Decimal("130.00"),
        Decimal("-30.00"),
    )
    assert noah.principle_adjustment == Decimal("-6.00")
    assert regenerated.lines_to_write == 1
    applied = await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    assert (applied.charges, applied.reductions, applied.total) == (1, 1, Decimal("-30.00"))
    async with sessionmaker() as session:
        adjustment = await session.scalar(
            select(Charge).where(Charge.origin == LedgerOrigin.ADJUSTMENT)
        )
        assert adjustment is not None
        assert adjustment.amount == Decimal("-30.00")
        assert adjustment.reason == (
            "Régularisation du Septembre : 10 jours de service sur 22, 100,00\u00a0€ dus, "
            "130,00\u00a0€ déjà constatés."
        )


async def test_a_closed_term_is_corrected_in_the_open_term_after_it(
    sessionmaker, world: World
) -> None:
    terms = await scenario(sessionmaker, world)
    await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    await run(sessionmaker, world, "principal_a", close_term, terms[0])
    # Lina is externe from Monday 28 September: 19 service days of DP, 220,00 × 19 / 22 =
    # 190,00 (−30,00); her remise 20 % of 190,00 = 38,00 (−6,00).
    await run(
        sessionmaker,
        world,
        "bursar_a",
        record_regime_change,
        world.enrollments["lina"],
        date(2026, 9, 28),
        "0",
    )
    preview = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
    assert (preview.term_closed, preview.recording_term_id) == (True, terms[1])
    applied = await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    assert (applied.charges, applied.reductions) == (1, 1)
    async with sessionmaker() as session:
        charge = await session.scalar(
            select(Charge).where(Charge.origin == LedgerOrigin.ADJUSTMENT)
        )
        assert charge is not None
        assert (charge.term_id, charge.concerns_term_id, charge.amount) == (
            terms[1],
            terms[0],
            Decimal("-30.00"),
        )
        assert "(trimestre clos)" in (charge.reason or "")
        reduction = await session.scalar(
            select(Reduction).where(Reduction.origin == LedgerOrigin.ADJUSTMENT)
        )
        assert reduction is not None
        assert (reduction.term_id, reduction.amount) == (terms[1], Decimal("-6.00"))


async def test_a_closed_term_without_an_open_one_after_it_is_refused(
    sessionmaker, world: World
) -> None:
    terms = await run(
        sessionmaker,
        world,
        "principal_a",
        set_terms,
        world.school_a,
        world.year_id,
        TERMS[:1],
    )
    await tariffs(sessionmaker, world, [terms[0].id], TARIFFS)
    await run(sessionmaker, world, "principal_a", close_term, terms[0].id)
    preview = await read(sessionmaker, world, "bursar_a", charge_preview, terms[0].id)
    assert preview.recording_term_id is None
    assert preview.total_adjustment == Decimal("660.00")  # Lina, Noah, Éloïse: 3 × 220,00
    with pytest.raises(ValidationFailed) as refused:
        await run(sessionmaker, world, "bursar_a", apply_charges, terms[0].id)
    assert refused.value.errors[0].code == "NO_OPEN_TERM"


async def test_only_the_bursar_and_principal_of_the_school(sessionmaker, world: World) -> None:
    terms = await school_terms(sessionmaker, world)
    with pytest.raises(NotFound):
        await read(sessionmaker, world, "principal_b", charge_preview, terms[0])
    with pytest.raises(Exception) as denied:
        await read(sessionmaker, world, "teacher_a", charge_preview, terms[0])
    assert type(denied.value).__name__ == "PermissionDenied"
    with pytest.raises(Exception) as denied:
        await run(sessionmaker, world, "registrar_a", apply_charges, terms[0])
    assert type(denied.value).__name__ == "PermissionDenied"


async def _family(sessionmaker, world: World, prefix: str, count: int) -> None:
    for n in range(count):
        await add_student(
            sessionmaker,
            world,
            f"{prefix}{n}",
            born=date(2010 + n % 5, 1 + n % 12, 1),
            payer=f"{prefix}_parent{n // 3}",
        )


async def test_statements_do_not_grow_with_the_students(
    sessionmaker, admin_engine, world: World
) -> None:
    """Preview and apply issue as many statements for 4 families of 3 as for 12."""
    terms = await school_terms(sessionmaker, world)
    await tariffs(sessionmaker, world, terms, TARIFFS)
    counts = []
    for prefix, size in (("small", 12), ("large", 36)):
        await _family(sessionmaker, world, prefix, size)
        statements: list[str] = []

        def count(*args: object, statements: list[str] = statements) -> None:
            statements.append(str(args[2]))

        event.listen(admin_engine.sync_engine, "before_cursor_execute", count)
        try:
            await read(sessionmaker, world, "bursar_a", charge_preview, terms[0])
            previewed = len(statements)
            applied = await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
        finally:
            event.remove(admin_engine.sync_engine, "before_cursor_execute", count)
        assert applied.charges == size + (3 if prefix == "small" else 0)
        counts.append((previewed, len(statements) - previewed))
    assert counts[0] == counts[1], counts
