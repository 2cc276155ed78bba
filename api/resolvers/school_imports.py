"""The académie's schools loaded from a CSV file (``exchanges.schools_csv``): the plan of
what would be created or updated and of the refused lines, then its application, in one
transaction. A school is found by its UAI; nothing is ever deleted. The exchanges
(``api.resolvers.exchanges``) preview, apply and record each load (format SCHOOLS_CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.schools import create_school, parse_school, update_school
from db.absences import AbsenceSettings
from db.schools import School
from exchanges.records import RecordProblem, SchoolRecord
from exchanges.schools_csv import COLUMN_OF

ELEMENT = "établissement"


@dataclass(frozen=True)
class PlannedSchool:
    line: int
    uai: str
    name: str
    action: str  # "created", "updated", "unchanged"
    # The columns (CSV names) that change, for an update.
    changes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, repr=False)


def _data(record: SchoolRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in COLUMN_OF}


async def _plan(
    session: AsyncSession, principal: Principal, records: list[SchoolRecord]
) -> tuple[list[PlannedSchool], list[RecordProblem]]:
    existing = {
        s.uai: s
        for s in await session.scalars(
            select(School).where(School.academy_id == principal.academy_id)
        )
    }
    zones = {
        s.school_id: s.holiday_zone
        for s in await session.scalars(
            select(AbsenceSettings).where(
                AbsenceSettings.school_id.in_([s.id for s in existing.values()])
            )
        )
    }
    taken_elsewhere = set(
        await session.scalars(select(School.uai).where(School.academy_id != principal.academy_id))
    )
    planned: list[PlannedSchool] = []
    problems: list[RecordProblem] = []
    seen: dict[str, int] = {}
    for record in records:
        data = _data(record)
        values, errors = parse_school(data)
        uai = record.uai or None
        for error in errors:
            column = COLUMN_OF.get(error.field, error.field)
            problems.append(
                RecordProblem(
                    ELEMENT, uai, column, f"Colonne {column} : {error.message}", record.line
                )
            )
        if values is None:
            continue
        key = values.columns["uai"]
        if key in seen:
            problems.append(
                RecordProblem(
                    ELEMENT,
                    key,
                    "uai",
                    f"Colonne uai : l'UAI {key} figure déjà ligne {seen[key]}.",
                    record.line,
                )
            )
            continue
        if key in taken_elsewhere:
            problems.append(
                RecordProblem(
                    ELEMENT,
                    key,
                    "uai",
                    f"Colonne uai : l'UAI {key} est celui d'une autre académie.",
                    record.line,
                )
            )
            continue
        seen[key] = record.line
        school = existing.get(key)
        if school is None:
            planned.append(
                PlannedSchool(record.line, key, values.columns["name"], "created", (), data)
            )
            continue
        # An empty cell keeps what the school has: a file never erases (a column left out
        # of the file, say).
        data = {name: value for name, value in data.items() if value not in (None, "")}
        changes = tuple(
            COLUMN_OF[name]
            for name, value in values.columns.items()
            if name in data and getattr(school, name) != value
        )
        if values.holiday_zone is not None and zones.get(school.id) != values.holiday_zone:
            changes += (COLUMN_OF["holiday_zone"],)
        action = "updated" if changes else "unchanged"
        planned.append(
            PlannedSchool(record.line, key, values.columns["name"], action, changes, data)
        )
    return planned, problems


def _counts(
    planned: list[PlannedSchool], problems: list[RecordProblem]
) -> dict[str, dict[str, int]]:
    counts = {
        action: sum(1 for p in planned if p.action == action)
        for action in ("created", "updated", "unchanged")
    }
    return {"school": counts | {"refused": len({p.line for p in problems})}}


async def _write(session: AsyncSession, principal: Principal, planned: list[PlannedSchool]) -> None:
    ids = {
        uai: school_id
        for uai, school_id in await session.execute(
            select(School.uai, School.id).where(School.academy_id == principal.academy_id)
        )
    }
    for plan in planned:
        if plan.action == "created":
            await create_school(session, principal, plan.data)
        elif plan.action == "updated":
            await update_school(session, principal, ids[plan.uai], plan.data)


@dataclass
class SchoolsPlan:
    """What loading the file would do: the schools to create or update, the refused lines."""

    planned: list[PlannedSchool]
    problems: list[RecordProblem]

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)

    def counts(self) -> dict[str, dict[str, int]]:
        return _counts(self.planned, self.problems)

    def changes(self) -> Iterable[dict[str, Any]]:
        for p in self.planned:
            if p.action != "unchanged":
                yield {
                    "kind": "school",
                    "id": p.uai,
                    "label": f"ligne {p.line} : {p.uai} {p.name}",
                    "action": p.action,
                    "fields": list(p.changes),
                }


@requires(Permission.SCHOOLS_MANAGE)
async def plan_schools(
    session: AsyncSession, principal: Principal, records: Iterable[SchoolRecord]
) -> SchoolsPlan:
    """What creating or updating these schools would do; writes nothing."""
    planned, refusals = await _plan(session, principal, list(records))
    return SchoolsPlan(planned, refusals)


@requires(Permission.SCHOOLS_MANAGE)
async def apply_schools(session: AsyncSession, principal: Principal, plan: SchoolsPlan) -> None:
    """Create and update the planned schools, in the caller's transaction."""
    await _write(session, principal, plan.planned)
