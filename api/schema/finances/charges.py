"""A term's charges in GraphQL: the régime periods of an enrolment and their change, the
generation's preview and its application."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from api.resolvers.finances import charges as resolvers
from api.resolvers.finances import regimes
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.finances.tariffs import ChargeKind
from api.schema.payloads import FieldError, mutate
from db import finances as models


@strawberry.type(
    description="An enrolment's régime from a day on; hostSchoolId: the school that feeds or "
    "lodges him (hébergement croisé), which charges him."
)
class RegimePeriod:
    id: int
    enrollment_id: int
    effective_on: date
    regime_code: str
    host_school_id: int | None
    recorded_at: datetime
    actor_label: str


@strawberry.type
class RegimePeriodPayload:
    period: RegimePeriod | None
    errors: list[FieldError]


@strawberry.type(description="What a student owes for a kind of charge in the term.")
@from_domain
class ChargeLine(resolvers.ChargeLine):
    kind: models.ChargeKind = strawberry.field(graphql_type=ChargeKind)

    @strawberry.field(description="Expected minus already charged (what applying writes).")
    def adjustment(self, root: strawberry.Parent[resolvers.ChargeLine]) -> Decimal:
        return root.adjustment

    @strawberry.field(description="The remise de principe's difference to write.")
    def principle_adjustment(self, root: strawberry.Parent[resolvers.ChargeLine]) -> Decimal:
        return root.principle_adjustment


@strawberry.type(description="A term's generation as applying it would write it.")
@from_domain
class ChargePreview(resolvers.ChargePreview):
    lines: list[resolvers.ChargeLine] = strawberry.field(graphql_type=list[ChargeLine])


@strawberry.type(
    description="What an application wrote; accountIds: the accounts charged or reduced."
)
@from_domain
class ChargeApplication(resolvers.ChargeApplication):
    pass


@strawberry.type
class ChargeApplicationPayload:
    application: ChargeApplication | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="An enrolment's régime changes, in order.")
    async def regime_periods(self, info: Info, enrollment_id: int) -> list[RegimePeriod]:
        return await read(info, regimes.regime_periods, enrollment_id)

    @strawberry.field(
        description="A term's charges as they would be generated now, beside what is charged."
    )
    async def charge_preview(self, info: Info, term_id: int) -> ChargePreview:
        return await read(info, resolvers.charge_preview, term_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="An enrolment's régime from a day on (hébergement croisé names the host "
        "school: codes 4, 5, 6 require it)."
    )
    async def record_regime_change(
        self,
        info: Info,
        enrollment_id: int,
        effective_on: date,
        regime_code: str,
        host_school_id: int | None = None,
    ) -> RegimePeriodPayload:
        period, errors = await mutate(
            info,
            "enrollmentId",
            regimes.record_regime_change,
            enrollment_id,
            effective_on,
            regime_code,
            host_school_id,
        )
        return RegimePeriodPayload(period=period, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Write a term's charges: the differences with what is charged, and the "
        "remise de principe's; a closed term's in the open term after it."
    )
    async def apply_charges(self, info: Info, term_id: int) -> ChargeApplicationPayload:
        application, errors = await mutate(info, "termId", resolvers.apply_charges, term_id)
        return ChargeApplicationPayload(application=application, errors=errors)  # type: ignore[arg-type]
