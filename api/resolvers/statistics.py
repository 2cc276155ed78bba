"""Headcount statistics of a school (or of every school in reach) for a year."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause
from core.errors import NotFound
from db.enrollments import Enrollment, Regime
from db.nomenclatures import Mef
from db.schools import SchoolYear, SchoolYearState, current_year_id_of
from db.structures import Division
from db.students import Sex, Student


class HeadcountDimension(enum.StrEnum):
    MEF = "mef"
    DIVISION = "division"
    SEX = "sex"
    AGE = "age"
    REGIME = "regime"


REGIME_LABELS = {
    Regime.EXTERNE: "Externe",
    Regime.DEMI_PENSIONNAIRE: "Demi-pensionnaire",
    Regime.INTERNE: "Interne",
}
SEX_LABELS = {Sex.M: "Garçons", Sex.F: "Filles"}


@dataclass
class HeadcountRow:
    key: str
    label: str
    total: int
    boys: int
    girls: int


def _dimension_columns(
    dimension: HeadcountDimension, start_year: int
) -> tuple[Any, Any, list[Any]]:
    """(key, label, order) expressions for a dimension."""
    if dimension is HeadcountDimension.MEF:
        return Mef.code, Mef.short_label, [Mef.code]
    if dimension is HeadcountDimension.DIVISION:
        key = func.coalesce(Division.code, literal(""))
        return key, key, [key]
    if dimension is HeadcountDimension.SEX:
        return Student.sex, Student.sex, [Student.sex]
    if dimension is HeadcountDimension.AGE:
        # Age reached on 31 December of the school year's first calendar year,
        # the convention of the national headcount surveys.
        age = literal(start_year) - extract("year", Student.birth_date)
        return age, age, [age]
    return Enrollment.regime, Enrollment.regime, [Enrollment.regime]


@requires(Permission.STATISTICS_READ)
async def headcounts(
    session: AsyncSession,
    principal: Principal,
    school_id: int | None,
    school_year_id: int | None,
    dimension: HeadcountDimension | str,
) -> list[HeadcountRow]:
    """Students present (not departed) by the dimension; ``school_id`` None means every school in reach."""
    dimension = HeadcountDimension(dimension)
    if school_year_id is None:
        academy_current = (
            select(SchoolYear.id)
            .where(
                SchoolYear.academy_id == principal.academy_id,
                SchoolYear.state == SchoolYearState.CURRENT,
            )
            .scalar_subquery()
        )
        # A school's own current year (it may have switched before its académie); a school of
        # another académie counts nothing in this one's year, as before it had a year of its own.
        year = await session.scalar(
            select(SchoolYear)
            .where(
                SchoolYear.academy_id == principal.academy_id,
                SchoolYear.id.in_(
                    [current_year_id_of(school_id), academy_current]
                    if school_id is not None
                    else [academy_current]
                ),
            )
            .order_by(SchoolYear.start_year.desc())
            .limit(1)
        )
    else:
        year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    key, label, order = _dimension_columns(dimension, year.start_year)
    query = (
        select(
            key,
            label,
            func.count(),
            func.sum(case((Student.sex == Sex.M, 1), else_=0)),
            func.sum(case((Student.sex == Sex.F, 1), else_=0)),
        )
        .select_from(Enrollment)
        .join(Student, Student.id == Enrollment.student_id)
        .join(Mef, Mef.id == Enrollment.mef_id)
        .outerjoin(Division, Division.id == Enrollment.division_id)
        .where(
            Enrollment.school_year_id == year.id,
            Enrollment.exit_date.is_(None),
            enrollment_clause(principal, Permission.STATISTICS_READ),
        )
        .group_by(key, label)
        .order_by(*order)
    )
    if school_id is not None:
        query = query.where(Enrollment.school_id == school_id)
    rows = (await session.execute(query)).all()
    return [_row(dimension, k, lbl, total, boys, girls) for k, lbl, total, boys, girls in rows]


def _row(
    dimension: HeadcountDimension,
    key: Any,
    label: Any,
    total: int,
    boys: int | None,
    girls: int | None,
) -> HeadcountRow:
    if dimension is HeadcountDimension.SEX:
        text = SEX_LABELS[Sex(key)]
    elif dimension is HeadcountDimension.REGIME:
        text = REGIME_LABELS[Regime(key)]
    elif dimension is HeadcountDimension.AGE:
        key = int(key)
        text = f"{key} ans"
    elif dimension is HeadcountDimension.DIVISION and not key:
        text = "Sans division"
    else:
        text = str(label)
    return HeadcountRow(
        key=str(getattr(key, "value", key)),
        label=text,
        total=total,
        boys=int(boys or 0),
        girls=int(girls or 0),
    )
