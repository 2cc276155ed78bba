"""Divisions and groups of a school for a year, with their headcounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.fields import FieldParser
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from db.absences import RollCall
from db.enrollments import Enrollment, EnrollmentGroup
from db.grades import Assessment
from db.nomenclatures import Mef, SchoolMef, SchoolSubject
from db.schools import School, SchoolYear, current_year_id_of
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment
from db.teleservices import PublicationDeadline

CODE_PATTERN = re.compile(r"^[0-9A-Za-zÀ-ÿ][0-9A-Za-zÀ-ÿ _\-]{0,7}$")


@dataclass(frozen=True)
class DivisionSummary:
    division: Division
    headcount: int
    mef_labels: list[str]


@dataclass(frozen=True)
class GroupSummary:
    group: Group
    headcount: int
    division_codes: list[str]


async def _school(
    session: AsyncSession, principal: Principal, permission: Permission, school_id: int
) -> School:
    return await get_in_reach(session, principal, permission, School, school_id, School.id)


async def _year(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int | None
) -> SchoolYear:
    if school_year_id is None:
        year = await session.scalar(
            select(SchoolYear).where(SchoolYear.id == current_year_id_of(school_id))
        )
    else:
        year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    return year


def present_today() -> ColumnElement[bool]:
    """Enrolments still on the lists today: a departure counts from its date on."""
    return or_(Enrollment.exit_date.is_(None), Enrollment.exit_date > clock.today())


async def division_headcounts(session: AsyncSession, division_ids: list[int]) -> dict[int, int]:
    """Students currently in each division (those who left are not counted)."""
    if not division_ids:
        return {}
    rows = await session.execute(
        select(Enrollment.division_id, func.count())
        .where(Enrollment.division_id.in_(division_ids), present_today())
        .group_by(Enrollment.division_id)
    )
    return {division_id: count for division_id, count in rows if division_id is not None}


async def group_headcounts(session: AsyncSession, group_ids: list[int]) -> dict[int, int]:
    if not group_ids:
        return {}
    rows = await session.execute(
        select(EnrollmentGroup.group_id, func.count())
        .join(Enrollment, Enrollment.id == EnrollmentGroup.enrollment_id)
        .where(EnrollmentGroup.group_id.in_(group_ids), present_today())
        .group_by(EnrollmentGroup.group_id)
    )
    return dict(rows.all())


@requires(Permission.STRUCTURES_READ)
async def list_divisions(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int | None = None
) -> list[DivisionSummary]:
    await _school(session, principal, Permission.STRUCTURES_READ, school_id)
    year = await _year(session, principal, school_id, school_year_id)
    divisions = list(
        await session.scalars(
            select(Division)
            .where(Division.school_id == school_id, Division.school_year_id == year.id)
            .order_by(Division.code)
        )
    )
    ids = [d.id for d in divisions]
    counts = await division_headcounts(session, ids)
    labels: dict[int, list[str]] = {}
    if ids:
        for division_id, label in await session.execute(
            select(DivisionMef.division_id, Mef.short_label)
            .join(Mef, Mef.id == DivisionMef.mef_id)
            .where(DivisionMef.division_id.in_(ids))
            .order_by(Mef.code)
        ):
            labels.setdefault(division_id, []).append(label)
    return [DivisionSummary(d, counts.get(d.id, 0), labels.get(d.id, [])) for d in divisions]


@requires(Permission.STRUCTURES_READ)
async def list_groups(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int | None = None
) -> list[GroupSummary]:
    await _school(session, principal, Permission.STRUCTURES_READ, school_id)
    year = await _year(session, principal, school_id, school_year_id)
    groups = list(
        await session.scalars(
            select(Group)
            .where(Group.school_id == school_id, Group.school_year_id == year.id)
            .order_by(Group.code)
        )
    )
    ids = [g.id for g in groups]
    counts = await group_headcounts(session, ids)
    codes: dict[int, list[str]] = {}
    if ids:
        for group_id, code in await session.execute(
            select(GroupDivision.group_id, Division.code)
            .join(Division, Division.id == GroupDivision.division_id)
            .where(GroupDivision.group_id.in_(ids))
            .order_by(Division.code)
        ):
            codes.setdefault(group_id, []).append(code)
    return [GroupSummary(g, counts.get(g.id, 0), codes.get(g.id, [])) for g in groups]


@requires(Permission.STRUCTURES_READ)
async def get_division(session: AsyncSession, principal: Principal, division_id: int) -> Division:
    return await get_in_reach(
        session, principal, Permission.STRUCTURES_READ, Division, division_id, Division.school_id
    )


@requires(Permission.STRUCTURES_READ)
async def get_group(session: AsyncSession, principal: Principal, group_id: int) -> Group:
    return await get_in_reach(
        session, principal, Permission.STRUCTURES_READ, Group, group_id, Group.school_id
    )


def _ids(raw: Any, field: str) -> list[int]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    try:
        return sorted({int(value) for value in raw})
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.single(field, "INVALID", "Liste d'identifiants invalide.") from exc


async def _parse_structure(
    session: AsyncSession,
    school: School,
    year: SchoolYear,
    data: dict[str, Any],
    kind: type[Division] | type[Group],
    current_id: int | None,
) -> dict[str, Any]:
    p = FieldParser(data)
    noun = "la division" if kind is Division else "le groupe"
    code = p.text(
        "code",
        f"Le code de {noun}",
        required=True,
        max_length=8,
        pattern=CODE_PATTERN,
        pattern_hint=" (8 caractères au plus : lettres, chiffres, tirets)",
    )
    label = p.text("label", f"Le libellé de {noun}", max_length=60)
    try:
        await check_year_writable(session, school.id, year)
    except ValidationFailed as over:
        p.errors += over.errors
    if code is not None:
        taken = await session.scalar(
            select(kind.id).where(
                kind.school_id == school.id, kind.school_year_id == year.id, kind.code == code
            )
        )
        if taken is not None and taken != current_id:
            p.fail(
                "code",
                "DUPLICATE",
                f"Le code {code} est déjà utilisé cette année dans l'établissement.",
            )
    values: dict[str, Any] = {"code": code, "label": label or code}
    p.raise_if_errors()
    return values


async def _check_mefs(
    session: AsyncSession, school_id: int, year: SchoolYear, mef_ids: list[int]
) -> None:
    if not mef_ids:
        raise ValidationFailed.single(
            "mef_ids", "REQUIRED", "Une division doit être rattachée à au moins un MEF."
        )
    profiled = set(
        await session.scalars(
            select(SchoolMef.mef_id).where(
                SchoolMef.school_id == school_id,
                SchoolMef.school_year_id == year.id,
                SchoolMef.mef_id.in_(mef_ids),
            )
        )
    )
    if profiled != set(mef_ids):
        raise ValidationFailed.single(
            "mef_ids", "NOT_PROFILED", "Un des MEF n'est pas proposé par l'établissement."
        )


def _planned_headcount(data: dict[str, Any]) -> int | None:
    raw = data.get("planned_headcount")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not 0 < value <= 60:
        raise ValidationFailed.single(
            "planned_headcount", "OUT_OF_RANGE", "L'effectif prévu doit être compris entre 1 et 60."
        )
    return value


@requires(Permission.STRUCTURES_WRITE)
async def create_division(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> Division:
    school = await _school(
        session, principal, Permission.STRUCTURES_WRITE, int(data.get("school_id") or 0)
    )
    year = await _year(
        session,
        principal,
        school.id,
        int(data["school_year_id"]) if data.get("school_year_id") else None,
    )
    values = await _parse_structure(session, school, year, data, Division, None)
    mef_ids = _ids(data.get("mef_ids"), "mef_ids")
    await _check_mefs(session, school.id, year, mef_ids)
    division = Division(
        school_id=school.id,
        school_year_id=year.id,
        planned_headcount=_planned_headcount(data),
        **values,
    )
    session.add(division)
    await session.flush()
    session.add_all(DivisionMef(division_id=division.id, mef_id=m) for m in mef_ids)
    await session.flush()
    return division


@requires(Permission.STRUCTURES_WRITE)
async def update_division(
    session: AsyncSession, principal: Principal, division_id: int, changes: dict[str, Any]
) -> Division:
    division = await get_in_reach(
        session, principal, Permission.STRUCTURES_WRITE, Division, division_id, Division.school_id
    )
    school = await session.get(School, division.school_id)
    year = await session.get(SchoolYear, division.school_year_id)
    assert school is not None and year is not None
    merged = {
        "code": division.code,
        "label": division.label,
        "planned_headcount": division.planned_headcount,
    } | changes
    values = await _parse_structure(session, school, year, merged, Division, division.id)
    division.planned_headcount = _planned_headcount(merged)
    for field, value in values.items():
        setattr(division, field, value)
    if "mef_ids" in changes:
        mef_ids = _ids(changes["mef_ids"], "mef_ids")
        await _check_mefs(session, school.id, year, mef_ids)
        # A division keeps the MEFs its students follow (their enrolment names one of them).
        followed = await session.scalar(
            select(Mef.short_label)
            .join(Enrollment, Enrollment.mef_id == Mef.id)
            .where(Enrollment.division_id == division.id, Mef.id.not_in(mef_ids))
            .limit(1)
        )
        if followed is not None:
            raise ValidationFailed.single(
                "mef_ids",
                "MEF_IN_USE",
                f"Des élèves de la division suivent le MEF {followed} : il doit y rester.",
            )
        await session.execute(delete(DivisionMef).where(DivisionMef.division_id == division.id))
        session.add_all(DivisionMef(division_id=division.id, mef_id=m) for m in mef_ids)
    await session.flush()
    return division


async def _check_group_links(
    session: AsyncSession, group_school: School, year: SchoolYear, data: dict[str, Any]
) -> tuple[list[int], int | None]:
    errors: list[FieldError] = []
    division_ids = _ids(data.get("division_ids"), "division_ids")
    if division_ids:
        found = set(
            await session.scalars(
                select(Division.id).where(
                    Division.id.in_(division_ids),
                    Division.school_id == group_school.id,
                    Division.school_year_id == year.id,
                )
            )
        )
        if found != set(division_ids):
            errors.append(
                FieldError(
                    "division_ids",
                    "NOT_FOUND",
                    "Une des divisions n'existe pas dans l'établissement pour cette année.",
                )
            )
    subject_id = int(data["subject_id"]) if data.get("subject_id") not in (None, "") else None
    if subject_id is not None:
        profiled = await session.scalar(
            select(SchoolSubject.subject_id).where(
                SchoolSubject.school_id == group_school.id,
                SchoolSubject.school_year_id == year.id,
                SchoolSubject.subject_id == subject_id,
            )
        )
        if profiled is None:
            errors.append(
                FieldError(
                    "subject_id",
                    "NOT_PROFILED",
                    "Cette matière n'est pas proposée par l'établissement.",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return division_ids, subject_id


@requires(Permission.STRUCTURES_WRITE)
async def create_group(session: AsyncSession, principal: Principal, data: dict[str, Any]) -> Group:
    school = await _school(
        session, principal, Permission.STRUCTURES_WRITE, int(data.get("school_id") or 0)
    )
    year = await _year(
        session,
        principal,
        school.id,
        int(data["school_year_id"]) if data.get("school_year_id") else None,
    )
    values = await _parse_structure(session, school, year, data, Group, None)
    division_ids, subject_id = await _check_group_links(session, school, year, data)
    group = Group(school_id=school.id, school_year_id=year.id, subject_id=subject_id, **values)
    session.add(group)
    await session.flush()
    session.add_all(GroupDivision(group_id=group.id, division_id=d) for d in division_ids)
    await session.flush()
    return group


@requires(Permission.STRUCTURES_WRITE)
async def update_group(
    session: AsyncSession, principal: Principal, group_id: int, changes: dict[str, Any]
) -> Group:
    group = await get_in_reach(
        session, principal, Permission.STRUCTURES_WRITE, Group, group_id, Group.school_id
    )
    school = await session.get(School, group.school_id)
    year = await session.get(SchoolYear, group.school_year_id)
    assert school is not None and year is not None
    merged = {"code": group.code, "label": group.label, "subject_id": group.subject_id} | changes
    values = await _parse_structure(session, school, year, merged, Group, group.id)
    division_ids, subject_id = await _check_group_links(session, school, year, merged)
    for field, value in values.items():
        setattr(group, field, value)
    group.subject_id = subject_id
    if "division_ids" in changes:
        await session.execute(delete(GroupDivision).where(GroupDivision.group_id == group.id))
        session.add_all(GroupDivision(group_id=group.id, division_id=d) for d in division_ids)
    await session.flush()
    return group


async def _check_writable(session: AsyncSession, structure: Division | Group) -> None:
    year = await session.get(SchoolYear, structure.school_year_id)
    assert year is not None
    await check_year_writable(session, structure.school_id, year, "id")


async def _refuse_if_used(
    session: AsyncSession, refusal: str, enrolled: int, column: Any, structure_id: int
) -> None:
    """A structure is deleted only when nothing points at it: no enrolment (departed
    students' included, their history names it), no roll call, no assessment."""
    if enrolled:
        students = (
            "1 élève y est inscrit ou l'a été cette année"
            if enrolled == 1
            else f"{enrolled} élèves y sont inscrits ou l'ont été cette année"
        )
        raise ValidationFailed.single("id", "NOT_EMPTY", f"{refusal} : {students}.")
    roll_calls = await session.scalar(
        select(func.count()).select_from(RollCall).where(column[0] == structure_id)
    )
    assessments = await session.scalar(
        select(func.count()).select_from(Assessment).where(column[1] == structure_id)
    )
    if roll_calls or assessments:
        raise ValidationFailed.single(
            "id",
            "IN_USE",
            f"{refusal} : des appels ou des évaluations y sont rattachés.",
        )


@requires(Permission.STRUCTURES_WRITE)
async def delete_division(session: AsyncSession, principal: Principal, division_id: int) -> int:
    """Deletes a division nobody is enrolled in; returns its id."""
    division = await get_in_reach(
        session, principal, Permission.STRUCTURES_WRITE, Division, division_id, Division.school_id
    )
    await _check_writable(session, division)
    enrolled = await session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.division_id == division.id)
    )
    await _refuse_if_used(
        session,
        f"La division {division.code} ne peut pas être supprimée",
        enrolled or 0,
        (RollCall.division_id, Assessment.division_id),
        division.id,
    )
    # Through the session, so that the audit trail records every row that goes.
    for model, column in (
        (DivisionMef, DivisionMef.division_id),
        (GroupDivision, GroupDivision.division_id),
        (TeachingAssignment, TeachingAssignment.division_id),
        (PublicationDeadline, PublicationDeadline.division_id),
    ):
        for row in await session.scalars(select(model).where(column == division.id)):
            await session.delete(row)
    await session.flush()
    await session.delete(division)
    await session.flush()
    return division_id


@requires(Permission.STRUCTURES_WRITE)
async def delete_group(session: AsyncSession, principal: Principal, group_id: int) -> int:
    """Deletes a group nobody is enrolled in; returns its id."""
    group = await get_in_reach(
        session, principal, Permission.STRUCTURES_WRITE, Group, group_id, Group.school_id
    )
    await _check_writable(session, group)
    enrolled = await session.scalar(
        select(func.count())
        .select_from(EnrollmentGroup)
        .where(EnrollmentGroup.group_id == group.id)
    )
    await _refuse_if_used(
        session,
        f"Le groupe {group.code} ne peut pas être supprimé",
        enrolled or 0,
        (RollCall.group_id, Assessment.group_id),
        group.id,
    )
    for model, column in (
        (GroupDivision, GroupDivision.group_id),
        (TeachingAssignment, TeachingAssignment.group_id),
    ):
        for row in await session.scalars(select(model).where(column == group.id)):
            await session.delete(row)
    await session.flush()
    await session.delete(group)
    await session.flush()
    return group_id


async def mefs_for_divisions(session: AsyncSession, division_ids: list[int]) -> list[list[Mef]]:
    rows = await session.execute(
        select(DivisionMef.division_id, Mef)
        .join(Mef, Mef.id == DivisionMef.mef_id)
        .where(DivisionMef.division_id.in_(division_ids))
        .order_by(Mef.code)
    )
    by_division: dict[int, list[Mef]] = {did: [] for did in division_ids}
    for division_id, mef in rows:
        by_division[division_id].append(mef)
    return [by_division[did] for did in division_ids]


async def divisions_for_groups(session: AsyncSession, group_ids: list[int]) -> list[list[Division]]:
    rows = await session.execute(
        select(GroupDivision.group_id, Division)
        .join(Division, Division.id == GroupDivision.division_id)
        .where(GroupDivision.group_id.in_(group_ids))
        .order_by(Division.code)
    )
    by_group: dict[int, list[Division]] = {gid: [] for gid in group_ids}
    for group_id, division in rows:
        by_group[group_id].append(division)
    return [by_group[gid] for gid in group_ids]


async def divisions_with_ids(session: AsyncSession, division_ids: list[int]) -> list[Division]:
    """The divisions among ``division_ids``, unguarded: for the batch loaders that complete
    rows a guarded read has already let the caller see (a student's enrolment's division)."""
    return list(await session.scalars(select(Division).where(Division.id.in_(division_ids))))
