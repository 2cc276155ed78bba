"""Schools and school years the caller may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach, school_clause
from core.errors import NotFound
from db.schools import School, SchoolYear, SchoolYearState


@requires(Permission.STRUCTURES_READ)
async def visible_schools(session: AsyncSession, principal: Principal) -> list[School]:
    rows = await session.scalars(
        select(School)
        .where(school_clause(principal, Permission.STRUCTURES_READ, School.id))
        .order_by(School.uai)
    )
    return list(rows)


@requires(Permission.STRUCTURES_READ)
async def school_by_uai(session: AsyncSession, principal: Principal, uai: str) -> School:
    school = await session.scalar(
        select(School).where(
            School.uai == uai.strip().upper(),
            school_clause(principal, Permission.STRUCTURES_READ, School.id),
        )
    )
    if school is None:
        raise NotFound("School", uai)
    return school


@requires(Permission.STRUCTURES_READ)
async def get_school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    return await get_in_reach(
        session, principal, Permission.STRUCTURES_READ, School, school_id, School.id
    )


async def school_years(session: AsyncSession, principal: Principal) -> list[SchoolYear]:
    rows = await session.scalars(
        select(SchoolYear)
        .where(SchoolYear.academy_id == principal.academy_id)
        .order_by(SchoolYear.start_year.desc())
    )
    return list(rows)


async def current_school_year(session: AsyncSession, principal: Principal) -> SchoolYear:
    year = await session.scalar(
        select(SchoolYear).where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.state == SchoolYearState.CURRENT,
        )
    )
    if year is None:
        raise NotFound("SchoolYear", "current")
    return year


async def get_school_year(
    session: AsyncSession, principal: Principal, school_year_id: int
) -> SchoolYear:
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    return year


async def schools_with_ids(session: AsyncSession, school_ids: list[int]) -> list[School]:
    """The schools among ``school_ids``, unguarded: for the batch loaders that complete rows a
    guarded read has already let the caller see."""
    return list(await session.scalars(select(School).where(School.id.in_(school_ids))))


async def school_years_with_ids(session: AsyncSession, year_ids: list[int]) -> list[SchoolYear]:
    """The school years among ``year_ids``, unguarded (see ``schools_with_ids``)."""
    return list(await session.scalars(select(SchoolYear).where(SchoolYear.id.in_(year_ids))))
