"""OneRoster courses: per school and open year, one course per MEF (the formation: 6EME,
2DEGT...) and one per subject (ESPAGNOL LV2...). Classes point to them: a division to its
MEF's course, a group to its subject's course (its divisions' MEF when it has no subject).

The MEFs and subjects of a school's year are those it profiled, plus those its divisions and
groups use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.oneroster.reach import (
    EPOCH,
    RosterReach,
    Year,
    audited_changes,
    iso,
    latest,
)
from api.resolvers.oneroster.sourced_ids import guid_ref
from db.nomenclatures import Mef, SchoolMef, SchoolSubject, Subject
from db.structures import Division, DivisionMef, Group


def grades_of(typical_age: int | None) -> list[str]:
    """The CEDS grade level of a MEF from the age it is followed at: 6e (11 years) is grade
    06, terminale (17) is 12; none for a MEF without a typical age or outside 1-12."""
    if typical_age is None or not 6 <= typical_age <= 17:
        return []
    return [f"{typical_age - 5:02d}"]


@dataclass(frozen=True)
class CourseRow:
    school_id: int
    year_id: int
    kind: str  # "MEF" or "SUBJECT"
    item_id: int
    code: str
    title: str
    short_label: str
    typical_age: int | None


async def course_rows(
    session: AsyncSession, reach: RosterReach, year_ids: list[int]
) -> dict[tuple[int, int, str, int], CourseRow]:
    """The courses of the schools in reach for these years (4 queries), by (school, year,
    kind, MEF or subject id)."""
    schools = reach.school_ids()
    found: dict[tuple[int, int, str, int], CourseRow] = {}
    mef_columns = (Mef.id, Mef.code, Mef.long_label, Mef.short_label, Mef.typical_age)
    profiled_mefs = (
        select(SchoolMef.school_id, SchoolMef.school_year_id, *mef_columns)
        .join(Mef, Mef.id == SchoolMef.mef_id)
        .where(SchoolMef.school_id.in_(schools), SchoolMef.school_year_id.in_(year_ids))
    )
    division_mefs = (
        select(Division.school_id, Division.school_year_id, *mef_columns)
        .join(DivisionMef, DivisionMef.division_id == Division.id)
        .join(Mef, Mef.id == DivisionMef.mef_id)
        .where(Division.school_id.in_(schools), Division.school_year_id.in_(year_ids))
    )
    for query in (profiled_mefs, division_mefs):
        for school_id, year_id, mef_id, code, title, short, age in await session.execute(query):
            found[(school_id, year_id, "MEF", mef_id)] = CourseRow(
                school_id, year_id, "MEF", mef_id, code, title, short, age
            )
    subject_columns = (Subject.id, Subject.code, Subject.long_label, Subject.short_label)
    profiled_subjects = (
        select(SchoolSubject.school_id, SchoolSubject.school_year_id, *subject_columns)
        .join(Subject, Subject.id == SchoolSubject.subject_id)
        .where(SchoolSubject.school_id.in_(schools), SchoolSubject.school_year_id.in_(year_ids))
    )
    group_subjects = (
        select(Group.school_id, Group.school_year_id, *subject_columns)
        .join(Subject, Subject.id == Group.subject_id)
        .where(Group.school_id.in_(schools), Group.school_year_id.in_(year_ids))
    )
    for subjects in (profiled_subjects, group_subjects):
        for school_id, year_id, subject_id, code, title, short in await session.execute(subjects):
            found[(school_id, year_id, "SUBJECT", subject_id)] = CourseRow(
                school_id, year_id, "SUBJECT", subject_id, code, title, short, None
            )
    return found


def course_id(reach: RosterReach, row: CourseRow) -> str:
    uai = reach.schools[row.school_id].uai
    start_year = reach.all_years[row.year_id].start_year
    if row.kind == "MEF":
        return reach.keys.mef_course(uai, start_year, row.code)
    return reach.keys.subject_course(uai, start_year, row.code)


async def _profile_times(
    session: AsyncSession, reach: RosterReach
) -> dict[tuple[int, int, str, int], datetime]:
    """When each profiled MEF or subject was last written (their rows have no timestamps)."""
    times: dict[tuple[int, int, str, int], datetime] = {}
    for change in await audited_changes(
        session, ("school_mefs", "school_subjects"), school_ids=reach.school_ids()
    ):
        kind, column = (
            ("MEF", "mef_id")
            if change.entity == "school_mefs"
            else (
                "SUBJECT",
                "subject_id",
            )
        )
        key = (
            change.value("school_id"),
            change.value("school_year_id"),
            kind,
            change.value(column),
        )
        times[key] = latest(times.get(key), change.at)
    return times


def course_record(reach: RosterReach, row: CourseRow, changed: datetime | None) -> dict[str, Any]:
    """A course as OneRoster shows it: on the roster, or as last known when it left."""
    keys = reach.keys
    year = reach.all_years[row.year_id]
    uai = reach.schools[row.school_id].uai
    return {
        "sourcedId": course_id(reach, row),
        "status": "active",
        "dateLastModified": iso(changed),
        "title": row.title,
        "schoolYear": guid_ref("academicSession", keys.school_year(year.start_year)),
        "courseCode": row.code if row.kind == "MEF" else row.short_label,
        "grades": grades_of(row.typical_age),
        "subjects": [row.title] if row.kind == "SUBJECT" else [],
        "subjectCodes": [row.code] if row.kind == "SUBJECT" else [],
        "org": guid_ref("org", keys.school(uai)),
        "metadata": {"sconet.kind": "mef" if row.kind == "MEF" else "subject"},
    }


async def course_records(
    session: AsyncSession, reach: RosterReach, years: list[Year]
) -> list[dict[str, Any]]:
    rows = await course_rows(session, reach, [y.id for y in years])
    times = await _profile_times(session, reach)
    return [course_record(reach, row, times.get(key, EPOCH)) for key, row in rows.items()]
