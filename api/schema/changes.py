"""The change feed (``api.resolvers.changes``) in GraphQL: each change names its row as the
API already gives it (its type and id) and its fields by their names in that type.

A column of the audit log is shown when the row's GraphQL type has a field of that name (or
of that name without ``_id``: ``divisionId`` is the field ``division``, whose value is then the
division's id); the domain has already left out the restricted fields the caller may not
read. Enum values are given as the API writes them (``DEMI_PENSIONNAIRE``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.base import StrawberryContainer, StrawberryObjectDefinition
from strawberry.types.enum import StrawberryEnumDefinition

from api.resolvers import changes as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain

ChangeAction = strawberry.enum(resolvers.ChangeAction)


@strawberry.type(
    description="A field's new value, as the field gives it; for a field holding "
    "an object (division, address), the object's id."
)
class ChangedValue:
    field: str
    value: JSON | None


@strawberry.type(
    description="A row created, updated or deleted: read it again with its type's query (a "
    "deleted row is gone)."
)
class Change:
    entity: str = strawberry.field(
        description="The row's GraphQL type: Student, Enrollment, Guardian, GuardianLink, "
        "Address, Division, Group, AbsenceEvent. A group joined or left is a change of the "
        "Enrollment's groups (their ids as they are now)."
    )
    id: int
    student_id: int | None = strawberry.field(
        description="The student the row belongs to: an enrolment's, a guardian link's, an "
        "absence's (read him with student(id))."
    )
    action: ChangeAction  # type: ignore[valid-type]
    at: datetime.datetime
    fields: list[str] = strawberry.field(
        description="The fields that changed (of a created row: all), among those the caller "
        "may read; empty for a deletion."
    )
    values: list[ChangedValue]


@strawberry.type
@from_domain
class ChangeConnection(resolvers.ChangePage):
    changes: list[Any] = strawberry.field(graphql_type=list[Change])
    cursor: str = strawberry.field(description="Ask for the next changes after this one.")
    has_more: bool = strawberry.field(
        description="More entries of the log wait: ask again at once (a page may hold few or "
        "no changes and still have more after it)."
    )


@dataclass(frozen=True)
class _Field:
    name: str
    enum_names: dict[Any, str] | None


_FIELDS: dict[str, dict[str, _Field]] = {}


def _enum_names(field_type: Any) -> dict[Any, str] | None:
    while isinstance(field_type, StrawberryContainer):
        field_type = field_type.of_type
    if isinstance(field_type, StrawberryEnumDefinition):
        return {value.value: value.name for value in field_type.values}
    return None


def _fields_of(info: Info, type_name: str) -> dict[str, _Field]:
    """Column -> the field of the GraphQL type that shows it."""
    if type_name not in _FIELDS:
        definition = info.schema.get_type_by_name(type_name)
        assert isinstance(definition, StrawberryObjectDefinition)
        converter = info.schema.config.name_converter
        by_column: dict[str, _Field] = {}
        for field in definition.fields:
            shown = _Field(converter.get_graphql_name(field), _enum_names(field.type))
            by_column.setdefault(field.python_name, shown)
            by_column.setdefault(f"{field.python_name}_id", shown)
        _FIELDS[type_name] = by_column
    return _FIELDS[type_name]


def _change(info: Info, change: resolvers.Change) -> Change | None:
    """The change as GraphQL shows it; None for an update of no field the type shows."""
    fields = _fields_of(info, change.entity)
    values = []
    for column, value in change.values.items():
        shown = fields.get(column)
        if shown is None:
            continue
        if shown.enum_names is not None and value is not None:
            value = shown.enum_names.get(value, value)
        values.append(ChangedValue(field=shown.name, value=value))
    if change.action is resolvers.ChangeAction.UPDATED and not values:
        return None
    return Change(
        entity=change.entity,
        id=change.id,
        student_id=change.student_id,
        action=change.action,
        at=change.at,
        fields=[v.field for v in values],
        values=values,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="What changed in your reach after a cursor, in the audit log's order: "
        "students, enrolments, guardians and their links and addresses, divisions, groups, "
        "absences (each with the right to read it). Start with changeFeedCursor, read "
        "everything, then follow. first: 1 to 500."
    )
    async def changes(
        self, info: Info, after: str | None = None, first: int = 100
    ) -> ChangeConnection:
        page = await read(
            info, resolvers.changes_after, info.context.settings.secret_key, after, first
        )
        return ChangeConnection(
            changes=[shown for change in page.changes if (shown := _change(info, change))],
            cursor=page.cursor,
            has_more=page.has_more,
        )

    @strawberry.field(
        description="The change feed's current position: take it before reading everything, "
        "then ask for changes after it."
    )
    async def change_feed_cursor(self, info: Info) -> str:
        cursor: str = await read(
            info, resolvers.change_feed_start, info.context.settings.secret_key
        )
        return cursor
