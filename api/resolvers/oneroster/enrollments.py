"""OneRoster enrollments: a student in his division and in each of his groups, a teacher in
each division or group he teaches (one enrolment whatever the number of subjects).

``primary`` is the string ``"true"`` or ``"false"``, as the 1.2 binding's schema has it (not
a JSON boolean): a teacher is the primary teacher of each class he teaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.resolvers.oneroster.classes import ClassIndex
from api.resolvers.oneroster.population import Population
from api.resolvers.oneroster.reach import RosterReach, iso, latest
from api.resolvers.oneroster.sourced_ids import guid_ref
from api.resolvers.oneroster.staff import Teachers


def enrollment_record(
    reach: RosterReach, class_id: str, school_id: int, user: str, role: str, **extra: Any
) -> dict[str, Any]:
    """An enrolment as OneRoster shows it: on the roster, or as last known when it left.
    ``extra``: primary, beginDate, endDate, dateLastModified."""
    keys = reach.keys
    return {
        "sourcedId": keys.enrollment(class_id, user, role),
        "status": "active",
        "class": guid_ref("class", class_id),
        "user": guid_ref("user", user),
        "school": guid_ref("org", keys.school(reach.schools[school_id].uai)),
        "role": role,
        **extra,
    }


def student_enrollment_dates(entry_date: Any, exit_date: Any) -> dict[str, str]:
    """A student's enrolment's beginDate and, once known, endDate."""
    dates = {"beginDate": entry_date.isoformat()}
    if exit_date is not None:
        dates["endDate"] = exit_date.isoformat()
    return dates


def enrollment_records(
    reach: RosterReach,
    population: Population,
    teachers: Teachers,
    classes: ClassIndex,
    joined_at: dict[tuple[int, int], datetime] | None = None,
) -> list[dict[str, Any]]:
    """``joined_at``: when a student joined a group, for the memberships written lately
    (memberships have no timestamps: the audit log tells)."""
    joined_at = joined_at or {}
    keys = reach.keys
    records: list[dict[str, Any]] = []

    def add(
        kind: str, class_row_id: int, user: str, role: str, changed: datetime, **extra: Any
    ) -> None:
        if (kind, class_row_id) not in classes.rows:
            return
        row = classes.rows[(kind, class_row_id)]
        class_id = classes.sourced_id(reach, kind, class_row_id)
        # The class's row too: a class recoded names a new class, hence a new enrolment.
        changed_at = iso(latest(changed, row.updated_at))
        records.append(
            enrollment_record(
                reach, class_id, row.school_id, user, role, dateLastModified=changed_at, **extra
            )
        )

    for enrollment in population.enrollments:
        student = population.students[enrollment.student_id]
        user = population.sourced_ids[enrollment.student_id]
        dates = student_enrollment_dates(enrollment.entry_date, enrollment.exit_date)
        changed_at = latest(enrollment.updated_at, student.updated_at)
        if enrollment.division_id is not None:
            add(
                "division",
                enrollment.division_id,
                user,
                "student",
                changed_at,
                primary="false",
                **dates,
            )
        for group_id in population.groups_of.get(enrollment.id, []):
            joined = joined_at.get((enrollment.id, group_id))
            add(
                "group",
                group_id,
                user,
                "student",
                latest(changed_at, joined),
                primary="false",
                **dates,
            )
    seen: set[tuple[str, int, int]] = set()
    for assignment in teachers.assignments:
        kind, class_row_id = (
            ("division", assignment.division_id)
            if assignment.division_id is not None
            else ("group", assignment.group_id)
        )
        assert class_row_id is not None
        if (kind, class_row_id, assignment.user_id) in seen:
            continue
        seen.add((kind, class_row_id, assignment.user_id))
        user_row = teachers.users[assignment.user_id]
        add(
            kind,
            class_row_id,
            keys.teacher(user_row.sts_id, user_row.login),
            "teacher",
            latest(user_row.updated_at, teachers.assigned_at.get(assignment.id)),
            primary="true",
        )
    return records
