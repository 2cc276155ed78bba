"""The school and year a finance call is about, in the caller's reach for a permission: an
id out of reach reads as unknown."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission
from api.auth.principal import Principal
from core.errors import NotFound
from db.finances import FamilyAccount, FinanceTerm
from db.schools import School, SchoolYear


async def school_in_reach(
    session: AsyncSession, principal: Principal, school_id: int, permission: Permission
) -> School:
    school = await session.get(School, school_id)
    if (
        school is None
        or school.academy_id != principal.academy_id
        or permission not in principal.permissions_in(school.id)
    ):
        raise NotFound("School", school_id)
    return school


async def year_of_academy(
    session: AsyncSession, principal: Principal, school_year_id: int
) -> SchoolYear:
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    return year


async def term_in_reach(
    session: AsyncSession, principal: Principal, term_id: int, permission: Permission
) -> FinanceTerm:
    term = await session.get(FinanceTerm, term_id)
    if term is None:
        raise NotFound("FinanceTerm", term_id)
    try:
        await school_in_reach(session, principal, term.school_id, permission)
    except NotFound:
        raise NotFound("FinanceTerm", term_id) from None
    return term


async def account_in_reach(
    session: AsyncSession, principal: Principal, account_id: int, permission: Permission
) -> FamilyAccount:
    account = await session.get(FamilyAccount, account_id)
    if account is None:
        raise NotFound("FamilyAccount", account_id)
    try:
        await school_in_reach(session, principal, account.school_id, permission)
    except NotFound:
        raise NotFound("FamilyAccount", account_id) from None
    return account
