"""Refuses a NUL character (U+0000) in any string a GraphQL request carries.

PostgreSQL cannot store or compare it: the statement would fail deep in a
resolver. The request is refused before execution, naming the variable or
argument, as bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    ObjectFieldNode,
    StringValueNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

NUL = "\x00"


def _nul_in_value(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_in_value(key, where) or _nul_in_value(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in_value(item, f"{where}[{index}]")
            if found:
                return found
    return None


class _NulLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: str | None = None

    def enter_string_value(self, node: StringValueNode, *args: Any) -> None:
        # args: key, parent, path, ancestors; the parent is not among the ancestors.
        ancestors = [*(args[3] if len(args) > 3 else []), args[1] if len(args) > 1 else None]
        if NUL in node.value and self.found is None:
            names = [
                a.name.value for a in ancestors if isinstance(a, ArgumentNode | ObjectFieldNode)
            ]
            self.found = ".".join(names) or "document"


def nul_character_in(
    document: DocumentNode | None, variables: dict[str, Any] | None, text: str | None = None
) -> str | None:
    """The variable (``$filter.name``) or argument path holding a NUL character, if any.

    ``text``, the document's source when known: a literal can hold a NUL only through an
    escape (``\\u0000``, ``\\u{0}``) or the character itself, so a source without either
    is not walked (most documents, on every request)."""
    for name, value in (variables or {}).items():
        found = _nul_in_value(value, f"${name}")
        if found:
            return found
    if text is not None and "\\u" not in text and NUL not in text:
        return None
    if document is not None:
        literals = _NulLiterals()
        visit(document, literals)
        return literals.found
    return None


class RefuseNulCharacters(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        where = nul_character_in(context.graphql_document, context.variables, context.query)
        if where is not None:
            context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"« {where} » contient un caractère nul (U+0000), qui n'est pas accepté.",
                        extensions={
                            "code": "BAD_USER_INPUT",
                            "field": where,
                            "reason": "NUL_CHARACTER",
                        },
                    )
                ],
            )
        yield
