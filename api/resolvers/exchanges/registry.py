"""The formats an import reads, each tied to its reader and to the domain's plan and apply:
importing this module registers them (``runs.register_import``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.exchanges import siecle
from api.resolvers.exchanges.runs import ImportFormat, ImportPlan, register_import
from db.exchanges import ExchangeFormat
from db.schools import School, SchoolYear
from exchanges.records import RecordProblem
from exchanges.siecle_reading import read_guardians, read_students


@dataclass
class SiecleImport:
    """A SIECLE plan as the exchange history reports it."""

    plan: siecle.ImportPlan

    @property
    def problems(self) -> list[RecordProblem]:
        return [*self.plan.refused, *self.plan.reported]

    def counts(self) -> dict[str, dict[str, int]]:
        return {entity.value: asdict(counts) for entity, counts in self.plan.counts().items()}

    def changes(self) -> Iterable[dict[str, Any]]:
        for row in self.plan.rows:
            if row.action == siecle.Action.UNCHANGED:
                continue
            yield {
                "kind": row.entity.value,
                "id": row.key,
                "label": row.label,
                "action": row.action.value,
                "fields": sorted(row.before if row.before else row.values),
            }


def _school_id(school: School | None) -> int:
    assert school is not None  # a school's file: runs checked it
    return school.id


async def _plan_students(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear,
    items: Iterable[Any],
) -> ImportPlan:
    plan = await siecle.plan_students_import(session, principal, _school_id(school), year.id, items)
    return SiecleImport(plan)


async def _plan_guardians(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear,
    items: Iterable[Any],
) -> ImportPlan:
    plan = await siecle.plan_guardians_import(
        session, principal, _school_id(school), year.id, items
    )
    return SiecleImport(plan)


async def _apply_siecle(session: AsyncSession, principal: Principal, plan: ImportPlan) -> None:
    assert isinstance(plan, SiecleImport)
    await siecle.apply_plan(session, principal, plan.plan)


register_import(
    ImportFormat(
        ExchangeFormat.STUDENTS,
        "Élèves (BEE_ELEVES, SIECLE)",
        Permission.STUDENTS_WRITE,
        True,
        read_students,
        _plan_students,
        _apply_siecle,
    )
)
register_import(
    ImportFormat(
        ExchangeFormat.GUARDIANS,
        "Responsables (BEE_RESPONSABLES, SIECLE)",
        Permission.STUDENTS_WRITE,
        True,
        read_guardians,
        _plan_guardians,
        _apply_siecle,
    )
)
