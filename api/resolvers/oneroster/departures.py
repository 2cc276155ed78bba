"""What left a caller's roster since a date: the ``tobedeleted`` records of a delta.

A record leaves when what it stands for is deleted (a group, a grading period, a teaching
assignment, a membership), when its natural key changes (a class renamed, a student given
his INE: the old sourcedId leaves, the new one arrives), when an enrolment ends (its exit
date passed) and when a school year closes (its classes, courses, periods and enrolments).
The database no longer holds these rows, or no longer shows them: the audit log does. It
keeps every write of every audited row with the values before and after, so the departed
record's natural key is rebuilt from it, and the entry's time is when it left.

Candidates are looked for generously (every row touched since the date) and kept only when
their sourcedId is not on the roster any more, and only when they were in the caller's reach
(their school is).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import RosterPart
from api.resolvers.oneroster.builders import build_records
from api.resolvers.oneroster.courses import CourseRow
from api.resolvers.oneroster.enrollments import enrollment_record, student_enrollment_dates
from api.resolvers.oneroster.last_known import Trace, as_row, last_known_records, row_state
from api.resolvers.oneroster.reach import (
    AuditedChange,
    RosterReach,
    Year,
    as_utc,
    audited_changes,
    iso,
    start_of,
)
from api.resolvers.oneroster.sourced_ids import (
    CLASS_KEY_COLUMNS,
    GRADING_PERIOD_KEY_COLUMNS,
    GUARDIAN_KEY_COLUMNS,
    STUDENT_KEY_COLUMNS,
    TEACHER_KEY_COLUMNS,
    guardian_key_of,
    student_key_of,
)
from core import clock
from core.clock import PARIS
from db.accounts import RoleGrant, StaffUser
from db.enrollments import Enrollment, EnrollmentGroup
from db.grades import GradingPeriod
from db.guardians import Guardian, GuardianLink
from db.nomenclatures import Mef, Subject
from db.structures import Division, Group, TeachingAssignment
from db.students import Student

# A teacher also leaves when his account is deactivated.
TEACHER_DEPARTURE_COLUMNS = (*TEACHER_KEY_COLUMNS, "is_active")


@dataclass
class Departures:
    """sourcedId -> when it left (the latest write that could have made it leave)."""

    left: dict[str, datetime] = field(default_factory=dict)
    # What each candidate stood for, to rebuild its last known state when it left.
    traces: dict[str, Trace] = field(default_factory=dict)
    # Records sent again when still on the roster: their references changed.
    referrers: set[str] = field(default_factory=set)
    # Candidates only ever sent again, never as departed (they are not known to have left).
    resent_only: set[str] = field(default_factory=set)

    def add(
        self,
        sourced_id: str,
        at: datetime,
        *,
        referrer: bool = False,
        resend_only: bool = False,
        trace: Trace | None = None,
    ) -> None:
        previous = self.left.get(sourced_id)
        self.left[sourced_id] = at if previous is None else max(previous, at)
        if referrer or resend_only:
            self.referrers.add(sourced_id)
        if resend_only and previous is None:
            self.resent_only.add(sourced_id)
        elif not resend_only:
            self.resent_only.discard(sourced_id)
        if trace is not None:
            self.traces.setdefault(sourced_id, trace)

    def departed(self, active: dict[str, dict[str, Any]], since: datetime) -> set[str]:
        """The candidates that left after ``since``: no longer on the roster."""
        return {
            sid
            for sid, at in self.left.items()
            if at > since and sid not in active and sid not in self.resent_only
        }

    def records(
        self,
        active: dict[str, dict[str, Any]],
        since: datetime,
        known: dict[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The candidates no longer on the roster, as ``tobedeleted`` with their last known
        state (``known``); those still on it are records whose references changed (a guardian
        whose child left): they are sent again, dated by that change."""
        found = []
        for sid, at in self.left.items():
            if at <= since:
                continue
            if sid in active:
                if sid not in self.referrers:
                    continue
                record = active[sid]
                if at > as_utc(datetime.fromisoformat(record["dateLastModified"][:-1])):
                    found.append({**record, "dateLastModified": iso(at)})
                continue
            if sid in self.resent_only:
                continue
            found.append(
                {
                    **known.get(sid, {}),
                    "sourcedId": sid,
                    "status": "tobedeleted",
                    "dateLastModified": iso(at),
                }
            )
        return found


async def previous_states(
    session: AsyncSession,
    model: Any,
    changes: list[AuditedChange],
    columns: tuple[str, ...],
) -> list[tuple[dict[str, Any], AuditedChange]]:
    """The rows as they stood before each delete, or before each update of a key column:
    the deleted row's snapshot, or the current row (every column) with the update's former
    values."""
    table = model.__tablename__
    relevant = [
        c
        for c in changes
        if c.entity == table
        and (c.action == "delete" or (c.action == "update" and set(c.before) & set(columns)))
    ]
    updated = sorted({c.entity_id for c in relevant if c.action == "update" and c.entity_id})
    current = {
        row.id: row_state(row)
        for row in (
            await session.scalars(select(model).where(model.id.in_(updated))) if updated else []
        )
    }
    states = []
    for change in relevant:
        if change.action == "delete":
            states.append((change.before, change))
        elif change.entity_id in current:
            states.append(({**current[change.entity_id], **change.before}, change))
    return states


class Gatherer:
    """Collects the candidates of one delta read (each query once)."""

    def __init__(
        self, session: AsyncSession, reach: RosterReach, since: datetime, active: set[str]
    ) -> None:
        self.session = session
        self.active = active
        self.reach = reach
        self.since = since
        self.keys = reach.keys
        self.departures = Departures()
        self.student_traces: dict[str, Trace] = {}
        self._changes: list[AuditedChange] | None = None

    async def changes(self) -> list[AuditedChange]:
        if self._changes is None:
            self._changes = await audited_changes(
                self.session,
                (
                    "divisions",
                    "groups",
                    "grading_periods",
                    "school_mefs",
                    "school_subjects",
                    "division_mefs",
                    "group_divisions",
                    "enrollments",
                    "enrollment_groups",
                    "students",
                    "guardians",
                    "guardian_links",
                    "teaching_assignments",
                    "role_grants",
                    "staff_users",
                ),
                since=self.since,
            )
        return self._changes

    def open_class(self, school_id: Any, year_id: Any) -> bool:
        return school_id in self.reach.schools and year_id in self.reach.years

    def school_uai(self, school_id: int) -> str:
        return self.reach.schools[school_id].uai

    def start_year(self, year_id: int) -> int:
        return self.reach.all_years[year_id].start_year

    # Classes, courses and periods.

    def class_id(self, kind: str, state: dict[str, Any]) -> str:
        uai = self.school_uai(state["school_id"])
        start = self.start_year(state["school_year_id"])
        if kind == "divisions":
            return self.keys.division(uai, start, state["code"])
        return self.keys.group(uai, start, state["code"])

    async def classes(self) -> None:
        changes = await self.changes()
        for model, kind in ((Division, "divisions"), (Group, "groups")):
            for state, change in await previous_states(
                self.session, model, changes, CLASS_KEY_COLUMNS
            ):
                if self.open_class(state["school_id"], state["school_year_id"]):
                    self.departures.add(
                        self.class_id(kind, state),
                        change.at,
                        trace=Trace(kind, change.entity_id, state),
                    )

    async def sessions(self) -> None:
        changes = await self.changes()
        for state, change in await previous_states(
            self.session, GradingPeriod, changes, GRADING_PERIOD_KEY_COLUMNS
        ):
            if self.open_class(state["school_id"], state["school_year_id"]):
                self.departures.add(
                    self.keys.grading_period(
                        self.school_uai(state["school_id"]),
                        self.start_year(state["school_year_id"]),
                        state["label"],
                    ),
                    change.at,
                    trace=Trace("grading_periods", change.entity_id, state),
                )

    async def courses(self) -> None:
        changes = await self.changes()
        # (school, year, "MEF" or "SUBJECT", item id, when)
        found: list[tuple[Any, Any, str, Any, datetime]] = []
        division_ids = set()
        for change in changes:
            if change.action != "delete" and not (
                change.entity == "groups" and "subject_id" in change.before
            ):
                continue
            if change.entity == "school_mefs":
                found.append(
                    (
                        change.value("school_id"),
                        change.value("school_year_id"),
                        "MEF",
                        change.before.get("mef_id"),
                        change.at,
                    )
                )
            elif change.entity == "school_subjects":
                found.append(
                    (
                        change.value("school_id"),
                        change.value("school_year_id"),
                        "SUBJECT",
                        change.before.get("subject_id"),
                        change.at,
                    )
                )
            elif change.entity == "division_mefs":
                division_ids.add(change.before.get("division_id"))
            elif change.entity == "groups" and change.before.get("subject_id"):
                group = (
                    await self.session.get(Group, change.entity_id)
                    if change.action == ("update")
                    else None
                )
                state = (
                    change.before
                    if group is None
                    else {
                        "school_id": group.school_id,
                        "school_year_id": group.school_year_id,
                    }
                )
                found.append(
                    (
                        state.get("school_id"),
                        state.get("school_year_id"),
                        "SUBJECT",
                        change.before["subject_id"],
                        change.at,
                    )
                )
        if division_ids:
            divisions = {
                d.id: (d.school_id, d.school_year_id)
                for d in await self.session.scalars(
                    select(Division).where(Division.id.in_(sorted(division_ids)))
                )
            }
            deleted = {
                c.entity_id: (c.before.get("school_id"), c.before.get("school_year_id"))
                for c in changes
                if c.entity == "divisions" and c.action == "delete"
            }
            for change in changes:
                if change.entity == "division_mefs" and change.action == "delete":
                    division_id: Any = change.before.get("division_id")
                    where = divisions.get(division_id) or deleted.get(division_id)
                    if where:
                        found.append((*where, "MEF", change.before.get("mef_id"), change.at))
        # The course's last known title and codes: the nomenclatures keep their MEFs and
        # subjects.
        items: dict[tuple[str, Any], tuple[str, str, str, int | None]] = {}
        for kind, model, query in (
            (
                "MEF",
                Mef,
                select(Mef.id, Mef.code, Mef.long_label, Mef.short_label, Mef.typical_age),
            ),
            (
                "SUBJECT",
                Subject,
                select(Subject.id, Subject.code, Subject.long_label, Subject.short_label),
            ),
        ):
            ids = sorted({i for _s, _y, k, i, _a in found if k == kind and i is not None})
            if ids:
                for item_id, *values in await self.session.execute(query.where(model.id.in_(ids))):
                    code, title, short, age = (*values, None)[:4]
                    items[(kind, item_id)] = (code, title, short, age)
        for school_id, year_id, kind, item_id, at in found:
            if not self.open_class(school_id, year_id) or (kind, item_id) not in items:
                continue
            code, title, short, age = items[(kind, item_id)]
            row = CourseRow(school_id, year_id, kind, item_id, code, title, short, age)
            uai, start = self.school_uai(school_id), self.start_year(year_id)
            course = (
                self.keys.mef_course(uai, start, code)
                if kind == "MEF"
                else self.keys.subject_course(uai, start, code)
            )
            self.departures.add(course, at, trace=Trace("course", None, row.__dict__))

    # Students, their enrolments and their guardians.

    async def touched_enrollments(self) -> dict[int, dict[str, Any]]:
        """Enrolments in reach written since the date or whose exit date came since, by id:
        their state now (or as deleted), with the former divisions and groups and when."""
        changes = await self.changes()
        touched: dict[int, dict[str, Any]] = {}

        def note(enrollment_id: int, at: datetime) -> dict[str, Any]:
            state = touched.setdefault(
                enrollment_id, {"at": at, "divisions": set(), "groups": set()}
            )
            state["at"] = max(state["at"], at)
            return state

        for change in changes:
            if change.entity == "enrollments" and change.entity_id is not None:
                if change.school_id not in self.reach.schools:
                    continue
                state = note(change.entity_id, change.at)
                if change.before.get("division_id"):
                    state["divisions"].add(change.before["division_id"])
                if change.action == "delete":
                    state["deleted"] = change.before
            elif change.entity == "enrollment_groups":
                enrollment_id = change.value("enrollment_id")
                state = note(enrollment_id, change.at)
                if change.action == "delete":
                    state["groups"].add(change.before.get("group_id"))
        # A student whose natural key changed: his enrolments under the former sourcedId.
        renamed = {
            change.entity_id: change.at
            for _state, change in await previous_states(
                self.session, Student, changes, STUDENT_KEY_COLUMNS
            )
        }
        if renamed:
            for enrollment_id, student_id in await self.session.execute(
                select(Enrollment.id, Enrollment.student_id).where(
                    Enrollment.student_id.in_(sorted(renamed)),
                    Enrollment.school_id.in_(self.reach.school_ids()),
                )
            ):
                note(enrollment_id, renamed[student_id])
        today = clock.today()
        ended = await self.session.execute(
            select(Enrollment.id, Enrollment.exit_date).where(
                Enrollment.school_id.in_(self.reach.school_ids()),
                Enrollment.exit_date >= self.since.astimezone(PARIS).date(),
                Enrollment.exit_date <= today,
            )
        )
        for enrollment_id, exit_date in ended:
            if exit_date is not None and start_of(exit_date) > self.since:
                note(enrollment_id, start_of(exit_date))
        rows = await self.session.scalars(
            select(Enrollment).where(Enrollment.id.in_(sorted(touched)))
        )
        for row in rows:
            state = touched[row.id]
            state["current"] = row
            if row.division_id:
                state["divisions"].add(row.division_id)
        groups = await self.session.execute(
            select(EnrollmentGroup.enrollment_id, EnrollmentGroup.group_id).where(
                EnrollmentGroup.enrollment_id.in_(sorted(touched))
            )
        )
        for enrollment_id, group_id in groups:
            touched[enrollment_id]["groups"].add(group_id)
        # In reach: the enrolment's school is (a membership's entry may carry none).
        return {
            eid: state
            for eid, state in touched.items()
            if self._school_of(state) in self.reach.schools
        }

    @staticmethod
    def _school_of(state: dict[str, Any]) -> Any:
        if "current" in state:
            return state["current"].school_id
        return state.get("deleted", {}).get("school_id")

    @staticmethod
    def _student_of(state: dict[str, Any]) -> Any:
        if "current" in state:
            return state["current"].student_id
        return state.get("deleted", {}).get("student_id")

    async def student_keys(self, touched: dict[int, dict[str, Any]]) -> dict[int, set[str]]:
        """For each student in reach touched since the date: his sourcedIds now and before."""
        changes = await self.changes()
        ids = {self._student_of(state) for state in touched.values()} - {None}
        states = await previous_states(self.session, Student, changes, STUDENT_KEY_COLUMNS)
        changed_ids = {change.entity_id for _state, change in states}
        if changed_ids - ids:
            ids |= set(
                await self.session.scalars(
                    select(Enrollment.student_id).where(
                        Enrollment.student_id.in_(sorted(changed_ids - ids)),
                        Enrollment.school_id.in_(self.reach.school_ids()),
                    )
                )
            )
        keys: dict[int, set[str]] = defaultdict(set)
        for student in await self.session.scalars(
            select(Student).where(Student.id.in_(sorted(ids)))
        ):
            sid = student_key_of(self.keys, student)
            keys[student.id].add(sid)
            self.student_traces.setdefault(sid, Trace("students", student.id, row_state(student)))
        for state, change in states:
            if change.entity_id is not None and change.entity_id in ids:
                sid = student_key_of(self.keys, state)
                keys[change.entity_id].add(sid)
                self.student_traces.setdefault(sid, Trace("students", change.entity_id, state))
        return keys

    async def users(self, students_only: bool = False) -> None:
        touched = await self.touched_enrollments()
        keys = await self.student_keys(touched)
        at_of: dict[int, datetime] = {}
        for state in touched.values():
            student_id = self._student_of(state)
            at_of[student_id] = max(at_of.get(student_id, state["at"]), state["at"])
        for _state, change in await previous_states(
            self.session, Student, await self.changes(), STUDENT_KEY_COLUMNS
        ):
            if change.entity_id in keys:
                at_of[change.entity_id] = max(at_of.get(change.entity_id, change.at), change.at)
        if not students_only and self.reach.allows(RosterPart.GUARDIANS):
            # A guardian linked or unlinked: the student's agents changed.
            linked: dict[int, datetime] = {}
            for change in await self.changes():
                if change.entity == "guardian_links" and change.value("student_id"):
                    student_id = change.value("student_id")
                    linked[student_id] = max(linked.get(student_id, change.at), change.at)
            for student in await self.session.scalars(
                select(Student).where(
                    Student.id.in_(sorted(linked)),
                    Student.id.in_(
                        select(Enrollment.student_id).where(
                            Enrollment.school_id.in_(self.reach.school_ids())
                        )
                    ),
                )
            ):
                self.departures.add(
                    student_key_of(self.keys, student), linked[student.id], resend_only=True
                )
        for student_id, sourced_ids in keys.items():
            for sourced_id in sourced_ids:
                self.departures.add(
                    sourced_id,
                    at_of.get(student_id, self.since),
                    trace=self.student_traces.get(sourced_id),
                )
        if students_only:
            return
        await self.teachers()
        if self.reach.allows(RosterPart.GUARDIANS):
            # Students who left or changed their sourcedId: their guardians' agents changed.
            moved = {s for s, ids in keys.items() if len(ids) > 1 or not ids <= self.active}
            await self.guardians(moved, at_of)

    async def teachers(self) -> None:
        changes = await self.changes()
        at_of: dict[int, datetime] = {}
        for change in changes:
            if (
                (
                    change.entity == "teaching_assignments"
                    or (change.entity == "role_grants" and change.value("role") == "teacher")
                )
                and change.value("school_id") in self.reach.schools
                and change.value("user_id")
            ):
                user_id = change.value("user_id")
                at_of[user_id] = max(at_of.get(user_id, change.at), change.at)
        states = await previous_states(self.session, StaffUser, changes, TEACHER_DEPARTURE_COLUMNS)
        deactivated = {c.entity_id: c.at for _s, c in states}
        if deactivated:
            in_reach = set(
                await self.session.scalars(
                    select(RoleGrant.user_id).where(
                        RoleGrant.user_id.in_(sorted(deactivated)),
                        RoleGrant.school_id.in_(self.reach.school_ids()),
                    )
                )
            )
            for user_id in in_reach:
                at_of[user_id] = max(at_of.get(user_id, deactivated[user_id]), deactivated[user_id])
        users = await self.session.scalars(select(StaffUser).where(StaffUser.id.in_(sorted(at_of))))
        for user in users:
            self.departures.add(
                self.keys.teacher(user.sts_id, user.login),
                at_of[user.id],
                trace=Trace("staff_users", user.id, row_state(user)),
            )
        for state, change in states:
            if change.entity_id in at_of and state.get("login"):
                self.departures.add(
                    self.keys.teacher(state.get("sts_id"), state["login"]),
                    change.at,
                    trace=Trace("staff_users", change.entity_id, state),
                )

    async def guardians(self, students: set[int], at_of: dict[int, datetime]) -> None:
        changes = await self.changes()
        guardian_at: dict[int, datetime] = {}
        link_students: dict[int, set[int]] = defaultdict(set)
        for change in changes:
            if change.entity == "guardian_links":
                guardian_id, student_id = change.value("guardian_id"), change.value("student_id")
                link_students[guardian_id].add(student_id)
                guardian_at[guardian_id] = max(guardian_at.get(guardian_id, change.at), change.at)
        reachable = students | set(
            await self.session.scalars(
                select(Enrollment.student_id).where(
                    Enrollment.student_id.in_(sorted(set().union(*link_students.values()))),
                    Enrollment.school_id.in_(self.reach.school_ids()),
                )
            )
        )
        guardian_at = {g: at for g, at in guardian_at.items() if link_students[g] & reachable}
        referrers: set[int] = set()
        for guardian_id, student_id in await self.session.execute(
            select(GuardianLink.guardian_id, GuardianLink.student_id).where(
                GuardianLink.student_id.in_(sorted(students))
            )
        ):
            at = at_of.get(student_id, self.since)
            guardian_at[guardian_id] = max(guardian_at.get(guardian_id, at), at)
            referrers.add(guardian_id)
        states = await previous_states(self.session, Guardian, changes, GUARDIAN_KEY_COLUMNS)
        # A guardian renamed (his natural key has his name) of a child in reach: his former
        # sourcedId leaves; the new one, and his children naming it, are dated by the write.
        renamed = {change.entity_id for _state, change in states} - set(guardian_at)
        renamed_in_reach = (
            set(
                await self.session.scalars(
                    select(GuardianLink.guardian_id)
                    .join(Enrollment, Enrollment.student_id == GuardianLink.student_id)
                    .where(
                        GuardianLink.guardian_id.in_(sorted(renamed)),
                        Enrollment.school_id.in_(self.reach.school_ids()),
                    )
                )
            )
            if renamed
            else set()
        )
        for guardian in await self.session.scalars(
            select(Guardian).where(Guardian.id.in_(sorted(guardian_at)))
        ):
            self.departures.add(
                guardian_key_of(self.keys, guardian),
                guardian_at[guardian.id],
                referrer=guardian.id in referrers,
                trace=Trace("guardians", guardian.id, row_state(guardian)),
            )
        for state, change in states:
            if change.entity_id in guardian_at or change.entity_id in renamed_in_reach:
                self.departures.add(
                    guardian_key_of(self.keys, state),
                    change.at,
                    trace=Trace("guardians", change.entity_id, state),
                )

    async def enrollments(self) -> None:
        touched = await self.touched_enrollments()
        keys = await self.student_keys(touched)
        changes = await self.changes()
        division_ids: set[int] = set()
        group_ids: set[int] = set()
        for state in touched.values():
            division_ids |= state["divisions"]
            group_ids |= state["groups"]
        teaching = [
            c
            for c in changes
            if c.entity == "teaching_assignments" and c.value("school_id") in self.reach.schools
        ]
        # (teacher sourcedId, when, division, group): the services of a teacher whose account
        # was deactivated or whose natural key changed, under the sourcedId he had.
        former_services: list[tuple[str, datetime, Any, Any]] = []
        former = {
            change.entity_id: (self.keys.teacher(state.get("sts_id"), state["login"]), change.at)
            for state, change in await previous_states(
                self.session, StaffUser, changes, TEACHER_DEPARTURE_COLUMNS
            )
            if state.get("login")
        }
        if former:
            for user_id, division_id, group_id in await self.session.execute(
                select(
                    TeachingAssignment.user_id,
                    TeachingAssignment.division_id,
                    TeachingAssignment.group_id,
                ).where(
                    TeachingAssignment.user_id.in_(sorted(former)),
                    TeachingAssignment.school_id.in_(self.reach.school_ids()),
                )
            ):
                former_services.append((*former[user_id], division_id, group_id))
        for change in teaching:
            if change.value("division_id"):
                division_ids.add(change.value("division_id"))
            if change.value("group_id"):
                group_ids.add(change.value("group_id"))
        division_ids |= {d for _u, _a, d, _g in former_services if d is not None}
        group_ids |= {g for _u, _a, _d, g in former_services if g is not None}
        classes = await self._class_states(changes, division_ids, group_ids)
        for user, at, division_id, group_id in former_services:
            ref = ("divisions", division_id) if division_id else ("groups", group_id)
            if ref in classes:
                class_id, school_id = classes[ref]
                self._enrollment(class_id, school_id, user, "teacher", at, primary="true")
        for state in touched.values():
            student_id = self._student_of(state)
            refs = [("divisions", d) for d in state["divisions"]]
            refs += [("groups", g) for g in state["groups"]]
            for ref in refs:
                if ref in classes:
                    class_id, school_id = classes[ref]
                    row = state.get("current") or as_row(state.get("deleted", {}))
                    dates = student_enrollment_dates(row.entry_date, row.exit_date)
                    for user in keys.get(student_id, ()):
                        self._enrollment(
                            class_id,
                            school_id,
                            user,
                            "student",
                            state["at"],
                            primary="false",
                            **dates,
                        )
        teachers = {
            user.id: self.keys.teacher(user.sts_id, user.login)
            for user in await self.session.scalars(
                select(StaffUser).where(
                    StaffUser.id.in_(sorted({c.value("user_id") for c in teaching}))
                )
            )
        }
        for change in teaching:
            ref = (
                ("divisions", change.value("division_id"))
                if change.value("division_id")
                else ("groups", change.value("group_id"))
            )
            if ref in classes and change.value("user_id") in teachers:
                class_id, school_id = classes[ref]
                self._enrollment(
                    class_id,
                    school_id,
                    teachers[change.value("user_id")],
                    "teacher",
                    change.at,
                    primary="true",
                )
        await self._recoded_classes(touched, keys, teaching)

    async def _recoded_classes(
        self,
        touched: dict[int, dict[str, Any]],
        keys: dict[int, set[str]],
        teaching: list[AuditedChange],
    ) -> None:
        """A class whose code changed changed its sourcedId (its natural key holds the code):
        the enrolments in it, its students' and its teachers', leave under the former one
        (those there now, and those who left it since)."""
        changes = await self.changes()
        former: dict[tuple[str, Any], list[tuple[str, int, datetime]]] = defaultdict(list)
        for kind, model in (("divisions", Division), ("groups", Group)):
            for state, change in await previous_states(
                self.session, model, changes, CLASS_KEY_COLUMNS
            ):
                if change.action == "update" and self.open_class(
                    state["school_id"], state["school_year_id"]
                ):
                    former[(kind, change.entity_id)].append(
                        (self.class_id(kind, state), state["school_id"], change.at)
                    )
        if not former:
            return
        divisions = sorted(i for kind, i in former if kind == "divisions")
        groups = sorted(i for kind, i in former if kind == "groups")
        schools = self.reach.school_ids()
        # (class, student) -> the enrolment's entry and exit dates (its last known state).
        students: dict[tuple[tuple[str, Any], int], tuple[Any, Any]] = {}
        for division_id, student_id, entry, exit_ in await self.session.execute(
            select(
                Enrollment.division_id,
                Enrollment.student_id,
                Enrollment.entry_date,
                Enrollment.exit_date,
            ).where(Enrollment.division_id.in_(divisions), Enrollment.school_id.in_(schools))
        ):
            students[(("divisions", division_id), student_id)] = (entry, exit_)
        for group_id, student_id, entry, exit_ in await self.session.execute(
            select(
                EnrollmentGroup.group_id,
                Enrollment.student_id,
                Enrollment.entry_date,
                Enrollment.exit_date,
            )
            .join(Enrollment, Enrollment.id == EnrollmentGroup.enrollment_id)
            .where(EnrollmentGroup.group_id.in_(groups), Enrollment.school_id.in_(schools))
        ):
            students[(("groups", group_id), student_id)] = (entry, exit_)
        for state in touched.values():
            refs = [("divisions", d) for d in state["divisions"]]
            refs += [("groups", g) for g in state["groups"]]
            row = state.get("current") or as_row(state.get("deleted", {}))
            for ref in refs:
                if ref in former:
                    students.setdefault(
                        (ref, self._student_of(state)), (row.entry_date, row.exit_date)
                    )
        student_ids = sorted({student_id for _ref, student_id in students} - set(keys))
        current = {
            student.id: {student_key_of(self.keys, student)}
            for student in await self.session.scalars(
                select(Student).where(Student.id.in_(student_ids))
            )
        }
        for (ref, student_id), (entry, exit_) in students.items():
            dates = student_enrollment_dates(entry, exit_)
            for class_id, school_id, at in former[ref]:
                for user in keys.get(student_id) or current.get(student_id) or set():
                    self._enrollment(
                        class_id, school_id, user, "student", at, primary="false", **dates
                    )
        taught: set[tuple[tuple[str, Any], int]] = {
            (("divisions", a.division_id) if a.division_id else ("groups", a.group_id), a.user_id)
            for a in await self.session.execute(
                select(
                    TeachingAssignment.division_id,
                    TeachingAssignment.group_id,
                    TeachingAssignment.user_id,
                ).where(
                    or_(
                        TeachingAssignment.division_id.in_(divisions),
                        TeachingAssignment.group_id.in_(groups),
                    )
                )
            )
        }
        for change in teaching:
            ref = (
                ("divisions", change.value("division_id"))
                if change.value("division_id")
                else ("groups", change.value("group_id"))
            )
            if ref in former:
                taught.add((ref, change.value("user_id")))
        teachers = {
            user.id: self.keys.teacher(user.sts_id, user.login)
            for user in await self.session.scalars(
                select(StaffUser).where(StaffUser.id.in_(sorted({u for _r, u in taught})))
            )
        }
        for ref, user_id in taught:
            for class_id, school_id, at in former[ref]:
                if user_id in teachers:
                    self._enrollment(
                        class_id, school_id, teachers[user_id], "teacher", at, primary="true"
                    )

    def _enrollment(
        self, class_id: str, school_id: int, user: str, role: str, at: datetime, **extra: Any
    ) -> None:
        record = enrollment_record(self.reach, class_id, school_id, user, role, **extra)
        self.departures.add(record["sourcedId"], at, trace=Trace("record", None, record))

    async def _class_states(
        self, changes: list[AuditedChange], division_ids: set[int], group_ids: set[int]
    ) -> dict[tuple[str, int], tuple[str, int]]:
        """(kind, id) -> (class sourcedId, school id), for the open classes in reach, as they
        stand or as they were deleted."""
        found: dict[tuple[str, int], tuple[str, int]] = {}
        models: tuple[tuple[str, Any, set[int]], ...] = (
            ("divisions", Division, division_ids),
            ("groups", Group, group_ids),
        )
        for kind, model, ids in models:
            states = {
                c.entity_id: c.before
                for c in changes
                if c.entity == kind and c.action == "delete" and c.entity_id in ids
            }
            for row in await self.session.scalars(select(model).where(model.id.in_(sorted(ids)))):
                states[row.id] = {
                    "school_id": row.school_id,
                    "school_year_id": row.school_year_id,
                    "code": row.code,
                }
            for row_id, state in states.items():
                if self.open_class(state.get("school_id"), state.get("school_year_id")):
                    found[(kind, row_id)] = (self.class_id(kind, state), state["school_id"])
        return found


async def _closed_years(
    session: AsyncSession, reach: RosterReach, since: datetime
) -> list[tuple[Year, datetime]]:
    closed = []
    for change in await audited_changes(session, ("school_years",), since=since):
        if change.after.get("state") == "closed" and change.entity_id in reach.all_years:
            year = reach.all_years[change.entity_id]
            if year.id not in reach.years:
                closed.append((year, change.at))
    return closed


async def departed_records(
    session: AsyncSession,
    reach: RosterReach,
    collection: str,
    since: datetime,
    active: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The collection's records that left the caller's roster after ``since`` (and those of
    ``active``, the roster now, whose references changed with them)."""
    since = as_utc(since)
    gatherer = Gatherer(session, reach, since, set(active))
    if collection == "orgs":
        return []
    for year, closed_at in await _closed_years(session, reach, since):
        # The year's records as they stood: their last known state.
        for record in await build_records(session, reach, collection, [year], ended_too=True):
            gatherer.departures.add(
                record["sourcedId"], closed_at, trace=Trace("record", None, record)
            )
    if collection == "academicSessions":
        await gatherer.sessions()
    elif collection == "courses":
        await gatherer.courses()
    elif collection == "classes":
        await gatherer.classes()
    elif collection == "users":
        await gatherer.users()
    elif collection == "demographics":
        await gatherer.users(students_only=True)
    elif collection == "enrollments":
        await gatherer.enrollments()
    departures = gatherer.departures
    traced = {
        sid: departures.traces[sid]
        for sid in departures.departed(active, since)
        if sid in departures.traces
    }
    known = await last_known_records(
        session, reach, collection, traced, await gatherer.changes() if traced else []
    )
    return departures.records(active, since, known)
