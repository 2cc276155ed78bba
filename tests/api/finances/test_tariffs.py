"""A school's finance settings and tariffs: read with their defaults, set with errors
naming their field, the régimes that give a charge, a closed term's tariffs frozen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.resolvers.finances.charges import apply_charges
from api.resolvers.finances.tariffs import (
    SettingsInput,
    TariffInput,
    finance_settings,
    set_finance_settings,
    set_tariffs,
    tariff_regimes,
)
from api.resolvers.finances.tariffs import tariffs as read_tariffs
from api.resolvers.finances.terms import close_term
from core.errors import NotFound, ValidationFailed
from db.finances import ChargeKind, ProrationRule, TariffBasis
from tests.api.finances.charges_world import read, run, school_terms
from tests.world import World


async def test_settings_default_then_set(sessionmaker, world: World) -> None:
    settings = await read(
        sessionmaker, world, "bursar_a", finance_settings, world.school_a, world.year_id
    )
    assert (settings.proration_rule, settings.service_weekdays, settings.version) == (
        ProrationRule.SERVICE_DAYS,
        "12345",
        0,
    )
    with pytest.raises(ValidationFailed) as failed:
        await run(
            sessionmaker,
            world,
            "bursar_a",
            set_finance_settings,
            world.school_a,
            world.year_id,
            SettingsInput("months", "128", 0, "x" * 121),
        )
    assert [e.field for e in failed.value.errors] == [
        "proration_rule",
        "service_weekdays",
        "order_reduction_min_days",
        "board_decision",
    ]
    await run(
        sessionmaker,
        world,
        "bursar_a",
        set_finance_settings,
        world.school_a,
        world.year_id,
        SettingsInput("weeks", "5421", 21, " CA du 12 juin 2026 "),
    )
    settings = await read(
        sessionmaker, world, "principal_a", finance_settings, world.school_a, world.year_id
    )
    assert (
        settings.proration_rule,
        settings.service_weekdays,
        settings.order_reduction_min_days,
        settings.board_decision,
    ) == (ProrationRule.WEEKS, "1245", 21, "CA du 12 juin 2026")


async def test_the_regimes_that_give_a_charge(sessionmaker, world: World) -> None:
    regimes = await read(
        sessionmaker, world, "bursar_a", tariff_regimes, world.school_a, world.year_id
    )
    codes = {r.code: r for r in regimes}
    # Externes (0, 1) and the ticket (29) have no tariff.
    assert set(codes) == {
        "2", "3", "4", "5", "6", "21", "22", "23", "24", "25", "26",
        "31", "32", "33", "34", "35", "36", "38", "39",
    }  # fmt: skip
    assert codes["24"].kind is ChargeKind.HALF_BOARD and codes["24"].days_a_week == 4
    assert codes["5"].kind is ChargeKind.BOARDING and codes["5"].days_a_week is None


async def test_set_tariffs(sessionmaker, world: World) -> None:
    terms = await school_terms(sessionmaker, world)

    async def save(*cells: TariffInput, login: str = "bursar_a") -> list:
        return await run(
            sessionmaker, world, login, set_tariffs, world.school_a, world.year_id, list(cells)
        )

    saved = await save(
        TariffInput(terms[0], "2", "flat_term", "1 234,5"),
        TariffInput(terms[0], "24", "per_meal", "3.9"),
    )
    assert [(t.regime_code, t.basis, t.amount) for t in saved] == [
        ("2", TariffBasis.FLAT_TERM, Decimal("1234.50")),
        ("24", TariffBasis.PER_MEAL, Decimal("3.90")),
    ]
    with pytest.raises(ValidationFailed) as failed:
        await save(
            TariffInput(terms[0], "3", "flat_term", "12,345"),
            TariffInput(terms[0], "29", "per_meal", "3,00"),
            TariffInput(terms[0], "3", "yearly", "3,00"),
            TariffInput(terms[0], "3", "flat_term", "-5"),
        )
    assert [(e.field, e.code) for e in failed.value.errors] == [
        ("tariffs.0.amount", "INVALID_AMOUNT"),
        ("tariffs.1.regime_code", "NOT_CHARGED"),
        ("tariffs.2.basis", "INVALID_CHOICE"),
        ("tariffs.3.amount", "NEGATIVE_AMOUNT"),
    ]
    # Lina, Noah and Éloïse are charged by the tariff of DP: it can change, not go.
    await run(sessionmaker, world, "bursar_a", apply_charges, terms[0])
    with pytest.raises(ValidationFailed) as failed:
        await save(TariffInput(terms[0], "2", "flat_term", ""))
    assert [(e.field, e.code) for e in failed.value.errors] == [("tariffs.0.amount", "IN_USE")]
    saved = await save(TariffInput(terms[0], "24", "per_meal", ""))
    assert [t.regime_code for t in saved] == ["2"]
    # September is over and closed: its tariffs no longer change; the same value passes.
    await run(sessionmaker, world, "principal_a", close_term, terms[0])
    with pytest.raises(ValidationFailed) as failed:
        await save(TariffInput(terms[0], "2", "flat_term", "200,00"))
    assert [(e.field, e.code) for e in failed.value.errors] == [("tariffs.0.amount", "TERM_CLOSED")]
    await save(TariffInput(terms[0], "2", "flat_term", "1234,50"))
    listed = await read(
        sessionmaker, world, "principal_a", read_tariffs, world.school_a, world.year_id
    )
    assert [(t.term_id, t.amount) for t in listed] == [(terms[0], Decimal("1234.50"))]


async def test_out_of_reach(sessionmaker, world: World) -> None:
    with pytest.raises(NotFound):
        await read(sessionmaker, world, "principal_b", read_tariffs, world.school_a, world.year_id)
    with pytest.raises(Exception) as denied:
        await read(sessionmaker, world, "teacher_a", read_tariffs, world.school_a, world.year_id)
    assert type(denied.value).__name__ == "PermissionDenied"
    with pytest.raises(Exception) as denied:
        await run(
            sessionmaker,
            world,
            "registrar_a",
            set_tariffs,
            world.school_a,
            world.year_id,
            [],
        )
    assert type(denied.value).__name__ == "PermissionDenied"
