"""Field-level permissions, declared on the field they protect and enforced by the schema.

``strawberry.field(extensions=restricted(Permission.X))`` makes a field
resolve to null unless the caller holds the permission in the school through
which the object was reached (a student's enrolments in reach; a guardian
through the student they are linked to). The check is batched per request
(one query per permission, see ``api.auth.scopes.student_permissions``).
``permission_table`` reads the declarations back from the schema: the portal
and the generated permissions document use it, so there is one list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.guardians import GuardianView
from db.students import Student

# Every permission some field is restricted to: the ones a request's loader checks.
GUARDED: set[Permission] = set()


class Restricted(FieldExtension):
    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        GUARDED.add(permission)

    async def resolve_async(
        self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        if not await allowed(info, source, self.permission):
            return None
        result = next_(source, info, **kwargs)
        return await result if isawaitable(result) else result


def restricted(permission: Permission) -> list[FieldExtension]:
    return [Restricted(permission)]


def subject_student(source: Any) -> int | None:
    """The student through whom an object is reached, if any."""
    if isinstance(source, Student):
        return source.id
    if isinstance(source, GuardianView) and source.link is not None:
        return source.link.student_id
    return None


def uniform_answer(principal: Principal, permission: Permission) -> bool | None:
    """True or False when the answer is the same for every student the caller reads (most
    callers: no query at all); None when it depends on the student's school."""
    if not principal.has(permission):
        return False
    if principal.academy_wide(permission):
        return True
    if principal.academy_wide(Permission.STUDENTS_READ):
        return None
    readable = principal.school_ids(Permission.STUDENTS_READ)
    return True if readable <= principal.school_ids(permission) else None


async def allowed(info: Any, source: Any, permission: Permission) -> bool:
    principal = info.context.principal
    uniform = uniform_answer(principal, permission)
    if uniform is not None:
        return uniform
    student_id = subject_student(source)
    if student_id is None:
        # Written just now by this caller, who could write it only with consultation rights.
        return True
    granted: Awaitable[frozenset[Permission]] = info.context.loaders.student_permissions.load(
        student_id
    )
    return permission in await granted


def permission_table(schema: strawberry.Schema) -> dict[tuple[str, str], Permission]:
    """(GraphQL type, GraphQL field) -> permission, for every restricted field of the schema."""
    table: dict[tuple[str, str], Permission] = {}
    converter = schema.config.name_converter
    for name, graphql_type in schema._schema.type_map.items():
        definition = (getattr(graphql_type, "extensions", None) or {}).get("strawberry-definition")
        for field in getattr(definition, "fields", []):
            for extension in field.extensions:
                if isinstance(extension, Restricted):
                    table[(name, converter.get_graphql_name(field))] = extension.permission
    return table
