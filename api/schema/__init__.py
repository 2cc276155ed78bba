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
    changes,
    delegations,
    enrollments,
    exchanges,
    finances,
    grades,
    guardians,
    headcounts,
    immatriculation,
    nomenclatures,
    passage,
    rentree,
    scholarships,
    schools,
    second_factor,
    statistics,
    structures,
    students,
    teaching,
    teleservices,
    transfers,
)
from api.schema.execution import PlainFieldsFirst
from api.schema.limits import limit_extensions
from api.schema.text_input import RefuseNulCharacters
from core.failures import (
    database_unavailable,
    internal_error_message,
    record_failure,
    unavailable_message,
)

Query = merge_types(
    "Query",
    (
        schools.Query,
        nomenclatures.Query,
        structures.Query,
        students.Query,
        statistics.Query,
        headcounts.Query,
        audit.Query,
        changes.Query,
        delegations.Query,
        absences.Query,
        teleservices.Query,
        grades.Query,
        exchanges.Query,
        teaching.Query,
        immatriculation.Query,
        transfers.Query,
        passage.Query,
        rentree.Query,
        finances.Query,
        scholarships.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        schools.Mutation,
        students.Mutation,
        guardians.Mutation,
        enrollments.Mutation,
        structures.Mutation,
        second_factor.Mutation,
        delegations.Mutation,
        absences.Mutation,
        teleservices.Mutation,
        grades.Mutation,
        exchanges.Mutation,
        immatriculation.Mutation,
        headcounts.Mutation,
        nomenclatures.Mutation,
        teaching.Mutation,
        transfers.Mutation,
        passage.Mutation,
        rentree.Mutation,
        finances.Mutation,
        scholarships.Mutation,
    ),
)

logger = logging.getLogger("sconet.graphql")
EXPECTED_CODES = {"FORBIDDEN", "NOT_FOUND", "QUERY_TOO_COSTLY", "BAD_USER_INPUT"}


class SconetSchema(strawberry.Schema):
    """Logs GraphQL errors without their documents, and never answers an exception's text.

    The default logs each error with the query text, whose filters and
    variables can hold personal data (a name, an INE, a birth date). An
    unexpected exception's text (SQL, names) goes to the log with its
    traceback under a reference; the answer names only the reference.
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            code = (error.extensions or {}).get("code")
            if code in FAILURE_CODES:
                continue  # already recorded and rewritten
            if _unexpected(error) and code not in EXPECTED_CODES:
                assert error.original_error is not None
                _rewrite_as_failure(error, error.original_error)
            else:
                logger.info("GraphQL request refused: %s at %s", code or "INVALID", error.path)


FAILURE_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}


def _unexpected(error: GraphQLError) -> bool:
    """An exception raised while resolving a field, other than a deliberate GraphQLError.

    Errors without a path are the request's own (parse, validation, a variable
    that does not coerce, even when a scalar's ValueError caused it): their
    message tells the caller what to fix.
    """
    original = error.original_error
    return (
        original is not None and error.path is not None and not isinstance(original, GraphQLError)
    )


def _rewrite_as_failure(error: GraphQLError, exc: Exception) -> None:
    """In place, so that every later step (extensions, the HTTP answer) sees only the reference."""
    reference = record_failure(exc, f"GraphQL field {error.path}")
    if database_unavailable(exc):
        error.message = unavailable_message(reference)
        error.extensions = {"code": "SERVICE_UNAVAILABLE", "reference": reference}
    else:
        error.message = internal_error_message(reference)
        error.extensions = {"code": "INTERNAL_SERVER_ERROR", "reference": reference}


# Clients repeat the same few documents: parse and validate each once.
schema = SconetSchema(
    query=Query,
    mutation=Mutation,
    execution_context_class=PlainFieldsFirst,
    extensions=[
        *limit_extensions(),
        RefuseNulCharacters,
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ],
)
