"""The GraphQL schema: each domain module contributes its Query and Mutation fields."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types

from api.schema import (
    absences,
    audit,
    delegations,
    enrollments,
    grades,
    guardians,
    nomenclatures,
    schools,
    second_factor,
    statistics,
    structures,
    students,
    teleservices,
)
from api.schema.limits import limit_extensions

Query = merge_types(
    "Query",
    (
        schools.Query,
        nomenclatures.Query,
        structures.Query,
        students.Query,
        statistics.Query,
        audit.Query,
        delegations.Query,
        absences.Query,
        teleservices.Query,
        grades.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        students.Mutation,
        guardians.Mutation,
        enrollments.Mutation,
        structures.Mutation,
        second_factor.Mutation,
        delegations.Mutation,
        absences.Mutation,
        teleservices.Mutation,
        grades.Mutation,
    ),
)

logger = logging.getLogger("sconet.graphql")
EXPECTED_CODES = {"FORBIDDEN", "NOT_FOUND", "QUERY_TOO_COSTLY", "BAD_USER_INPUT"}


class SconetSchema(strawberry.Schema):
    """Logs GraphQL errors without their documents or messages.

    The default logs each error with the query text, whose filters and
    variables can hold personal data (a name, an INE, a birth date).
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            code = (error.extensions or {}).get("code")
            unexpected = error.original_error is not None and code not in EXPECTED_CODES
            if unexpected:
                logger.error(
                    "GraphQL resolver failure at %s",
                    error.path,
                    exc_info=error.original_error,
                )
            else:
                logger.info("GraphQL request refused: %s at %s", code or "INVALID", error.path)


# Clients repeat the same few documents: parse and validate each once.
schema = SconetSchema(
    query=Query,
    mutation=Mutation,
    extensions=[
        *limit_extensions(),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ],
)
