"""The schema's field permissions, read back from the domain objects that declare them.

A restricted field is declared once, on the domain dataclass (``restricted_to`` in
``api.auth.field_permissions``), and masked by the domain when the object is built; the
GraphQL type derived from that dataclass shows what it is given. ``permission_table`` reads
the declarations through the schema's types: the portal and the generated permissions
document use it, so there is one list.
"""

from __future__ import annotations

from typing import Any

import strawberry

from api.auth.field_permissions import restricted_fields
from api.auth.permissions import Permission
from api.schema.domain import domain_of


def permission_table(schema: strawberry.Schema) -> dict[tuple[str, str], Permission]:
    """(GraphQL type, GraphQL field) -> permission, for every restricted field of the schema."""
    table: dict[tuple[str, str], Permission] = {}
    converter = schema.config.name_converter
    for name, graphql_type in schema._schema.type_map.items():
        definition: Any = (getattr(graphql_type, "extensions", None) or {}).get(
            "strawberry-definition"
        )
        if not hasattr(definition, "fields"):
            continue  # a scalar or an enum
        domain = domain_of(definition.origin)
        restricted = restricted_fields(domain) if domain is not None else {}
        for field in definition.fields:
            if field.python_name in restricted:
                table[(name, converter.get_graphql_name(field))] = restricted[field.python_name]
    return table
