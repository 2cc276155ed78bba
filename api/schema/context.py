"""Per-request GraphQL context: the principal, a read session and the DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec

from graphql import GraphQLError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from api.auth.principal import PermissionDenied, Principal
from api.resolvers import enrollments, guardians, structures
from api.settings import Settings
from core.errors import NotFound, ValidationFailed
from db.nomenclatures import Mef, Subject
from db.schools import School, SchoolYear
from db.structures import Division

P = ParamSpec("P")


def _by_id_loader(session: AsyncSession, lock: asyncio.Lock, model: Any) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        async with lock:
            found = await session.scalars(select(model).where(model.id.in_(ids)))
        rows = {row.id: row for row in found}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _batch(
    session: AsyncSession,
    lock: asyncio.Lock,
    fn: Callable[[AsyncSession, list[int]], Awaitable[list[Any]]],
) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        async with lock:
            return await fn(session, list(ids))

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """One set per request, so that cached rows never leak between callers.

    Strawberry resolves sibling fields concurrently, but a session runs one
    statement at a time: ``lock`` serialises every use of the request's session.
    """

    session: AsyncSession
    principal: Principal
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    school: DataLoader[int, School] = field(init=False)
    school_year: DataLoader[int, SchoolYear] = field(init=False)
    mef: DataLoader[int, Mef] = field(init=False)
    subject: DataLoader[int, Subject] = field(init=False)
    division: DataLoader[int, Division] = field(init=False)
    guardians_of_student: DataLoader[int, list[guardians.GuardianLinkCard]] = field(init=False)
    enrollments_of_student: DataLoader[int, list[Any]] = field(init=False)
    groups_of_enrollment: DataLoader[int, list[Any]] = field(init=False)
    mefs_of_division: DataLoader[int, list[Mef]] = field(init=False)
    divisions_of_group: DataLoader[int, list[Division]] = field(init=False)
    division_headcount: DataLoader[int, int] = field(init=False)
    group_headcount: DataLoader[int, int] = field(init=False)

    def __post_init__(self) -> None:
        s, lock = self.session, self.lock
        self.school = _by_id_loader(s, lock, School)
        self.school_year = _by_id_loader(s, lock, SchoolYear)
        self.mef = _by_id_loader(s, lock, Mef)
        self.subject = _by_id_loader(s, lock, Subject)
        self.division = _by_id_loader(s, lock, Division)

        async def guardian_cards(session: AsyncSession, ids: list[int]) -> list[Any]:
            return await guardians.guardian_cards_for_students(session, self.principal, ids)

        async def headcounts_of(
            counter: Callable[[AsyncSession, list[int]], Awaitable[dict[int, int]]],
            session: AsyncSession,
            ids: list[int],
        ) -> list[int]:
            counts = await counter(session, ids)
            return [counts.get(i, 0) for i in ids]

        self.guardians_of_student = _batch(s, lock, guardian_cards)
        self.enrollments_of_student = _batch(s, lock, enrollments.enrollments_for_students)
        self.groups_of_enrollment = _batch(s, lock, enrollments.groups_for_enrollments)
        self.mefs_of_division = _batch(s, lock, structures.mefs_for_divisions)
        self.divisions_of_group = _batch(s, lock, structures.divisions_for_groups)
        self.division_headcount = _batch(
            s,
            lock,
            lambda session, ids: headcounts_of(structures.division_headcounts, session, ids),
        )
        self.group_headcount = _batch(
            s, lock, lambda session, ids: headcounts_of(structures.group_headcounts, session, ids)
        )


@dataclass
class Context:
    principal: Principal
    session: AsyncSession
    sessionmaker: async_sessionmaker[AsyncSession]
    loaders: Loaders
    # The secret key (sealed activation codes) and the families portal's address.
    settings: Settings


Info = StrawberryInfo[Context, None]


def graphql_error(exc: Exception) -> GraphQLError:
    if isinstance(exc, PermissionDenied):
        return GraphQLError(
            "Accès refusé", extensions={"code": "FORBIDDEN", "permission": exc.permission.value}
        )
    if isinstance(exc, NotFound):
        return GraphQLError(str(exc), extensions={"code": "NOT_FOUND"})
    if isinstance(exc, ValidationFailed):
        # A read's bad argument (a page size, a period): the first error names it.
        first = exc.errors[0]
        return GraphQLError(
            first.message,
            extensions={"code": "BAD_USER_INPUT", "field": first.field, "reason": first.code},
        )
    raise exc


async def read(
    info: Info,
    fn: Callable[Concatenate[AsyncSession, Principal, P], Awaitable[Any]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Any:
    """Calls a domain read function with the request's session and principal.

    Returns ``Any``: this is where database rows become the roots of GraphQL
    objects, whose fields Strawberry reads by name.
    """
    try:
        async with info.context.loaders.lock:
            return await fn(info.context.session, info.context.principal, *args, **kwargs)
    except (PermissionDenied, NotFound, ValidationFailed) as exc:
        raise graphql_error(exc) from exc


async def read_or_none(
    info: Info,
    fn: Callable[Concatenate[AsyncSession, Principal, P], Awaitable[Any]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Any:
    """Like ``read``, but an id out of reach gives null, as an unknown id does."""
    try:
        async with info.context.loaders.lock:
            return await fn(info.context.session, info.context.principal, *args, **kwargs)
    except NotFound:
        return None
    except PermissionDenied as exc:
        raise graphql_error(exc) from exc
