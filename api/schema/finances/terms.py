"""A school's financial terms in GraphQL: read, set (the default split or the board's), close."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.resolvers.finances import terms as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate


@strawberry.type(
    description="A financial term (trimestre) of a school's year. Closed, it is immutable: "
    "corrections about it are recorded in the next open term."
)
class FinanceTerm:
    id: int
    school_id: int
    school_year_id: int
    rank: int
    label: str
    first_day: date
    last_day: date
    closed_at: datetime | None
    closed_by_label: str | None


@strawberry.input(description="A term's label and dates; terms follow each other day after day.")
@from_domain
class TermDatesInput(resolvers.TermDates):
    pass


@strawberry.type
class FinanceTermsPayload:
    terms: list[FinanceTerm] | None
    errors: list[FieldError]


@strawberry.type
class FinanceTermPayload:
    term: FinanceTerm | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="A school's financial terms of a year, in order.")
    async def finance_terms(
        self, info: Info, school_id: int, school_year_id: int
    ) -> list[FinanceTerm]:
        return await read(info, resolvers.finance_terms, school_id, school_year_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Set a school's financial terms of a year: the usual split (September to "
        "December, January to March, April to the end) when terms is omitted."
    )
    async def set_finance_terms(
        self,
        info: Info,
        school_id: int,
        school_year_id: int,
        terms: list[TermDatesInput] | None = None,
    ) -> FinanceTermsPayload:
        saved, errors = await mutate(
            info,
            "schoolId",
            resolvers.set_terms,
            school_id,
            school_year_id,
            terms,  # type: ignore[arg-type]
        )
        return FinanceTermsPayload(terms=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Close a term once over and every earlier term closed: it no longer changes."
    )
    async def close_finance_term(self, info: Info, term_id: int) -> FinanceTermPayload:
        term, errors = await mutate(info, "termId", resolvers.close_term, term_id)
        return FinanceTermPayload(term=term, errors=errors)  # type: ignore[arg-type]
