"""The académie's schools loaded from a CSV file (``exchanges.schools_csv``): a preview of
what would be created or updated and of the refused lines, then the application, in one
transaction. A school is found by its UAI; nothing is ever deleted. Each load is recorded
(``ExchangeRun``, format SCHOOLS_CSV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.exchange_runs import MAX_REPORTED, problem_entry, record_run
from api.resolvers.schools import create_school, parse_school, update_school
from core import clock
from core.errors import NotFound
from db.absences import AbsenceSettings
from db.exchanges import ExchangeDirection, ExchangeFile, ExchangeFormat, ExchangeRun, ExchangeState
from db.schools import School
from exchanges.records import RecordProblem, SchoolRecord
from exchanges.schools_csv import COLUMN_OF, SchoolsFileRefused, read_schools

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


@dataclass(frozen=True)
class SchoolsLoad:
    """A load previewed (``applied`` False) or applied: its run, the plan, the refusals."""

    run: ExchangeRun
    planned: list[PlannedSchool]
    problems: list[RecordProblem]
    applied: bool
    # The whole file refused (unreadable, wrong header): nothing planned.
    refusal: str | None = None

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)


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


def _counts(planned: list[PlannedSchool], problems: list[RecordProblem]) -> dict[str, Any]:
    counts = {
        action: sum(1 for p in planned if p.action == action)
        for action in ("created", "updated", "unchanged")
    }
    return {"schools": counts | {"refused": len({p.line for p in problems})}}


def _changes(planned: list[PlannedSchool]) -> dict[str, Any]:
    return {
        "changes": [
            {
                "line": p.line,
                "uai": p.uai,
                "name": p.name,
                "action": p.action,
                "columns": list(p.changes),
            }
            for p in planned
            if p.action != "unchanged"
        ]
    }


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


@requires(Permission.SCHOOLS_MANAGE)
async def load_schools(
    session: AsyncSession,
    principal: Principal,
    file_name: str,
    content: bytes,
    *,
    apply: bool = False,
) -> SchoolsLoad:
    """Read the file and record the load: a preview (the file kept, to be applied by
    ``apply_previewed_schools``), or, with ``apply``, the creations and updates at once.
    A refused file is recorded too and returns its refusal (nothing raised, so that the
    record stays)."""
    try:
        records, problems = read_schools(content)
    except SchoolsFileRefused as refused:
        run = await record_run(
            session,
            principal,
            format=ExchangeFormat.SCHOOLS_CSV,
            direction=ExchangeDirection.IMPORT,
            state=ExchangeState.REFUSED,
            file_name=file_name,
            content=content,
            report={"refusal": str(refused)},
        )
        return SchoolsLoad(run, [], [], False, str(refused))
    planned, refusals = await _plan(session, principal, records)
    problems = sorted(problems + refusals, key=lambda p: p.line)
    if apply:
        await _write(session, principal, planned)
    run = await record_run(
        session,
        principal,
        format=ExchangeFormat.SCHOOLS_CSV,
        direction=ExchangeDirection.IMPORT,
        state=ExchangeState.APPLIED if apply else ExchangeState.PREVIEWED,
        file_name=file_name,
        content=content,
        counts=_counts(planned, problems),
        problems=problems,
        report=_changes(planned),
        keep_file=not apply,
    )
    return SchoolsLoad(run, planned, problems, apply)


@requires(Permission.SCHOOLS_MANAGE)
async def apply_previewed_schools(
    session: AsyncSession, principal: Principal, run_id: int
) -> SchoolsLoad:
    """Apply a previewed load, as the file is now (the schools may have changed since)."""
    run = await session.scalar(
        select(ExchangeRun).where(
            ExchangeRun.id == run_id,
            ExchangeRun.academy_id == principal.academy_id,
            ExchangeRun.format == ExchangeFormat.SCHOOLS_CSV,
            ExchangeRun.state == ExchangeState.PREVIEWED,
        )
    )
    stored = await session.get(ExchangeFile, run_id) if run is not None else None
    if run is None or stored is None:
        raise NotFound("ExchangeRun", run_id)
    records, problems = read_schools(stored.content)
    planned, refusals = await _plan(session, principal, records)
    problems = sorted(problems + refusals, key=lambda p: p.line)
    await _write(session, principal, planned)
    run.state = ExchangeState.APPLIED
    run.finished_at = clock.now()
    run.counts = _counts(planned, problems)
    run.error_count = len(problems)
    run.report = {"refused": [problem_entry(p) for p in problems][:MAX_REPORTED]} | _changes(
        planned
    )
    await session.delete(stored)
    await session.flush()
    return SchoolsLoad(run, planned, problems, True)
