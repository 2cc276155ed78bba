"""Per-request GraphQL context: the request's unit of work (its caller, its read session)
and the DataLoaders over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol

from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from api.auth.principal import PermissionDenied, Principal
from api.resolvers import enrollments, guardians, nomenclatures, schools, structures
from api.resolvers.work import DomainFunction, LoadFunction, Work
from api.settings import Settings
from core.errors import NotFound, ValidationFailed
from db.nomenclatures import Mef, Subject
from db.schools import School, SchoolYear
from db.structures import Division

P = ParamSpec("P")


class _Row(Protocol):
    id: int


def _by_id(work: Work, fn: LoadFunction[[list[int]], Sequence[_Row]]) -> DataLoader[int, Any]:
    """Rows by id, None for an id not found (DataLoader's contract: one value per key)."""

    async def load(ids: Sequence[int]) -> list[Any]:
        rows = {row.id: row for row in await work.load(fn, list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _batch(work: Work, fn: LoadFunction[[list[int]], list[Any]]) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        return await work.load(fn, list(ids))

    return DataLoader(load_fn=load)


def _headcounts(work: Work, fn: LoadFunction[[list[int]], dict[int, int]]) -> DataLoader[int, int]:
    async def load(ids: Sequence[int]) -> list[int]:
        counts = await work.load(fn, list(ids))
        return [counts.get(i, 0) for i in ids]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """One set per request, so that cached rows never leak between callers.

    Each batch runs in the request's read session, through its unit of work (which lets one
    statement run at a time while Strawberry resolves sibling fields concurrently).
    """

    work: Work
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
        work = self.work
        self.school = _by_id(work, schools.schools_with_ids)
        self.school_year = _by_id(work, schools.school_years_with_ids)
        self.mef = _by_id(work, nomenclatures.mefs_with_ids)
        self.subject = _by_id(work, nomenclatures.subjects_with_ids)
        self.division = _by_id(work, structures.divisions_with_ids)

        async def guardian_cards(ids: Sequence[int]) -> list[Any]:
            # Guarded: which guardians and fields the caller sees depends on its rights.
            return await work.read(guardians.guardian_cards_for_students, list(ids))

        self.guardians_of_student = DataLoader(load_fn=guardian_cards)
        self.enrollments_of_student = _batch(work, enrollments.enrollments_for_students)
        self.groups_of_enrollment = _batch(work, enrollments.groups_for_enrollments)
        self.mefs_of_division = _batch(work, structures.mefs_for_divisions)
        self.divisions_of_group = _batch(work, structures.divisions_for_groups)
        self.division_headcount = _headcounts(work, structures.division_headcounts)
        self.group_headcount = _headcounts(work, structures.group_headcounts)


@dataclass
class Context:
    work: Work
    loaders: Loaders
    # The secret key (sealed activation codes) and the families portal's address.
    settings: Settings

    @property
    def principal(self) -> Principal:
        return self.work.principal


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


async def read(info: Info, fn: DomainFunction[P, Any], *args: P.args, **kwargs: P.kwargs) -> Any:
    """Calls a domain read function through the request's unit of work.

    Returns ``Any``: this is where database rows become the roots of GraphQL
    objects, whose fields Strawberry reads by name.
    """
    try:
        return await info.context.work.read(fn, *args, **kwargs)
    except (PermissionDenied, NotFound, ValidationFailed) as exc:
        raise graphql_error(exc) from exc


async def read_or_none(
    info: Info, fn: DomainFunction[P, Any], *args: P.args, **kwargs: P.kwargs
) -> Any:
    """Like ``read``, but an id out of reach gives null, as an unknown id does."""
    try:
        return await info.context.work.read(fn, *args, **kwargs)
    except NotFound:
        return None
    except PermissionDenied as exc:
        raise graphql_error(exc) from exc
