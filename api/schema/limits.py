"""Limits on what one GraphQL document may ask: depth, aliases, tokens and cost.

A document past a limit is rejected before anything runs, with an error that
says which limit and by how much. The page size of lists is bounded by the
resolvers themselves (500 students).

Cost is an estimate made at validation, before the variables are known: every
field costs 1, and what is selected under a paginated list counts once per
row it may return (``first``, or the maximum page when ``first`` is a
variable). Lists that are not paginated (a student's guardians, a school's
divisions) are bounded by the data and counted once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)

from api.resolvers.students import MAX_PAGE_SIZE

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_COST = 100_000
PAGE_ARGUMENT = "first"


def _rows(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == PAGE_ARGUMENT:
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return MAX_PAGE_SIZE
    return 1


class CostLimitRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments = {
            definition.name.value: definition.selection_set
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def cost(
        self, selection_set: SelectionSetNode | None, seen: frozenset[str] = frozenset()
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += 1 + _rows(selection) * self.cost(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += self.cost(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A fragment cycle is reported by the standard rules; count it once here.
                if name not in seen and name in self.fragments:
                    total += self.cost(self.fragments[name], seen | {name})
        return total

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        cost = self.cost(node.selection_set)
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"Requête trop coûteuse : coût estimé {cost}, maximum {MAX_COST}. "
                    "Demandez moins de champs ou des pages plus petites.",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": MAX_COST},
                )
            )


# Built once: the validation cache is keyed by the rule classes, and strawberry's
# QueryDepthLimiter and MaxAliasesLimiter create new classes for every request, so that each
# request missed the cache and left its validation (and two classes) in it.
LIMIT_RULES = (
    query_depth_limiter.create_validator(MAX_DEPTH, None),
    max_aliases.create_validator(MAX_ALIASES),
    CostLimitRule,
)


def limit_extensions() -> list[Callable[[], SchemaExtension]]:
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(list(LIMIT_RULES)),
    ]
