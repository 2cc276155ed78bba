"""Execution of GraphQL documents, with a short path for fields that only read an attribute.

graphql-core runs every field through its general path: a resolve-info object, the resolver
(Strawberry's wrapper around ``getattr``), completion by type. For a field without a
resolver whose type is a scalar or an enum, that path is most of what a long list costs
(a page of 500 students is 3,000 such fields). Here such a field is read and serialised
directly, which is what the general path would do; any other field, and any value the
general path would turn into an error (a null for a non-null type, a value the scalar
refuses), goes through the general path unchanged.

The short path applies only when no schema extension hooks into field resolution.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# (attribute name, leaf type, whether null is an error), per field name, per object type.
PlainFields = dict[str, tuple[str, GraphQLLeafType, bool]]
_plain_fields: dict[GraphQLObjectType, PlainFields] = {}


def _plain(field: GraphQLField) -> tuple[str, GraphQLLeafType, bool] | None:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    if definition.default_resolver is not getattr:
        return None
    graphql_type: Any = field.type
    non_null = isinstance(graphql_type, GraphQLNonNull)
    leaf = graphql_type.of_type if non_null else graphql_type
    if not is_leaf_type(leaf):
        return None
    return definition.python_name, leaf, non_null


def plain_fields(object_type: GraphQLObjectType) -> PlainFields:
    found = _plain_fields.get(object_type)
    if found is None:
        found = {}
        for name, field in object_type.fields.items():
            plain = _plain(field)
            if plain is not None:
                found[name] = plain
        _plain_fields[object_type] = found
    return found


# Returned by ``_plain_value`` when the general path must answer (and report the error).
GENERAL = object()


def _plain_value(source: Any, plain: tuple[str, GraphQLLeafType, bool]) -> Any:
    name, leaf, non_null = plain
    value = getattr(source, name, Undefined)
    if value is None:
        return GENERAL if non_null else None
    if value is Undefined:
        return GENERAL
    try:
        coerced = leaf.coerce_output_value(value)
    except Exception:  # the general path reports it, located
        return GENERAL
    return GENERAL if coerced is Undefined or coerced is None else coerced


class PlainFieldsFirst(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self.short_path = manager is None or not manager.middlewares

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: dict[str, Any],
        position_context: Any,
    ) -> Any:
        plain = plain_fields(parent_type) if self.short_path else None
        if not plain:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        values: dict[str, Any] = {}
        others: dict[str, Any] = {}
        for response_name, details in grouped_field_set.items():
            field = plain.get(details[0].node.name.value)
            value = GENERAL if field is None else _plain_value(source_value, field)
            if value is GENERAL:
                others[response_name] = details
            else:
                values[response_name] = value
        if not others:
            return values
        results: Any = super().execute_fields(
            parent_type, source_value, path, others, position_context
        )
        if not values:
            return results
        if self.is_awaitable(results):

            async def merged() -> dict[str, Any]:
                return _in_order(grouped_field_set, values, await results)

            return merged()
        return _in_order(grouped_field_set, values, results)


def _in_order(
    grouped_field_set: dict[str, Any], values: dict[str, Any], results: dict[str, Any]
) -> dict[str, Any]:
    """The answers in the document's order (a field the general path left out stays out)."""
    return {
        name: values[name] if name in values else results[name]
        for name in grouped_field_set
        if name in values or name in results
    }
