"""A school's finance settings and tariffs in GraphQL: read and set, with the régimes a
tariff can be set for."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.resolvers.finances import tariffs as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import finances as models

ProrationRule = strawberry.enum(
    models.ProrationRule,
    description="How a flat rate is prorated for part of a term: service days, calendar "
    "days or weeks begun, over the term's.",
)
TariffBasis = strawberry.enum(
    models.TariffBasis, description="A flat rate for the term, or a price per meal."
)
ChargeKind = strawberry.enum(models.ChargeKind, description="Half-board or boarding.")


@strawberry.type(description="A school's finance rules of a year (version 0: the defaults).")
class FinanceSettings:
    school_id: int
    school_year_id: int
    proration_rule: ProrationRule  # type: ignore[valid-type]
    service_weekdays: str = strawberry.field(
        description='ISO weekdays the services run, 1 Monday … 7 Sunday ("12345").'
    )
    order_reduction_min_days: int
    board_decision: str | None
    version: int


@strawberry.input(description="The finance settings as typed.")
@from_domain
class FinanceSettingsInput(resolvers.SettingsInput):
    pass


@strawberry.type(description="A régime of the year's nomenclature that gives a charge.")
@from_domain
class ChargedRegime(resolvers.ChargedRegime):
    kind: models.ChargeKind = strawberry.field(graphql_type=ChargeKind)


@strawberry.type(description="What a régime (SIECLE code) costs in a school for a term.")
class Tariff:
    id: int
    term_id: int
    regime_code: str
    basis: TariffBasis  # type: ignore[valid-type]
    amount: Decimal


@strawberry.input(
    description="A régime's price in a term; an empty amount removes it (refused once used)."
)
@from_domain
class TariffInput(resolvers.TariffInput):
    pass


@strawberry.type
class FinanceSettingsPayload:
    settings: FinanceSettings | None
    errors: list[FieldError]


@strawberry.type
class TariffsPayload:
    tariffs: list[Tariff] | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="A school's finance settings of a year.")
    async def finance_settings(
        self, info: Info, school_id: int, school_year_id: int
    ) -> FinanceSettings:
        return await read(info, resolvers.finance_settings, school_id, school_year_id)

    @strawberry.field(description="A school's tariffs of a year, by term and régime.")
    async def tariffs(self, info: Info, school_id: int, school_year_id: int) -> list[Tariff]:
        return await read(info, resolvers.tariffs, school_id, school_year_id)

    @strawberry.field(description="The régimes a tariff can be set for in a year.")
    async def tariff_regimes(
        self, info: Info, school_id: int, school_year_id: int
    ) -> list[ChargedRegime]:
        return await read(info, resolvers.tariff_regimes, school_id, school_year_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Set a school's finance settings of a year.")
    async def set_finance_settings(
        self, info: Info, school_id: int, school_year_id: int, settings: FinanceSettingsInput
    ) -> FinanceSettingsPayload:
        saved, errors = await mutate(
            info,
            "schoolId",
            resolvers.set_finance_settings,
            school_id,
            school_year_id,
            settings,
        )
        return FinanceSettingsPayload(settings=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Set tariffs of a school's year (the others stay); a closed term's are frozen."
    )
    async def set_tariffs(
        self, info: Info, school_id: int, school_year_id: int, tariffs: list[TariffInput]
    ) -> TariffsPayload:
        saved, errors = await mutate(
            info,
            "schoolId",
            resolvers.set_tariffs,
            school_id,
            school_year_id,
            tariffs,  # type: ignore[arg-type]
        )
        return TariffsPayload(tariffs=saved, errors=errors)  # type: ignore[arg-type]
