"""Divisions and groups of a school for a year, with their headcounts."""

from __future__ import annotations

import dataclasses
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
from db.audit import set_actor
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


# --------------------------------------------------------------------------- next year's structures


@dataclass
class StructuresCopy:
    """What copying a year's structures into another created, and what it kept as it was
    (a code the target year already has): codes of divisions and groups, services counted."""

    created_divisions: list[str]
    kept_divisions: list[str]
    created_groups: list[str]
    kept_groups: list[str]
    created_services: int


async def _profile_into(
    session: AsyncSession, school_id: int, year_id: int, mef_ids: set[int], subject_ids: set[int]
) -> None:
    """The MEFs and subjects the copied structures use join the target year's profile."""
    for model, key, wanted in (
        (SchoolMef, SchoolMef.mef_id, mef_ids),
        (SchoolSubject, SchoolSubject.subject_id, subject_ids),
    ):
        if not wanted:
            continue
        there = set(
            await session.scalars(
                select(key).where(model.school_id == school_id, model.school_year_id == year_id)
            )
        )
        session.add_all(
            model(**{"school_id": school_id, "school_year_id": year_id, key.key: value})
            for value in sorted(wanted - there)
        )


@dataclass
class _CopiedByCode:
    """One kind of structure copied into another year: the target row of each source row
    (copied or already there by code), and the codes created and kept."""

    counterpart: dict[int, Any] = dataclasses.field(default_factory=dict)
    # (source row id, its new copy), for the copies' own links.
    new: list[tuple[int, Any]] = dataclasses.field(default_factory=list)
    created: list[str] = dataclasses.field(default_factory=list)
    kept: list[str] = dataclasses.field(default_factory=list)


async def _copy_by_code(
    session: AsyncSession,
    model: type[Division] | type[Group],
    school_id: int,
    source_year_id: int,
    target_year_id: int,
    columns: tuple[str, ...],
) -> _CopiedByCode:
    there: list[Division | Group] = list(
        await session.scalars(
            select(model).where(
                model.school_id == school_id, model.school_year_id == target_year_id
            )
        )
    )
    existing = {row.code: row for row in there}
    copied = _CopiedByCode()
    rows: list[Division | Group] = list(
        await session.scalars(
            select(model)
            .where(model.school_id == school_id, model.school_year_id == source_year_id)
            .order_by(model.code)
        )
    )
    for row in rows:
        if row.code in existing:
            copied.kept.append(row.code)
            copied.counterpart[row.id] = existing[row.code]
            continue
        copy = model(
            school_id=school_id,
            school_year_id=target_year_id,
            code=row.code,
            **{name: getattr(row, name) for name in columns},
        )
        session.add(copy)
        copied.counterpart[row.id] = copy
        copied.new.append((row.id, copy))
        copied.created.append(row.code)
    await session.flush()
    return copied


@requires(Permission.STRUCTURES_WRITE)
async def copy_structures(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    from_year_id: int,
    to_year_id: int,
    with_services: bool = False,
) -> StructuresCopy:
    """Next year's structures from another year's: its divisions (with their MEFs and
    planned headcounts) and groups (with their subject and divisions), by code, and with
    ``with_services`` the teachers' services. A code the target year already has is kept as
    it is there. The MEFs and subjects they use join the target year's profile. Run again,
    it creates nothing more."""
    school = await _school(session, principal, Permission.STRUCTURES_WRITE, school_id)
    source = await _year(session, principal, school.id, from_year_id)
    target = await _year(session, principal, school.id, to_year_id)
    if source.id == target.id:
        raise ValidationFailed.single(
            "to_school_year_id", "SAME_YEAR", "Choisissez une autre année que celle copiée."
        )
    await check_year_writable(session, school.id, target, "to_school_year_id")
    set_actor(session.sync_session, principal.audit_actor(school.id))

    divisions = await _copy_by_code(
        session, Division, school.id, source.id, target.id, ("label", "planned_headcount")
    )
    division_mefs: dict[int, list[int]] = {}
    for division_id, mef_id in await session.execute(
        select(DivisionMef.division_id, DivisionMef.mef_id).where(
            DivisionMef.division_id.in_([source_id for source_id, _ in divisions.new])
        )
    ):
        division_mefs.setdefault(division_id, []).append(mef_id)
    session.add_all(
        DivisionMef(division_id=copy.id, mef_id=mef_id)
        for source_id, copy in divisions.new
        for mef_id in division_mefs.get(source_id, [])
    )
    groups = await _copy_by_code(
        session, Group, school.id, source.id, target.id, ("label", "subject_id")
    )
    group_copies = dict(groups.new)
    session.add_all(
        GroupDivision(
            group_id=group_copies[group_id].id, division_id=divisions.counterpart[division_id].id
        )
        for group_id, division_id in await session.execute(
            select(GroupDivision.group_id, GroupDivision.division_id).where(
                GroupDivision.group_id.in_(list(group_copies))
            )
        )
        if division_id in divisions.counterpart
    )
    counterpart, group_counterpart = divisions.counterpart, groups.counterpart
    created_services = 0
    subject_ids = {g.subject_id for _, g in groups.new if g.subject_id is not None}
    if with_services:
        services = list(
            await session.scalars(
                select(TeachingAssignment).where(
                    TeachingAssignment.school_id == school.id,
                    or_(
                        TeachingAssignment.division_id.in_(list(counterpart)),
                        TeachingAssignment.group_id.in_(list(group_counterpart)),
                    ),
                )
            )
        )
        already = {
            (a.user_id, a.division_id, a.group_id, a.subject_id)
            for a in await session.scalars(
                select(TeachingAssignment).where(
                    TeachingAssignment.school_id == school.id,
                    or_(
                        TeachingAssignment.division_id.in_([d.id for d in counterpart.values()]),
                        TeachingAssignment.group_id.in_([g.id for g in group_counterpart.values()]),
                    ),
                )
            )
        }
        for service in services:
            division_copy = counterpart.get(service.division_id or 0)
            group_copy = group_counterpart.get(service.group_id or 0)
            key = (
                service.user_id,
                division_copy.id if division_copy else None,
                group_copy.id if group_copy else None,
                service.subject_id,
            )
            if (division_copy is None and group_copy is None) or key in already:
                continue
            already.add(key)
            session.add(
                TeachingAssignment(
                    school_id=school.id,
                    user_id=service.user_id,
                    division_id=key[1],
                    group_id=key[2],
                    subject_id=service.subject_id,
                )
            )
            if service.subject_id is not None:
                subject_ids.add(service.subject_id)
            created_services += 1
    await _profile_into(
        session,
        school.id,
        target.id,
        {m for mef_ids in division_mefs.values() for m in mef_ids},
        subject_ids,
    )
    await session.flush()
    return StructuresCopy(
        created_divisions=divisions.created,
        kept_divisions=divisions.kept,
        created_groups=groups.created,
        kept_groups=groups.kept,
        created_services=created_services,
    )
