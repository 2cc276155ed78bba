"""An import plan: what a SIECLE file would change in a school for a year, row by row, and its
application in the caller's transaction.

A plan holds no ORM object: rows to update carry their id and the version read when the plan
was made, so that a plan applied after another change of the same row fails on the version
(as a form saved over someone else's edit does) instead of overwriting it. Rows not written
yet are referred to by a ``Ref`` (their kind and SIECLE key), resolved once written.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import FieldError, NotFound, StaleVersion, ValidationFailed
from db.addresses import Address
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup, EnrollmentOption
from db.guardians import Guardian, GuardianLink
from db.ids import reserve_ids
from db.nomenclatures import SchoolMef
from db.schools import School, SchoolYear
from db.students import IneConflict, Student
from exchanges.records import RecordProblem

# Lookups by lists of keys are cut into slices of this many keys: a statement stays far below
# the engines' limits on bound parameters (32,767 for asyncpg) whatever the file's size.
CHUNK = 1000


def chunks(keys: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


class Entity(enum.StrEnum):
    ADDRESS = "address"
    STUDENT = "student"
    SCHOOL_MEF = "school_mef"
    ENROLLMENT = "enrollment"
    ENROLLMENT_OPTION = "enrollment_option"
    ENROLLMENT_GROUP = "enrollment_group"
    GUARDIAN = "guardian"
    GUARDIAN_LINK = "guardian_link"


# In the order rows are written: each refers only to rows written before it.
MODELS: dict[Entity, type[Any]] = {
    Entity.ADDRESS: Address,
    Entity.STUDENT: Student,
    Entity.SCHOOL_MEF: SchoolMef,
    Entity.ENROLLMENT: Enrollment,
    Entity.ENROLLMENT_OPTION: EnrollmentOption,
    Entity.ENROLLMENT_GROUP: EnrollmentGroup,
    Entity.GUARDIAN: Guardian,
    Entity.GUARDIAN_LINK: GuardianLink,
}
# Rows keyed by two columns (no id of their own): which ones.
COMPOSITE_KEYS: dict[Entity, tuple[str, str]] = {
    Entity.SCHOOL_MEF: ("school_id", "mef_id"),
    Entity.ENROLLMENT_OPTION: ("enrollment_id", "subject_id"),
    Entity.ENROLLMENT_GROUP: ("enrollment_id", "group_id"),
}
# The element of the SIECLE files a refusal names, for each kind of row.
ELEMENTS: dict[str, Entity] = {
    "ELEVE": Entity.STUDENT,
    "ADRESSE": Entity.ADDRESS,
    "OPTION": Entity.ENROLLMENT_OPTION,
    "PERSONNE": Entity.GUARDIAN,
    "RESPONSABLE_ELEVE": Entity.GUARDIAN_LINK,
}


class Action(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    # Only a membership (a group, an elected option) the file no longer lists: students,
    # guardians, their links and addresses are never deleted by an import.
    REMOVED = "removed"


@dataclass(frozen=True)
class Ref:
    """A row of the plan, by its kind and SIECLE key: its id once written."""

    entity: Entity
    key: str


@dataclass
class PlannedRow:
    entity: Entity
    key: str  # the SIECLE id (or ids) the row comes from
    action: Action
    label: str  # what the secretariat reads in the preview
    # The existing row: its id (a pair of ids for a membership) and the version read.
    row_id: int | tuple[int, int] | None = None
    version: int | None = None
    # Created: every value; updated: the new values of the changed fields only.
    values: dict[str, Any] = field(default_factory=dict)
    # Updated: the old values of the changed fields.
    before: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    refused: int = 0


@dataclass
class ImportPlan:
    """What applying the file would do. ``refused`` are the records left out, ``reported``
    what was taken without a part of it (an unknown division code...); both name the element,
    its id and the field, like the problems the readers report."""

    kind: str  # "students" or "guardians"
    school_id: int
    school_year_id: int
    rows: list[PlannedRow] = field(default_factory=list)
    refused: list[RecordProblem] = field(default_factory=list)
    reported: list[RecordProblem] = field(default_factory=list)
    # Students (by key) whose INE other students hold: flagged for the rectorat on apply
    # (never shown: the school must not learn that another school holds an INE).
    ine_holders: dict[str, tuple[str, list[int]]] = field(default_factory=dict)

    def add(self, row: PlannedRow) -> PlannedRow:
        self.rows.append(row)
        return row

    def counts(self) -> dict[Entity, Counts]:
        tally: Counter[tuple[Entity, Action]] = Counter((r.entity, r.action) for r in self.rows)
        refused: Counter[Entity] = Counter()
        for entity, _ in {
            (ELEMENTS[p.element], p.record_id) for p in self.refused if p.element in ELEMENTS
        }:
            refused[entity] += 1
        return {
            entity: Counts(
                created=tally[entity, Action.CREATED],
                updated=tally[entity, Action.UPDATED],
                unchanged=tally[entity, Action.UNCHANGED],
                removed=tally[entity, Action.REMOVED],
                refused=refused[entity],
            )
            for entity in MODELS
            if any(e == entity for e, _ in tally) or refused[entity]
        }

    def of(self, entity: Entity, action: Action | None = None) -> list[PlannedRow]:
        return [
            r for r in self.rows if r.entity is entity and (action is None or r.action is action)
        ]


def problem(
    element: str, record_id: str | None, field_name: str | None, message: str, line: int
) -> RecordProblem:
    return RecordProblem(
        element=element, record_id=record_id, field=field_name, message=message, line=line
    )


def diff(current: Any, wanted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of ``wanted`` that differ from the row's: (old values, new values). A
    ``Ref`` to a row not written yet always differs; one to an existing row compares by id."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in wanted.items():
        old = getattr(current, name)
        if old != value:
            before[name], after[name] = old, value
    return before, after


def plan_row(
    plan: ImportPlan,
    entity: Entity,
    key: str,
    label: str,
    current: Any | None,
    wanted: dict[str, Any],
    created_values: dict[str, Any] | None = None,
) -> PlannedRow:
    """Adds the row ``wanted`` describes: created when there is no ``current`` row (with
    ``created_values`` added), else updated with its changed fields, or unchanged."""
    if current is None:
        return plan.add(
            PlannedRow(entity, key, Action.CREATED, label, values=wanted | (created_values or {}))
        )
    keys = COMPOSITE_KEYS.get(entity)
    row_id = (getattr(current, keys[0]), getattr(current, keys[1])) if keys else current.id
    before, after = diff(current, wanted)
    return plan.add(
        PlannedRow(
            entity,
            key,
            Action.UPDATED if after else Action.UNCHANGED,
            label,
            row_id=row_id,
            version=getattr(current, "version", None),
            values=after,
            before=before,
        )
    )


@requires(Permission.STUDENTS_WRITE)
async def school_and_year(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> tuple[School, SchoolYear]:
    """The school, if the caller may write its students, and an open year of its académie."""
    if Permission.STUDENTS_WRITE not in principal.permissions_in(school_id):
        raise NotFound("School", school_id)
    school = await session.get(School, school_id)
    if school is None or school.academy_id != principal.academy_id:
        raise NotFound("School", school_id)
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != school.academy_id:
        raise ValidationFailed.single("school_year_id", "NOT_FOUND", "Année scolaire inconnue.")
    await check_year_writable(session, school.id, year)
    return school, year


STALE_IMPORT = (
    "Des fiches ont été modifiées depuis l'aperçu de l'import : refaites l'aperçu avant "
    "d'appliquer."
)


def _resolve(values: dict[str, Any], ids: dict[Ref, int]) -> dict[str, Any]:
    return {name: ids[v] if isinstance(v, Ref) else v for name, v in values.items()}


async def _load(session: AsyncSession, entity: Entity, row_ids: list[Any]) -> dict[Any, Any]:
    model = MODELS[entity]
    keys = COMPOSITE_KEYS.get(entity)
    found: dict[Any, Any] = {}
    for part in chunks(row_ids):
        if keys:
            columns = (getattr(model, keys[0]), getattr(model, keys[1]))
            query = select(model).where(tuple_(*columns).in_(list(part)))
            for row in await session.scalars(query):
                found[(getattr(row, keys[0]), getattr(row, keys[1]))] = row
        else:
            for row in await session.scalars(select(model).where(model.id.in_(list(part)))):
                found[row.id] = row
    return found


async def _update(
    session: AsyncSession, entity: Entity, rows: list[PlannedRow], ids: dict[Ref, int]
) -> None:
    if not rows:
        return
    current = await _load(session, entity, [r.row_id for r in rows])
    stale = [
        r
        for r in rows
        if r.row_id not in current
        or (r.version is not None and current[r.row_id].version != r.version)
    ]
    if stale:
        raise StaleVersion([FieldError("version", "STALE", STALE_IMPORT)])
    if entity is Entity.GUARDIAN_LINK:
        # A legal rank moving between two links of a student (1 and 2 swapped, or freed for
        # a guardian the file adds) would meet the other on the unique (student, rank)
        # before both are written: the moving ranks are emptied first.
        moving = [r for r in rows if "legal_rank" in r.values]
        for r in moving:
            current[r.row_id].legal_rank = None
        if moving:
            await session.flush()
    for r in rows:
        for name, value in _resolve(r.values, ids).items():
            setattr(current[r.row_id], name, value)
    await session.flush()


async def _create(
    session: AsyncSession, entity: Entity, rows: list[PlannedRow], ids: dict[Ref, int]
) -> None:
    if not rows:
        return
    model = MODELS[entity]
    made = [(r, model(**_resolve(r.values, ids))) for r in rows]
    if entity not in COMPOSITE_KEYS:
        # Given their ids, the rows are inserted in batches instead of one by one.
        reserved = await reserve_ids(session, model.__tablename__, len(made))
        for (r, obj), row_id in zip(made, reserved, strict=True):
            obj.id = row_id
            ids[Ref(entity, r.key)] = row_id
    session.add_all(obj for _, obj in made)
    await session.flush()


async def _remove(session: AsyncSession, entity: Entity, rows: list[PlannedRow]) -> None:
    if not rows:
        return
    current = await _load(session, entity, [r.row_id for r in rows])
    for r in rows:
        if r.row_id in current:
            await session.delete(current[r.row_id])
    await session.flush()


async def _flag_ine_conflicts(session: AsyncSession, plan: ImportPlan, ids: dict[Ref, int]) -> None:
    """One open conflict per pair of students, as ``ine_conflicts.flag_conflicts`` keeps them,
    for every student of the file at once."""
    if not plan.ine_holders:
        return
    by_student = {
        ids[Ref(Entity.STUDENT, key)]: holders for key, holders in plan.ine_holders.items()
    }
    known: set[tuple[int, int]] = set()
    for part in chunks(list(by_student)):
        known.update(
            (a, b)
            for a, b in await session.execute(
                select(IneConflict.student_id, IneConflict.other_student_id).where(
                    IneConflict.student_id.in_(list(part)), IneConflict.settled_at.is_(None)
                )
            )
        )
    now = clock.now()
    for student_id, (ine, holders) in by_student.items():
        for holder in holders:
            if (student_id, holder) not in known:
                session.add(
                    IneConflict(
                        ine=ine, student_id=student_id, other_student_id=holder, detected_at=now
                    )
                )
    await session.flush()


@requires(Permission.STUDENTS_WRITE)
async def apply_plan(session: AsyncSession, principal: Principal, plan: ImportPlan) -> None:
    """Writes the plan through the ORM (audit log, versions) in the caller's transaction: a
    failure anywhere leaves nothing written once the caller rolls back."""
    if Permission.STUDENTS_WRITE not in principal.permissions_in(plan.school_id):
        raise PermissionDenied(Permission.STUDENTS_WRITE)
    set_actor(session.sync_session, principal.audit_actor(plan.school_id))
    ids: dict[Ref, int] = {
        Ref(r.entity, r.key): r.row_id
        for r in plan.rows
        if isinstance(r.row_id, int) and r.action is not Action.REMOVED
    }
    for entity in MODELS:
        rows = plan.of(entity)
        await _update(session, entity, [r for r in rows if r.action is Action.UPDATED], ids)
        await _create(session, entity, [r for r in rows if r.action is Action.CREATED], ids)
        await _remove(session, entity, [r for r in rows if r.action is Action.REMOVED])
    await _flag_ine_conflicts(session, plan, ids)
