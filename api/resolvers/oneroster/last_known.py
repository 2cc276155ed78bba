"""The last known state of the records that left a caller's roster: what a ``tobedeleted``
record of a delta carries besides its id (OneRoster 1.2 requires each record type's fields
whatever its status).

``departures`` finds what left and leaves a ``Trace`` of each: the row it stood for, as it
stood (the row now, with the former values of an update, or the deleted row's snapshot from
the audit log). The records are rebuilt here from those rows and from what the database still
holds around them (ended enrolments, the divisions a deleted group spanned...), or else from the
rows deleted alongside (the audit log's snapshots), by the same record builders as the live
roster. Each collection takes a constant number of queries, whatever the number of departures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import RosterPart
from api.resolvers.oneroster.classes import ClassRow, class_index, class_record
from api.resolvers.oneroster.courses import CourseRow, course_record
from api.resolvers.oneroster.demographics import demographic_records
from api.resolvers.oneroster.population import (
    ENROLLMENT_COLUMNS,
    STUDENT_COLUMNS,
    EnrollmentRow,
    Population,
)
from api.resolvers.oneroster.reach import AuditedChange, RosterReach
from api.resolvers.oneroster.sessions import PeriodRow, grading_period_record
from api.resolvers.oneroster.sourced_ids import student_key_of
from api.resolvers.oneroster.staff import Teachers
from api.resolvers.oneroster.users import (
    LINK_COLUMNS,
    Family,
    Shaping,
    family_of,
    guardian_records,
    student_records,
    teacher_records,
)
from db.accounts import Role, RoleGrant
from db.audit import snapshot
from db.enrollments import Enrollment
from db.guardians import GuardianLink
from db.nomenclatures import Mef, Subject
from db.structures import TeachingAssignment
from db.students import Sex, Student

# Columns the audit log and row snapshots hold as ISO text, read back as dates.
DATE_COLUMNS = ("birth_date", "first_day", "last_day", "entry_date", "exit_date")


@dataclass(frozen=True)
class Trace:
    """What a departed record stood for: ``kind`` (a table, "course", or "record" for a
    record already built), the row's id, and the row as it stood (column -> value as the
    audit log writes it; for "record", the record itself)."""

    kind: str
    row_id: Any
    state: Mapping[str, Any] = field(default_factory=dict)


def row_state(row: Any) -> dict[str, Any]:
    """An ORM row as the audit log writes it (``db.audit.snapshot``: dates as ISO text,
    secrets redacted), so that a row read now and a deleted row's snapshot read alike."""
    return snapshot(row)


def as_row(state: Mapping[str, Any], **extra: Any) -> SimpleNamespace:
    """A row as the record builders read it, from a state: dates as dates; no timestamps
    (a departed record is dated when it left, not by its rows)."""
    values = {**state, **extra}
    for name in DATE_COLUMNS:
        if isinstance(values.get(name), str):
            values[name] = date.fromisoformat(values[name])
    if isinstance(values.get("sex"), str):
        values["sex"] = Sex(values["sex"])
    values["updated_at"] = None
    return SimpleNamespace(**values)


async def last_known_records(
    session: AsyncSession,
    reach: RosterReach,
    collection: str,
    traces: Mapping[str, Trace],
    changes: list[AuditedChange],
) -> dict[str, dict[str, Any]]:
    """sourcedId -> the record as last known, for the departed records traced (those that
    cannot be rebuilt are left out)."""
    known = {sid: dict(t.state) for sid, t in traces.items() if t.kind == "record"}
    traces = {sid: t for sid, t in traces.items() if t.kind != "record"}
    if not traces:
        return known
    if collection == "classes":
        built = await _classes(session, reach, traces, changes)
    elif collection == "academicSessions":
        built = _grading_periods(reach, traces)
    elif collection == "courses":
        built = {
            sid: course_record(reach, CourseRow(**t.state), None)
            for sid, t in traces.items()
            if t.kind == "course"
        }
    elif collection in ("users", "demographics"):
        built = await _users(session, reach, collection, traces, changes)
    else:
        built = {}
    # Only records whose id is the one traced: a rebuilt record is of that sourcedId.
    return {**{sid: r for sid, r in built.items() if r["sourcedId"] == sid}, **known}


def _grading_periods(reach: RosterReach, traces: Mapping[str, Trace]) -> dict[str, dict[str, Any]]:
    found = {}
    for sid, trace in traces.items():
        period = as_row(trace.state)
        if trace.kind == "grading_periods" and period.school_year_id in reach.all_years:
            row = PeriodRow(
                period.school_id,
                reach.all_years[period.school_year_id],
                period.label,
                period.first_day,
                period.last_day,
            )
            found[sid] = grading_period_record(reach, row, None)
    return found


async def _classes(
    session: AsyncSession,
    reach: RosterReach,
    traces: Mapping[str, Trace],
    changes: list[AuditedChange],
) -> dict[str, dict[str, Any]]:
    """A class renamed is the row now under its former code and title; a class deleted is its
    audit snapshot, with the MEFs, divisions and services deleted with it (or, for a group,
    its divisions' MEFs when they remain)."""
    index = await class_index(session, reach, reach.year_ids())
    kinds = {"divisions": "division", "groups": "group"}
    # The rows deleted since, by table and the class they named (division or group).
    deleted: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for change in changes:
        if change.action == "delete":
            for kind in ("division", "group"):
                if change.before.get(f"{kind}_id") is not None:
                    deleted[(change.entity, kind)][change.before[f"{kind}_id"]].append(
                        change.before
                    )
    rows: dict[str, ClassRow] = {}
    mef_ids: set[int] = set()
    subject_ids: set[int] = set()
    for sid, trace in traces.items():
        if trace.kind not in kinds:
            continue
        kind, state = kinds[trace.kind], trace.state
        current = index.rows.get((kind, trace.row_id))
        if current is not None:
            rows[sid] = replace(current, code=state["code"], label=state["label"])
            continue
        if state.get("school_year_id") not in reach.all_years:
            continue
        rows[sid] = ClassRow(
            trace.row_id,
            kind,
            state["school_id"],
            state["school_year_id"],
            state["code"],
            state["label"],
            None,
        )
        if kind == "division":
            mef_ids |= {d["mef_id"] for d in deleted[("division_mefs", kind)][trace.row_id]}
        subject_ids |= {
            t["subject_id"] for t in deleted[("teaching_assignments", kind)][trace.row_id]
        }
        if state.get("subject_id"):
            subject_ids.add(state["subject_id"])
    mefs = _by_id(
        await session.execute(
            select(Mef.id, Mef.code, Mef.typical_age).where(Mef.id.in_(sorted(mef_ids)))
        )
        if mef_ids
        else []
    )
    subjects = _by_id(
        await session.execute(
            select(Subject.id, Subject.code, Subject.long_label).where(
                Subject.id.in_(sorted(subject_ids))
            )
        )
        if subject_ids
        else []
    )
    for sid, row in rows.items():
        if (row.kind, row.id) in index.rows:
            continue
        trace = traces[sid]
        if row.kind == "division":
            row.mefs = sorted(
                {
                    (mefs[d["mef_id"]].code, mefs[d["mef_id"]].typical_age)
                    for d in deleted[("division_mefs", "division")][row.id]
                    if d["mef_id"] in mefs
                }
            )
        else:
            # The divisions it spanned remain (or were deleted with their MEFs: then none).
            spanned = [
                index.rows[("division", d["division_id"])]
                for d in deleted[("group_divisions", "group")][row.id]
                if ("division", d["division_id"]) in index.rows
            ]
            row.mefs = sorted({mef for division in spanned for mef in division.mefs})
        taught = deleted[("teaching_assignments", row.kind)][row.id]
        for subject_id in [trace.state.get("subject_id"), *(t["subject_id"] for t in taught)]:
            if subject_id in subjects:
                row.subjects[subjects[subject_id].code] = subjects[subject_id].long_label
        if row.kind == "group" and trace.state.get("subject_id") in subjects:
            row.subject_code = subjects[trace.state["subject_id"]].code
    return {sid: class_record(reach, row, None) for sid, row in rows.items()}


def _by_id(rows: Iterable[Any]) -> dict[int, Any]:
    return {row.id: row for row in rows}


async def _population(
    session: AsyncSession,
    reach: RosterReach,
    student_ids: set[int],
    changes: list[AuditedChange],
) -> Population:
    """Students with their enrolments in reach in the open years, ended ones too, and those
    deleted since (audit snapshots): where they last were on the roster."""
    ids = sorted(student_ids)
    students = {
        row.id: row
        for row in await session.execute(select(*STUDENT_COLUMNS).where(Student.id.in_(ids)))
    }
    in_reach = (
        Enrollment.student_id.in_(ids),
        Enrollment.school_id.in_(reach.school_ids()),
        Enrollment.school_year_id.in_(reach.year_ids()),
    )
    enrollments = [
        EnrollmentRow(*row)
        for row in await session.execute(
            select(*ENROLLMENT_COLUMNS)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .where(*in_reach)
            .order_by(Enrollment.id)
        )
    ]
    gone = [
        as_row(c.before, id=c.entity_id)
        for c in changes
        if c.entity == "enrollments"
        and c.action == "delete"
        and c.before.get("student_id") in student_ids
        and c.before.get("school_id") in reach.schools
        and c.before.get("school_year_id") in reach.years
    ]
    if gone:
        ages = dict(
            (
                await session.execute(
                    select(Mef.id, Mef.typical_age).where(
                        Mef.id.in_(sorted({e.mef_id for e in gone}))
                    )
                )
            ).all()
        )
        enrollments += [
            EnrollmentRow(
                e.id,
                e.student_id,
                e.school_id,
                e.school_year_id,
                e.division_id,
                ages.get(e.mef_id),
                e.entry_date,
                e.exit_date,
                None,
            )
            for e in gone
        ]
    population = Population(students, enrollments)
    population.sourced_ids = {
        student_id: student_key_of(reach.keys, student) for student_id, student in students.items()
    }
    return population


def _variants(
    traces: Mapping[str, Trace], kind: str
) -> list[dict[int, tuple[str, SimpleNamespace]]]:
    """The traced rows of a kind, by row id, split so that each row is once in a variant (a
    person may have left under two sourcedIds: his former natural key, and his current one)."""
    variants: list[dict[int, tuple[str, SimpleNamespace]]] = []
    for sid, trace in traces.items():
        if trace.kind != kind:
            continue
        for variant in variants:
            if trace.row_id not in variant:
                variant[trace.row_id] = (sid, as_row(trace.state))
                break
        else:
            variants.append({trace.row_id: (sid, as_row(trace.state))})
    return variants


async def _users(
    session: AsyncSession,
    reach: RosterReach,
    collection: str,
    traces: Mapping[str, Trace],
    changes: list[AuditedChange],
) -> dict[str, dict[str, Any]]:
    students = _variants(traces, "students")
    teachers = _variants(traces, "staff_users")
    guardians = _variants(traces, "guardians")
    guardian_ids = sorted({g for variant in guardians for g in variant})
    links: list[Any] = []
    if guardian_ids:
        links = list(
            await session.execute(
                select(*LINK_COLUMNS).where(GuardianLink.guardian_id.in_(guardian_ids))
            )
        )
        # Links deleted since: the children a guardian was unlinked from.
        links += [
            as_row(c.before, id=c.entity_id)
            for c in changes
            if c.entity == "guardian_links"
            and c.action == "delete"
            and c.before.get("guardian_id") in guardian_ids
        ]
    student_ids = {s for variant in students for s in variant} | {link.student_id for link in links}
    population = await _population(session, reach, student_ids, changes)
    on_roster = {e.student_id for e in population.enrollments}
    found: dict[str, dict[str, Any]] = {}
    family: Family | None = None
    if collection == "users" and reach.allows(RosterPart.GUARDIANS) and students:
        family = await family_of(session, reach, sorted({s for v in students for s in v}))
    for variant in students:
        kept = {i: v for i, v in variant.items() if i in on_roster}
        people = Population(
            {i: row for i, (_sid, row) in kept.items()},
            [e for e in population.enrollments if e.student_id in kept],
            sourced_ids={i: sid for i, (sid, _row) in kept.items()},
        )
        if collection == "demographics":
            records = await demographic_records(session, reach, people)
        else:
            # Dated by its departure, not by what shapes a record on the roster.
            records = student_records(reach, people, family, Shaping())
        found.update((r["sourcedId"], r) for r in records)
    if collection == "demographics":
        return found
    if teachers:
        schools_of = await _teacher_schools(
            session, reach, sorted({t for v in teachers for t in v}), changes
        )
        for variant in teachers:
            kept_teachers = {i: row for i, (_sid, row) in variant.items() if schools_of.get(i)}
            staff = Teachers(kept_teachers, [])
            staff.schools_of.update({i: schools_of[i] for i in kept_teachers})
            found.update((r["sourcedId"], r) for r in teacher_records(reach, staff))
    for variant in guardians:
        # The children he was linked to who were on the roster (a child deleted outright has
        # no sourcedId left to name).
        kept_links = [
            link
            for link in links
            if link.guardian_id in variant
            and link.student_id in on_roster
            and link.student_id in population.sourced_ids
        ]
        linked = {link.guardian_id for link in kept_links}
        household = Family(
            {i: row for i, (_sid, row) in variant.items() if i in linked},
            kept_links,
            {i: sid for i, (sid, _row) in variant.items()},
        )
        found.update(
            (r["sourcedId"], r) for r in guardian_records(reach, population, household, Shaping())
        )
    return found


async def _teacher_schools(
    session: AsyncSession, reach: RosterReach, user_ids: list[int], changes: list[AuditedChange]
) -> dict[int, set[int]]:
    """The schools in reach where each teacher taught or held the teacher role: his services
    and grants now (a deactivated account keeps them) and those deleted since."""
    schools_of: dict[int, set[int]] = defaultdict(set)
    in_reach = reach.school_ids()
    rows = await session.execute(
        select(TeachingAssignment.user_id, TeachingAssignment.school_id)
        .where(TeachingAssignment.user_id.in_(user_ids), TeachingAssignment.school_id.in_(in_reach))
        .union(
            select(RoleGrant.user_id, RoleGrant.school_id).where(
                RoleGrant.user_id.in_(user_ids),
                RoleGrant.school_id.in_(in_reach),
                RoleGrant.role == Role.TEACHER,
            )
        )
    )
    for user_id, school_id in rows:
        schools_of[user_id].add(school_id)
    for change in changes:
        taught = change.entity == "teaching_assignments" or (
            change.entity == "role_grants" and change.before.get("role") == Role.TEACHER.value
        )
        if (
            taught
            and change.action == "delete"
            and change.before.get("user_id") in user_ids
            and change.before.get("school_id") in reach.schools
        ):
            schools_of[change.before["user_id"]].add(change.before["school_id"])
    return schools_of
