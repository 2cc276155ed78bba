"""The formats an import reads, each tied to its reader and to the domain's plan and apply:
importing this module registers them (``runs.register_import``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers import (
    immatriculation,
    nomenclature_import,
    passage,
    school_imports,
    structures_import,
)
from api.resolvers.exchanges import siecle
from api.resolvers.exchanges.runs import ImportFormat, ImportPlan, PlanFunction, register_import
from db.exchanges import ExchangeFormat, ExchangeRun
from db.schools import School, SchoolYear
from exchanges.affectations import AssignmentsReading
from exchanges.bea_files import read_returns
from exchanges.private_import_reading import read_private_import
from exchanges.records import AddressRecord, PersonRecord, RecordProblem, ResponsibilityRecord
from exchanges.schools_csv import SchoolsReading
from exchanges.siecle_reading import read_guardians, read_nomenclatures, read_students
from exchanges.sts_reading import read_structures


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


def _year(year: SchoolYear | None) -> SchoolYear:
    assert year is not None  # a file of a school year: runs checked it
    return year


def _siecle_planner(
    plan_file: Callable[..., Awaitable[siecle.ImportPlan]],
) -> PlanFunction:
    """The plan of a SIECLE file (students or guardians) for the school and year of the file."""

    async def plan(
        session: AsyncSession,
        principal: Principal,
        school: School | None,
        year: SchoolYear | None,
        items: Iterable[Any],
    ) -> ImportPlan:
        planned = await plan_file(session, principal, _school_id(school), _year(year).id, items)
        return SiecleImport(planned)

    return plan


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
        _siecle_planner(siecle.plan_students_import),
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
        _siecle_planner(siecle.plan_guardians_import),
        _apply_siecle,
    )
)


@dataclass
class StructuresPlan:
    """An STS-WEB import's preview, with the records it was made from: applying plans them
    again in the applying transaction."""

    result: structures_import.StructuresImport
    items: list[Any]

    @property
    def problems(self) -> list[RecordProblem]:
        return self.result.problems

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            kind: numbers for kind, numbers in self.result.counts().items() if any(numbers.values())
        }

    def changes(self) -> Iterable[dict[str, Any]]:
        for change in self.result.changes:
            if change.outcome == structures_import.Outcome.UNCHANGED:
                continue
            yield {
                "kind": change.kind.value,
                "id": change.key,
                "label": change.label + (f" ({change.reason})" if change.reason else ""),
                "action": change.outcome.value,
                "fields": [f.field for f in change.fields],
            }


async def _plan_structures(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear | None,
    items: Iterable[Any],
) -> ImportPlan:
    records = list(items)
    result = await structures_import.preview_structures_import(
        session, principal, _school_id(school), _year(year).id, records
    )
    return StructuresPlan(result, records)


async def _apply_structures(session: AsyncSession, principal: Principal, plan: ImportPlan) -> None:
    assert isinstance(plan, StructuresPlan)
    await structures_import.apply_structures_import(
        session, principal, plan.result.school_id, plan.result.school_year_id, plan.items
    )


register_import(
    ImportFormat(
        ExchangeFormat.STRUCTURES,
        "Structures (STS_EDT, STS-WEB)",
        Permission.STRUCTURES_WRITE,
        True,
        read_structures,
        _plan_structures,
        _apply_structures,
        all_or_nothing=True,
    )
)


@dataclass
class NomenclaturesPlan:
    """A nomenclature import's preview, with its records (see ``StructuresPlan``)."""

    result: nomenclature_import.NomenclaturePlan
    items: list[Any]

    @property
    def problems(self) -> list[RecordProblem]:
        return self.result.refused

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            kind: asdict(getattr(self.result, name))
            for kind, name in (
                ("mef", "mefs"),
                ("subject", "subjects"),
                ("programme", "programmes"),
                ("nomenclature_entry", "entries"),
            )
        }

    def changes(self) -> Iterable[dict[str, Any]]:
        for change in self.result.changes:
            yield {
                "kind": change.element,
                "id": change.code,
                "label": f"{change.element} {change.code}",
                "action": change.action,
                "fields": change.fields,
            }


async def _plan_nomenclatures(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear | None,
    items: Iterable[Any],
) -> ImportPlan:
    records = list(items)
    result = await nomenclature_import.import_nomenclatures(
        session, principal, _year(year).start_year, records
    )
    return NomenclaturesPlan(result, records)


async def _apply_nomenclatures(
    session: AsyncSession, principal: Principal, plan: ImportPlan
) -> None:
    assert isinstance(plan, NomenclaturesPlan)
    await nomenclature_import.import_nomenclatures(
        session, principal, plan.result.year, plan.items, apply=True
    )


register_import(
    ImportFormat(
        ExchangeFormat.NOMENCLATURES,
        "Nomenclatures (BEE_NOMENCLATURES, SIECLE)",
        Permission.NOMENCLATURES_IMPORT,
        False,
        read_nomenclatures,
        _plan_nomenclatures,
        _apply_nomenclatures,
    )
)


@dataclass
class PrivateImport:
    """An import privé: its students (as BEE_ELEVES gives them) then their guardians (as
    BEE_RESPONSABLES does), from one file. The guardians' plan needs the students written: at
    preview they are written in a savepoint rolled back once the guardians are planned."""

    students: siecle.ImportPlan
    guardians: siecle.ImportPlan
    guardian_items: list[Any]

    @property
    def problems(self) -> list[RecordProblem]:
        return [*SiecleImport(self.students).problems, *SiecleImport(self.guardians).problems]

    def counts(self) -> dict[str, dict[str, int]]:
        merged: dict[str, dict[str, int]] = {}
        for plan in (self.students, self.guardians):
            for kind, numbers in SiecleImport(plan).counts().items():
                into = merged.setdefault(kind, dict.fromkeys(numbers, 0))
                for key, value in numbers.items():
                    into[key] = into.get(key, 0) + value
        return merged

    def changes(self) -> Iterable[dict[str, Any]]:
        yield from SiecleImport(self.students).changes()
        yield from SiecleImport(self.guardians).changes()


def _split_private_import(items: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    students: list[Any] = []
    guardians: list[Any] = []
    for item in items:
        if isinstance(item, PersonRecord | ResponsibilityRecord):
            guardians.append(item)
        elif isinstance(item, AddressRecord):
            students.append(item)
            guardians.append(item)
        else:
            students.append(item)
    return students, guardians


async def _plan_private_import(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear | None,
    items: Iterable[Any],
) -> ImportPlan:
    student_items, guardian_items = _split_private_import(items)
    school_id = _school_id(school)
    students = await siecle.plan_students_import(
        session, principal, school_id, _year(year).id, student_items
    )
    savepoint = await session.begin_nested()
    try:
        await siecle.apply_plan(session, principal, students)
        guardians = await siecle.plan_guardians_import(
            session, principal, school_id, _year(year).id, guardian_items
        )
    finally:
        await savepoint.rollback()
    return PrivateImport(students, guardians, guardian_items)


async def _apply_private_import(
    session: AsyncSession, principal: Principal, plan: ImportPlan
) -> None:
    assert isinstance(plan, PrivateImport)
    await siecle.apply_plan(session, principal, plan.students)
    # Planned again now that the students are written (the preview's plan was rolled back).
    plan.guardians = await siecle.plan_guardians_import(
        session,
        principal,
        plan.students.school_id,
        plan.students.school_year_id,
        plan.guardian_items,
    )
    await siecle.apply_plan(session, principal, plan.guardians)


register_import(
    ImportFormat(
        ExchangeFormat.PRIVATE_IMPORT,
        "Import privé (IMPORT_ELEVES)",
        Permission.STUDENTS_WRITE,
        True,
        read_private_import,
        _plan_private_import,
        _apply_private_import,
    )
)


async def _plan_school_list(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear | None,
    items: Iterable[Any],
) -> ImportPlan:
    return await school_imports.plan_schools(session, principal, items)


async def _apply_school_list(session: AsyncSession, principal: Principal, plan: ImportPlan) -> None:
    assert isinstance(plan, school_imports.SchoolsPlan)
    await school_imports.apply_schools(session, principal, plan)


register_import(
    ImportFormat(
        ExchangeFormat.SCHOOLS_CSV,
        "Établissements de l'académie (CSV)",
        Permission.SCHOOLS_MANAGE,
        False,
        SchoolsReading,
        _plan_school_list,
        _apply_school_list,
        yearly=False,
    )
)


async def _plan_ine_returns(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear | None,
    items: Iterable[Any],
) -> ImportPlan:
    return await immatriculation.plan_ine_returns(
        session, principal, _school_id(school), _year(year).id, items
    )


async def _apply_ine_returns(session: AsyncSession, principal: Principal, plan: ImportPlan) -> None:
    assert isinstance(plan, immatriculation.IneReturnsPlan)
    await immatriculation.apply_ine_returns(session, principal, plan)


async def _acknowledge_ine_returns(
    session: AsyncSession, principal: Principal, run: ExchangeRun, plan: ImportPlan
) -> None:
    assert isinstance(plan, immatriculation.IneReturnsPlan)
    await immatriculation.acknowledge_ine_returns(session, principal, run, plan)


register_import(
    ImportFormat(
        ExchangeFormat.INE_RETURNS,
        "Immatriculations (INE) de la base élèves académique (BEA)",
        Permission.STUDENTS_WRITE,
        True,
        read_returns,
        _plan_ine_returns,
        _apply_ine_returns,
        acknowledge=_acknowledge_ine_returns,
    )
)


async def _plan_assignments(
    session: AsyncSession,
    principal: Principal,
    school: School | None,
    year: SchoolYear | None,
    items: Iterable[Any],
) -> ImportPlan:
    return await passage.plan_assignments(session, principal, _school_id(school), items)


async def _apply_assignments(session: AsyncSession, principal: Principal, plan: ImportPlan) -> None:
    assert isinstance(plan, passage.AssignmentsPlan)
    await passage.apply_assignments(session, principal, plan)


# The académie's file names no year: its lines are for the school's year in preparation.
register_import(
    ImportFormat(
        ExchangeFormat.ASSIGNMENTS,
        "Affectations de l'académie (CSV)",
        Permission.STUDENTS_WRITE,
        True,
        AssignmentsReading,
        _plan_assignments,
        _apply_assignments,
        yearly=False,
        school_per_record=True,
    )
)
