"""MEFs and subjects: the national lists, or the subset a school has profiled."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import school_clause
from core.errors import NotFound
from db.nomenclatures import Mef, SchoolMef, SchoolSubject, Subject
from db.schools import School


async def _check_school(session: AsyncSession, principal: Principal, school_id: int) -> None:
    visible = await session.scalar(
        select(School.id).where(
            School.id == school_id,
            school_clause(principal, Permission.NOMENCLATURES_READ, School.id),
        )
    )
    if visible is None:
        raise NotFound("School", school_id)


@requires(Permission.NOMENCLATURES_READ)
async def list_mefs(
    session: AsyncSession, principal: Principal, school_id: int | None = None
) -> list[Mef]:
    query = select(Mef).order_by(Mef.code)
    if school_id is not None:
        await _check_school(session, principal, school_id)
        query = query.join(SchoolMef, SchoolMef.mef_id == Mef.id).where(
            SchoolMef.school_id == school_id
        )
    return list(await session.scalars(query))


@requires(Permission.NOMENCLATURES_READ)
async def list_subjects(
    session: AsyncSession, principal: Principal, school_id: int | None = None
) -> list[Subject]:
    query = select(Subject).order_by(Subject.code)
    if school_id is not None:
        await _check_school(session, principal, school_id)
        query = query.join(SchoolSubject, SchoolSubject.subject_id == Subject.id).where(
            SchoolSubject.school_id == school_id
        )
    return list(await session.scalars(query))


async def mefs_with_ids(session: AsyncSession, mef_ids: list[int]) -> list[Mef]:
    """The MEFs among ``mef_ids``, unguarded: for the batch loaders that complete rows a
    guarded read has already let the caller see (an enrolment's MEF)."""
    return list(await session.scalars(select(Mef).where(Mef.id.in_(mef_ids))))


async def subjects_with_ids(session: AsyncSession, subject_ids: list[int]) -> list[Subject]:
    """The subjects among ``subject_ids``, unguarded (see ``mefs_with_ids``)."""
    return list(await session.scalars(select(Subject).where(Subject.id.in_(subject_ids))))
