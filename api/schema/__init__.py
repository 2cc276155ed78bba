"""The GraphQL schema: each domain module contributes its Query and Mutation fields."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types

from api.schema import (
    enrollments,
    guardians,
    nomenclatures,
    schools,
    statistics,
    structures,
    students,
)

Query = merge_types(
    "Query",
    (schools.Query, nomenclatures.Query, structures.Query, students.Query, statistics.Query),
)
Mutation = merge_types(
    "Mutation",
    (students.Mutation, guardians.Mutation, enrollments.Mutation, structures.Mutation),
)

# Clients repeat the same few documents: parse and validate each once.
schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
)
