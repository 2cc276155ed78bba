"""The domain read of an export: a population of students and the chosen columns.

A population is one division, one group, one MEF of a school, or a whole
school, for a school year (the current one by default). Whatever its size,
the read takes a constant number of SQL statements: the population itself
(structure, school, year), then students with their enrolment, MEF and
division in one query, and, only if a chosen column needs them, the groups
and the legal guardians in one query each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.scopes import enrollment_clause, get_in_reach, school_clause
from api.exports.columns import CellValue, Column, ExportRecord, resolve_columns
from core.errors import NotFound, ValidationFailed
from db.enrollments import Enrollment, EnrollmentGroup
from db.guardians import Guardian, GuardianLink
from db.nomenclatures import Mef
from db.schools import School, SchoolYear, current_year_id_of
from db.structures import Division, Group
from db.students import Sex, Student

EXPORT = Permission.STUDENTS_EXPORT
# Aliased because the scoping clauses may test EnrollmentGroup on their own; once, because an
# alias made per request registers new columns and listeners that SQLAlchemy keeps.
_MEMBERSHIP = aliased(EnrollmentGroup, name="membership")


@dataclass(frozen=True)
class Population:
    """Exactly one of ``division_id``, ``group_id``, ``mef_id`` (with ``school_id``),
    or ``school_id`` alone for the whole school.

    Errors name the query parameters of the export routes: ``division``,
    ``group``, ``mef``, ``school``, ``year``.
    """

    school_id: int | None = None
    division_id: int | None = None
    group_id: int | None = None
    mef_id: int | None = None
    school_year_id: int | None = None
    include_departed: bool = False


@dataclass(frozen=True)
class ExportRow:
    values: tuple[CellValue, ...]
    sex: Sex


@dataclass(frozen=True)
class ExportTable:
    """What the writers need: the population's labels, the columns and the rows."""

    kind: str  # "division", "group", "mef" or "school"
    label: str  # "Division 6A"
    school_name: str
    school_uai: str
    school_city: str
    year_label: str
    slug: str  # ASCII, for file names: "6A", "groupe-ESP2", "mef-6EME", the UAI
    columns: list[Column]
    rows: list[ExportRow]
    school_id: int | None = None
    population_id: int | None = None  # the division, group, MEF or school exported

    @property
    def title(self) -> str:
        """ "Division 6A — Collège Jean Moulin — 2026-2027"."""
        return f"{self.label} — {self.school_name} — {self.year_label}"

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def boys(self) -> int:
        return sum(1 for row in self.rows if row.sex is Sex.M)

    @property
    def girls(self) -> int:
        return sum(1 for row in self.rows if row.sex is Sex.F)

    def filename(self, prefix: str, extension: str) -> str:
        """A safe ASCII file name: ``eleves-6A-2026-2027.csv``."""
        return f"{prefix}-{self.slug}-{self.year_label}.{extension}"


class ColumnDenied(PermissionDenied):
    """A chosen column needs a permission the caller lacks in the population's school."""

    def __init__(self, column: Column, permission: Permission) -> None:
        super().__init__(permission)
        self.column = column
        self.message = (
            f"La colonne « {column.key} » ({column.header}) n'est pas accessible : "
            "elle requiert le droit de consulter les coordonnées des responsables "
            "dans cet établissement."
        )


def ascii_slug(text: str) -> str:
    """``"6e A/B"`` -> ``"6e-A-B"``: letters, digits and dashes only."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "-", stripped).strip("-") or "liste"


@dataclass(frozen=True)
class _Scope:
    kind: str
    label: str
    slug: str
    school: School
    year: SchoolYear
    condition: ColumnElement[bool] | None  # narrows the school's enrolments
    population_id: int


def _chosen(population: Population) -> list[str]:
    return [
        name
        for name, value in (
            ("division", population.division_id),
            ("group", population.group_id),
            ("mef", population.mef_id),
        )
        if value is not None
    ]


async def _structure(
    session: AsyncSession,
    principal: Principal,
    model: type[Division] | type[Group],
    row_id: int,
    school_id: int | None,
) -> tuple[Division | Group, School, SchoolYear]:
    """A division or group in reach, with its school and year; else ``NotFound``."""
    query: Any = (
        select(model, School, SchoolYear)
        .join(School, School.id == model.school_id)
        .join(SchoolYear, SchoolYear.id == model.school_year_id)
        .where(model.id == row_id, school_clause(principal, EXPORT, model.school_id))
    )
    if school_id is not None:
        query = query.where(model.school_id == school_id)
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFound(model.__name__, row_id)
    structure, school, year = found
    return structure, school, year


async def _year(session: AsyncSession, school: School, school_year_id: int | None) -> SchoolYear:
    if school_year_id is None:
        year = await session.scalar(
            select(SchoolYear).where(SchoolYear.id == current_year_id_of(school.id))
        )
        if year is None:
            raise ValidationFailed.single(
                "year", "REQUIRED", "Aucune année scolaire n'est en cours : indiquez l'année."
            )
        return year
    year = await session.scalar(
        select(SchoolYear).where(
            SchoolYear.id == school_year_id, SchoolYear.academy_id == school.academy_id
        )
    )
    if year is None:
        raise NotFound("SchoolYear", school_year_id)
    return year


def _check_year(population: Population, year: SchoolYear, what: str) -> None:
    if population.school_year_id is not None and population.school_year_id != year.id:
        raise ValidationFailed.single(
            "year", "MISMATCH", f"{what} appartient à l'année scolaire {year.label}."
        )


async def _scope(session: AsyncSession, principal: Principal, population: Population) -> _Scope:
    chosen = _chosen(population)
    if len(chosen) > 1:
        raise ValidationFailed.single(
            chosen[1],
            "CONFLICT",
            "Choisissez une seule population : une division, un groupe, un MEF "
            "ou tout l'établissement.",
        )
    if population.division_id is not None:
        division, school, year = await _structure(
            session, principal, Division, population.division_id, population.school_id
        )
        _check_year(population, year, f"La division {division.code}")
        return _Scope(
            "division",
            f"Division {division.code}",
            ascii_slug(division.code),
            school,
            year,
            Enrollment.division_id == division.id,
            division.id,
        )
    if population.group_id is not None:
        group, school, year = await _structure(
            session, principal, Group, population.group_id, population.school_id
        )
        _check_year(population, year, f"Le groupe {group.code}")
        return _Scope(
            "group",
            f"Groupe {group.code}",
            f"groupe-{ascii_slug(group.code)}",
            school,
            year,
            Enrollment.id.in_(
                select(EnrollmentGroup.enrollment_id).where(EnrollmentGroup.group_id == group.id)
            ),
            group.id,
        )
    if population.school_id is None:
        raise ValidationFailed.single(
            "school",
            "REQUIRED",
            "Indiquez l'établissement (pour tous ses élèves ou ceux d'un MEF), "
            "une division ou un groupe.",
        )
    school = await get_in_reach(session, principal, EXPORT, School, population.school_id, School.id)
    year = await _year(session, school, population.school_year_id)
    if population.mef_id is not None:
        mef = await session.get(Mef, population.mef_id)
        if mef is None:
            raise NotFound("Mef", population.mef_id)
        return _Scope(
            "mef",
            f"MEF {mef.short_label}",
            f"mef-{ascii_slug(mef.short_label)}",
            school,
            year,
            Enrollment.mef_id == mef.id,
            mef.id,
        )
    return _Scope(
        "school", "Tous les élèves", ascii_slug(school.uai), school, year, None, school.id
    )


def _check_column_permissions(
    principal: Principal, school_id: int, columns: Sequence[Column]
) -> None:
    granted = principal.permissions_in(school_id)
    for column in columns:
        if column.permission is not None and column.permission not in granted:
            raise ColumnDenied(column, column.permission)


@requires(Permission.STUDENTS_EXPORT)
async def export_rows(
    session: AsyncSession, principal: Principal, population: Population, columns: list[str]
) -> ExportTable:
    """The students of the population with the chosen columns (the default set if none).

    Students present only (no exit date) unless ``include_departed``; sorted
    by name. An id of another school behaves as an unknown id (``NotFound``).
    """
    chosen = resolve_columns(columns)
    scope = await _scope(session, principal, population)
    _check_column_permissions(principal, scope.school.id, chosen)

    conditions: list[ColumnElement[bool]] = [
        enrollment_clause(principal, EXPORT),
        Enrollment.school_id == scope.school.id,
        Enrollment.school_year_id == scope.year.id,
    ]
    if scope.condition is not None:
        conditions.append(scope.condition)
    if not population.include_departed:
        conditions.append(Enrollment.exit_date.is_(None))

    found = (
        await session.execute(
            select(Student, Enrollment, Mef, Division)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(*conditions)
            .order_by(Student.search_name, Student.id)
        )
    ).all()

    group_codes: dict[int, list[str]] = {}
    if found and any(column.needs_groups for column in chosen):
        membership = _MEMBERSHIP
        for enrollment_id, code in await session.execute(
            select(membership.enrollment_id, Group.code)
            .join(Group, Group.id == membership.group_id)
            .where(membership.enrollment_id.in_(select(Enrollment.id).where(*conditions)))
            .order_by(Group.code)
        ):
            group_codes.setdefault(enrollment_id, []).append(code)

    guardians: dict[int, dict[int, Guardian]] = {}
    if found and any(column.needs_guardians for column in chosen):
        for student_id, rank, guardian in await session.execute(
            select(GuardianLink.student_id, GuardianLink.legal_rank, Guardian)
            .join(Guardian, Guardian.id == GuardianLink.guardian_id)
            .where(
                GuardianLink.legal_rank.in_([1, 2]),
                GuardianLink.student_id.in_(select(Enrollment.student_id).where(*conditions)),
            )
        ):
            if rank is not None:
                guardians.setdefault(student_id, {})[rank] = guardian

    rows = []
    for student, enrollment, mef, division in found:
        record = ExportRecord(
            student=student,
            enrollment=enrollment,
            mef=mef,
            division=division,
            group_codes=group_codes.get(enrollment.id, []),
            guardians=guardians.get(student.id, {}),
        )
        rows.append(
            ExportRow(values=tuple(column.read(record) for column in chosen), sex=student.sex)
        )
    return ExportTable(
        kind=scope.kind,
        label=scope.label,
        school_name=scope.school.name,
        school_uai=scope.school.uai,
        school_city=scope.school.city,
        year_label=scope.year.label,
        slug=scope.slug,
        columns=chosen,
        rows=rows,
        school_id=scope.school.id,
        population_id=scope.population_id,
    )
