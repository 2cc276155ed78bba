"""OneRoster classes: a school's divisions (``homeroom``) and groups (``scheduled``) of the
open years, with their subjects (a group's own, and those taught to it per STS-WEB)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.oneroster.courses import grades_of
from api.resolvers.oneroster.reach import RosterReach, Year, audited_changes, iso, latest
from api.resolvers.oneroster.sourced_ids import guid_ref
from db.nomenclatures import Mef, Subject
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment


@dataclass
class ClassRow:
    id: int
    kind: str  # "division" or "group"
    school_id: int
    year_id: int
    code: str
    label: str
    updated_at: Any
    # (code, typical age) of the MEFs, by code.
    mefs: list[tuple[str, int | None]] = field(default_factory=list)
    # (code, label) of the subjects.
    subjects: dict[str, str] = field(default_factory=dict)
    subject_code: str | None = None


@dataclass
class ClassIndex:
    """The classes of the reach, with what enrolments need to name them."""

    rows: dict[tuple[str, int], ClassRow]

    def sourced_id(self, reach: RosterReach, kind: str, row_id: int) -> str:
        return class_sourced_id(reach, self.rows[(kind, row_id)])


def class_sourced_id(reach: RosterReach, row: ClassRow) -> str:
    uai = reach.schools[row.school_id].uai
    start_year = reach.all_years[row.year_id].start_year
    if row.kind == "division":
        return reach.keys.division(uai, start_year, row.code)
    return reach.keys.group(uai, start_year, row.code)


async def class_index(session: AsyncSession, reach: RosterReach, year_ids: list[int]) -> ClassIndex:
    """Divisions and groups with their MEFs and subjects (5 queries)."""
    schools = reach.school_ids()
    rows: dict[tuple[str, int], ClassRow] = {}
    models: tuple[tuple[str, Any], ...] = (("division", Division), ("group", Group))
    for kind, model in models:
        query = select(model).where(
            model.school_id.in_(schools), model.school_year_id.in_(year_ids)
        )
        for item in await session.scalars(query):
            rows[(kind, item.id)] = ClassRow(
                item.id,
                kind,
                item.school_id,
                item.school_year_id,
                item.code,
                item.label,
                item.updated_at,
            )
    in_reach = Division.school_id.in_(schools), Division.school_year_id.in_(year_ids)
    division_mefs = await session.execute(
        select(DivisionMef.division_id, Mef.code, Mef.typical_age)
        .join(Mef, Mef.id == DivisionMef.mef_id)
        .join(Division, Division.id == DivisionMef.division_id)
        .where(*in_reach)
        .order_by(Mef.code)
    )
    mefs_of: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for division_id, code, age in division_mefs:
        mefs_of[division_id].append((code, age))
        rows[("division", division_id)].mefs.append((code, age))
    group_divisions = await session.execute(
        select(GroupDivision.group_id, GroupDivision.division_id)
        .join(Group, Group.id == GroupDivision.group_id)
        .where(Group.school_id.in_(schools), Group.school_year_id.in_(year_ids))
    )
    for group_id, division_id in group_divisions:
        group = rows[("group", group_id)]
        for mef in mefs_of.get(division_id, []):
            if mef not in group.mefs:
                group.mefs.append(mef)
    for group in (r for r in rows.values() if r.kind == "group"):
        group.mefs.sort()
    group_subjects = await session.execute(
        select(Group.id, Subject.code, Subject.long_label)
        .join(Subject, Subject.id == Group.subject_id)
        .where(Group.school_id.in_(schools), Group.school_year_id.in_(year_ids))
    )
    for group_id, code, label in group_subjects:
        rows[("group", group_id)].subjects[code] = label
        rows[("group", group_id)].subject_code = code
    taught = await session.execute(
        select(
            TeachingAssignment.division_id,
            TeachingAssignment.group_id,
            Subject.code,
            Subject.long_label,
        )
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(TeachingAssignment.school_id.in_(schools))
    )
    for taught_division, taught_group, code, label in taught:
        key: tuple[str, Any] = (
            ("division", taught_division)
            if taught_division is not None
            else ("group", taught_group)
        )
        if key in rows:
            rows[key].subjects[code] = label
    return ClassIndex(rows)


async def class_touches(
    session: AsyncSession, since: datetime | None
) -> dict[tuple[str, int], datetime]:
    """When a class's subjects, MEFs or divisions last changed (after ``since``): those rows
    have no timestamps, the audit log tells. A full read asks too, so that a record shows the
    same dateLastModified in a full read and in a delta."""
    touched: dict[tuple[str, int], datetime] = {}
    for change in await audited_changes(
        session, ("teaching_assignments", "division_mefs", "group_divisions"), since=since
    ):
        for kind, column in (("division", "division_id"), ("group", "group_id")):
            # A group's divisions give the group its grades; the divisions stay as they are.
            if change.entity == "group_divisions" and kind == "division":
                continue
            row_id = change.value(column)
            if row_id is not None:
                touched[(kind, row_id)] = latest(touched.get((kind, row_id)), change.at)
    return touched


def class_record(reach: RosterReach, row: ClassRow, changed: datetime | None) -> dict[str, Any]:
    """A class as OneRoster shows it: on the roster, or as last known when it left."""
    keys = reach.keys
    uai = reach.schools[row.school_id].uai
    start_year = reach.all_years[row.year_id].start_year
    if row.kind == "group" and row.subject_code is not None:
        course = keys.subject_course(uai, start_year, row.subject_code)
    elif row.mefs:
        course = keys.mef_course(uai, start_year, row.mefs[0][0])
    else:
        course = None
    grades = sorted({g for _code, age in row.mefs for g in grades_of(age)})
    record: dict[str, Any] = {
        "sourcedId": class_sourced_id(reach, row),
        "status": "active",
        "dateLastModified": iso(changed),
        "title": row.label,
        "classCode": row.code,
        "classType": "homeroom" if row.kind == "division" else "scheduled",
        "grades": grades,
        "subjects": [row.subjects[c] for c in sorted(row.subjects)],
        "subjectCodes": sorted(row.subjects),
        "school": guid_ref("org", keys.school(uai)),
        "terms": [guid_ref("academicSession", keys.school_year(start_year))],
    }
    if course is not None:
        record["course"] = guid_ref("course", course)
    return record


async def class_records(
    session: AsyncSession, reach: RosterReach, years: list[Year], since: datetime | None = None
) -> list[dict[str, Any]]:
    index = await class_index(session, reach, [y.id for y in years])
    touched = await class_touches(session, since)
    return [
        class_record(reach, row, latest(row.updated_at, touched.get(key)))
        for key, row in index.rows.items()
    ]
