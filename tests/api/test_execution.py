"""The short path for plain fields answers exactly what graphql-core's general path answers:
the same data, the same errors at the same paths."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.schema import schema
from api.schema.execution import PlainFieldsFirst, plain_fields


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Row:
    name: Any
    count: Any
    day: Any
    colour: Any
    note: Any


@strawberry.type
class RowType:
    name: str
    count: int
    day: date
    colour: strawberry.enum(Colour)  # type: ignore[valid-type]
    note: str | None

    @strawberry.field
    def shout(self) -> str:
        return str(self.name).upper()


ROWS: list[Row] = []


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[RowType]:
        return ROWS  # type: ignore[return-value]


DOCUMENT = "{ rows { name count day colour note shout } }"


def answer(context_class: type) -> Any:
    small = strawberry.Schema(query=Query, execution_context_class=context_class)
    result = small.execute_sync(DOCUMENT)
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize(
    "rows",
    [
        [
            Row("a", 1, date(2026, 9, 1), Colour.RED, None),
            Row("b", 2, date(2026, 9, 2), Colour.RED, "x"),
        ],
        # A null for a non-null field: the error names the field and nulls the list.
        [Row(None, 1, date(2026, 9, 1), Colour.RED, None)],
        # Values the scalars refuse: located errors, as on the general path.
        [Row("a", "many", date(2026, 9, 1), Colour.RED, None)],
        [Row("a", 1, date(2026, 9, 1), "green", None)],
        [Row("a", 2**40, date(2026, 9, 1), Colour.RED, None)],
    ],
)
def test_the_short_path_answers_as_the_general_path(rows):
    ROWS[:] = rows
    try:
        assert answer(PlainFieldsFirst) == answer(StrawberryGraphQLCoreExecutionContext)
    finally:
        ROWS.clear()


def test_only_attribute_fields_of_scalar_type_take_the_short_path():
    small = strawberry.Schema(query=Query, execution_context_class=PlainFieldsFirst)
    row_type = small._schema.type_map["RowType"]
    assert set(plain_fields(row_type)) == {"name", "count", "day", "colour", "note"}
    student = schema._schema.type_map["Student"]
    plain = plain_fields(student)
    assert {"familyName", "ine", "birthDate", "sex"} <= set(plain)
    assert "guardians" not in plain and "schoolingHistory" not in plain


async def test_the_api_answers_a_list_the_same_on_both_paths(gql, world):
    document = """{ students(first: 50) { totalCount pageInfo { endCursor hasNextPage }
      edges { cursor node { id familyName usageName firstName sex birthDate ine birthCity
        guardians { responsibility relationship livesWith guardian { civility familyName email } }
        schoolingHistory { id } } } } }"""
    fast = await gql("rectorat", document)
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        general = await gql("rectorat", document)
    finally:
        schema.execution_context_class = PlainFieldsFirst
    assert "errors" not in fast
    assert fast == general
    assert len(fast["data"]["students"]["edges"]) >= 4
