"""Field-level permissions, declared on the field of the domain object they protect.

A student's identity (INE, birth place) and a guardian's contacts are shown only to callers
holding the permission in the school through which the student is reached::

    @dataclass(kw_only=True)
    class StudentCard:
        ine: str | None = restricted_to(Permission.STUDENTS_IDENTITY_READ)

The domain function that builds such objects calls ``hide_unpermitted`` once for the whole
list: the decision is taken per request when it is the same for every student (most
callers: no query at all), else per student with one query per permission. What leaves the
domain is already masked, so every reader (GraphQL, the portals, the exports) shows the same
and no field is checked again one by one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import student_permissions

PERMISSION_KEY = "sconet.permission"
T = TypeVar("T")


def restricted_to(permission: Permission) -> Any:
    """A dataclass field, null unless the caller holds ``permission`` for the object's
    student (the domain object's dataclass must be ``kw_only``: the field has a default)."""
    return dataclasses.field(default=None, metadata={PERMISSION_KEY: permission})


def restricted_fields(cls: type) -> dict[str, Permission]:
    """Field name -> permission, for each restricted field of a domain dataclass."""
    if not dataclasses.is_dataclass(cls):
        return {}
    return {
        f.name: f.metadata[PERMISSION_KEY]
        for f in dataclasses.fields(cls)
        if PERMISSION_KEY in f.metadata
    }


def uniform_answer(principal: Principal, permission: Permission) -> bool | None:
    """True or False when the answer is the same for every student the caller reads; None
    when it depends on the student's school."""
    if not principal.has(permission):
        return False
    if principal.academy_wide(permission):
        return True
    if principal.academy_wide(Permission.STUDENTS_READ):
        return None
    readable = principal.school_ids(Permission.STUDENTS_READ)
    return True if readable <= principal.school_ids(permission) else None


async def hide_unpermitted(
    session: AsyncSession,
    principal: Principal,
    objects: Sequence[T],
    student_of: Callable[[T], int],
) -> None:
    """Nulls, in place, every restricted field of ``objects`` (all of one dataclass) that the
    caller may not see through the object's student."""
    if not objects:
        return
    restricted = restricted_fields(type(objects[0]))
    decided = {p: uniform_answer(principal, p) for p in set(restricted.values())}
    varying = sorted(p for p, answer in decided.items() if answer is None)
    granted: dict[int, frozenset[Permission]] = {}
    if varying:
        ids = sorted({student_of(o) for o in objects})
        answers = await student_permissions(session, principal, ids, varying)
        granted = dict(zip(ids, answers, strict=True))
    hidden_everywhere = [name for name, p in restricted.items() if decided[p] is False]
    per_student = [(name, p) for name, p in restricted.items() if decided[p] is None]
    for item in objects:
        for name in hidden_everywhere:
            setattr(item, name, None)
        if per_student:
            held = granted[student_of(item)]
            for name, permission in per_student:
                if permission not in held:
                    setattr(item, name, None)
