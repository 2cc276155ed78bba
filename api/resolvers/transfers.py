"""Transfers: a student arriving from another school of the académie ("Dossiers élèves depuis
un autre EPLE").

The receiving school finds him in the other schools by his INE, or by his name and birth
date, and sees only what identifies him; taking his file enrols him in the receiving school
and closes his enrolment in the former one, in one transaction. His identity, guardians and
addresses are académie-wide records: nothing is copied. Once enrolled, the receiving school
reaches him like any of its students, and his schooling history (both schools' lines) with
him; what the former school recorded of his year there (absences, marks) stays its own.

Both schools' audit trails show the transfer: the changes of each enrolment are recorded
under its school, and an entry ``transfer`` in each says where he went or came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.read_audit import record_access
from api.auth.scopes import school_clause
from api.resolvers.enrollments import create_enrollment
from api.resolvers.fields import FieldParser
from api.resolvers.nomenclatures import entries
from api.resolvers.schools import check_year_writable, current_year_of, year_in_preparation_of
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from db.audit import AuditEntry
from db.enrollments import Enrollment, ExitReason
from db.nomenclatures import Mef, NomenclatureList, SchoolMef
from db.passage import PassageDecision, PassageOutcome
from db.schools import School, SchoolYear, current_year_id_of
from db.structures import Division
from db.students import Sex, Student, search_key

# A search answers a handful of students at most: it finds one student, it does not list.
MAX_CANDIDATES = 5
# The audit entry of a transfer, written in each school's trail.
TRANSFER_ACTION = "transfer"


@dataclass
class TransferCandidate:
    """What identifies a student of another school, and no more: no INE (unless the caller
    typed it), guardians, address or schooling beyond his current school and MEF."""

    student_id: int
    family_name: str
    first_name: str
    birth_date: date
    sex: Sex
    school_name: str
    school_uai: str
    mef_label: str


@dataclass(frozen=True)
class TransferCriteria:
    """By INE, or by family name, first name and birth date: exact matches only (accents and
    case aside), so that the search finds a student and cannot list a school's."""

    ine: str | None = None
    family_name: str | None = None
    first_name: str | None = None
    birth_date: date | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> TransferCriteria:
        p = FieldParser(data)
        ine = (p.text("ine", "L'INE", max_length=11) or "").replace(" ", "").upper()
        if ine:
            if not ine.isalnum():
                p.fail("ine", "INVALID", "L'INE ne contient que des chiffres et des lettres.")
            p.raise_if_errors()
            return cls(ine=ine)
        if not any(data.get(f) for f in ("family_name", "first_name", "birth_date")):
            p.fail(
                "ine",
                "REQUIRED",
                "Indiquez l'INE de l'élève, ou son nom, son prénom et sa date de naissance.",
            )
            p.raise_if_errors()
        family_name = p.text("family_name", "Le nom de famille", required=True, max_length=100)
        first_name = p.text("first_name", "Le prénom", required=True, max_length=60)
        birth_date = p.date("birth_date", "La date de naissance", required=True)
        p.raise_if_errors()
        return cls(family_name=family_name, first_name=first_name, birth_date=birth_date)

    def audited(self) -> dict[str, Any]:
        """Who searched what: the criteria as typed (kept in the audit trail only)."""
        if self.ine:
            return {"purpose": "transfer", "by": "ine", "ine": self.ine}
        assert self.birth_date is not None
        return {
            "purpose": "transfer",
            "by": "name",
            "family_name": self.family_name,
            "first_name": self.first_name,
            "birth_date": self.birth_date.isoformat(),
        }


async def _receiving_school(
    session: AsyncSession, principal: Principal, permission: Permission, school_id: int
) -> School:
    school = await session.scalar(
        select(School).where(
            School.id == school_id, school_clause(principal, permission, School.id)
        )
    )
    if school is None:
        raise NotFound("School", school_id)
    return school


def _elsewhere(query: Any, school: School) -> tuple[Any, Any, Any]:
    """``query`` (from ``Enrollment``) kept to the enrolments in the académie's other schools
    in their current year or the one before (the last closed one): where a transferred
    student comes from; with the aliases of their school and year."""
    # Aliases: the school's current year is read from the tables themselves, uncorrelated.
    where, year, current = aliased(School), aliased(SchoolYear), aliased(SchoolYear)
    return (
        query.join(where, where.id == Enrollment.school_id)
        .join(year, year.id == Enrollment.school_year_id)
        .join(current, current.id == current_year_id_of(Enrollment.school_id))
        .where(
            where.academy_id == school.academy_id,
            Enrollment.school_id != school.id,
            year.start_year.between(current.start_year - 1, current.start_year),
        ),
        where,
        year,
    )


def _recent_elsewhere(school: School) -> Any:
    """Those enrolments with their school and MEF, each student's most recent first."""
    query, where, year = _elsewhere(select(Enrollment), school)
    return (
        query.add_columns(where, Mef)
        .join(Mef, Mef.id == Enrollment.mef_id)
        .order_by(
            Enrollment.student_id,
            year.start_year.desc(),
            Enrollment.entry_date.desc(),
            Enrollment.id.desc(),
        )
    )


@requires(Permission.TRANSFERS_SEARCH)
async def transfer_candidates(
    session: AsyncSession, principal: Principal, school_id: int, criteria: dict[str, Any]
) -> list[TransferCandidate]:
    """Students of the académie's other schools matching the criteria exactly (at most
    ``MAX_CANDIDATES``), each with his current school and MEF; the search is recorded in the
    receiving school's audit trail (written when the request commits)."""
    school = await _receiving_school(session, principal, Permission.TRANSFERS_SEARCH, school_id)
    wanted = TransferCriteria.parse(criteria)
    if wanted.ine:
        matches = Student.ine == wanted.ine
    else:
        key = search_key(wanted.family_name, wanted.first_name)
        matches = and_(
            or_(Student.search_name == key, Student.usage_search_name == key),
            Student.birth_date == wanted.birth_date,
        )
    # Kept to the students of the other schools before the bound: matches elsewhere (the
    # school's own students, former ones) must not take the places of the one looked for.
    elsewhere, _where, _year = _elsewhere(select(Enrollment.student_id), school)
    student_ids = (
        select(Student.id)
        .where(matches, Student.id.in_(elsewhere))
        .order_by(Student.id)
        .limit(MAX_CANDIDATES)
        .subquery()
    )
    rows = (
        await session.execute(
            _recent_elsewhere(school)
            .add_columns(Student)
            .join(Student, Student.id == Enrollment.student_id)
            .where(Enrollment.student_id.in_(select(student_ids.c.id)))
        )
    ).all()
    found: dict[int, TransferCandidate] = {}
    for enrollment, where, mef, student in rows:
        # The first row of each student is his latest enrolment: his current school.
        if enrollment.student_id in found:
            continue
        found[enrollment.student_id] = TransferCandidate(
            student_id=student.id,
            family_name=student.family_name,
            first_name=student.first_name,
            birth_date=student.birth_date,
            sex=student.sex,
            school_name=where.name,
            school_uai=where.uai,
            mef_label=mef.long_label or mef.short_label,
        )
    candidates = sorted(found.values(), key=lambda c: (c.family_name, c.first_name, c.student_id))
    record_access(
        session,
        principal,
        "search",
        Student.__tablename__,
        candidates[0].student_id if len(candidates) == 1 else None,
        school.id,
        wanted.audited() | {"results": [c.student_id for c in candidates]},
    )
    return candidates


async def _target_year(
    session: AsyncSession, school: School, raw: Any, errors: list[FieldError]
) -> SchoolYear | None:
    """The receiving school's current year, or its year in preparation (an arrival at the
    rentrée); no other."""
    current = await current_year_of(session, school.id)
    preparing = await year_in_preparation_of(session, school.id)
    if raw in (None, ""):
        return current
    try:
        year_id = int(raw)
    except (TypeError, ValueError):
        year_id = None
    year = await session.get(SchoolYear, year_id) if year_id is not None else None
    if year is None or year.academy_id != school.academy_id:
        errors.append(FieldError("school_year_id", "NOT_FOUND", "Année scolaire inconnue."))
        return None
    await check_year_writable(session, school.id, year)
    if year.id not in {y.id for y in (current, preparing) if y is not None}:
        errors.append(
            FieldError(
                "school_year_id",
                "NOT_OPEN",
                f"Un élève ne peut arriver que pour l'année en cours ou l'année en préparation, "
                f"pas pour {year.label}.",
            )
        )
        return None
    return year


async def _change_of_school_code(session: AsyncSession, year: SchoolYear) -> str | None:
    """The year's exit motive (CODE_MOTIF_SORTIE) for a change of school, when its
    nomenclature has one."""
    motives = await entries(session, NomenclatureList.EXIT_MOTIVE, year.start_year)
    return next((e.code for e in motives if e.category == ExitReason.CHANGE_OF_SCHOOL.value), None)


def _id(raw: Any) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _transfer_entry(
    principal: Principal, school_id: int, enrollment_id: int, details: dict[str, Any]
) -> AuditEntry:
    return AuditEntry(
        at=clock.now(),
        actor_kind=principal.kind,
        actor_id=principal.id,
        actor_label=principal.label[:120],
        remote_addr=principal.remote_addr,
        school_id=school_id,
        action=TRANSFER_ACTION,
        entity=Enrollment.__tablename__,
        entity_id=enrollment_id,
        before=None,
        after=details,
    )


@requires(Permission.TRANSFERS_RECEIVE)
async def take_student_file(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    student_id: int,
    data: dict[str, Any],
) -> Enrollment:
    """Enrols a student of another school of the académie in the receiving school (``data``:
    school_year_id, by default the current year; mef_id, division_id, regime, entry_date)
    and closes his enrolment there the day before (motive: change of school, destination:
    the receiving school). One transaction: the caller's rolls both back on any error."""
    school = await _receiving_school(session, principal, Permission.TRANSFERS_RECEIVE, school_id)
    former_row = (
        await session.execute(
            _recent_elsewhere(school).where(Enrollment.student_id == student_id).limit(1)
        )
    ).first()
    if former_row is None:
        raise NotFound("Student", student_id)
    former, former_school, former_mef = former_row
    errors: list[FieldError] = []
    year = await _target_year(session, school, data.get("school_year_id"), errors)
    p = FieldParser(data)
    entry_date = p.date(
        "entry_date",
        "La date d'entrée",
        required=True,
        earliest=year.starts_on if year else None,
        latest=year.ends_on if year else None,
    )
    mef_id, division_id = _id(data.get("mef_id")), _id(data.get("division_id"))
    mef = await session.get(Mef, mef_id) if mef_id is not None else None
    if mef is None:
        p.fail("mef_id", "REQUIRED", "Le MEF est obligatoire.")
    elif (
        await session.scalar(
            select(SchoolMef.mef_id).where(
                SchoolMef.school_id == school.id,
                SchoolMef.school_year_id == (year.id if year else None),
                SchoolMef.mef_id == mef.id,
            )
        )
        is None
    ):
        p.fail(
            "mef_id",
            "NOT_PROFILED",
            f"Le MEF {mef.short_label} n'est pas proposé par l'établissement.",
        )
    if data.get("regime") in (None, ""):
        p.fail("regime", "REQUIRED", "Le régime est obligatoire.")
    if data.get("division_id") not in (None, "") and division_id is None:
        p.fail("division_id", "NOT_FOUND", "Cette division n'existe pas dans l'établissement.")
    errors.extend(p.errors)
    if year is not None:
        already = await session.scalar(
            select(Enrollment.id).where(
                Enrollment.student_id == student_id,
                Enrollment.school_id == school.id,
                Enrollment.school_year_id == year.id,
            )
        )
        if already is not None:
            errors.append(
                FieldError(
                    "student_id",
                    "ALREADY_ENROLLED",
                    f"L'élève est déjà inscrit dans l'établissement pour l'année {year.label}.",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    assert year is not None and entry_date is not None and mef is not None

    former_year = await session.get(SchoolYear, former.school_year_id)
    assert former_year is not None
    code = await _change_of_school_code(session, former_year)
    if former.exit_date is None:
        day_before = min(entry_date - timedelta(days=1), former_year.ends_on)
        former.exit_date = max(day_before, former.entry_date)
        former.exit_reason = ExitReason.CHANGE_OF_SCHOOL
        former.exit_motive_code = code
    decision = await session.scalar(
        select(PassageDecision).where(PassageDecision.enrollment_id == former.id)
    )
    if decision is not None:
        decision.outcome = PassageOutcome.LEAVING
        decision.next_mef_id = None
        decision.exit_reason = ExitReason.CHANGE_OF_SCHOOL
        decision.exit_motive_code = code
        decision.destination_uai = school.uai
        decision.destination_name = school.name
    student = await session.get(Student, student_id)
    assert student is not None
    # The former enrolment is closed first: an enrolment checks that none is open elsewhere.
    await session.flush()
    former_division = (
        await session.scalar(select(Division.code).where(Division.id == former.division_id))
        if former.division_id is not None
        else None
    )
    enrollment = await create_enrollment(
        session,
        principal,
        student,
        {
            "school_id": school.id,
            "school_year_id": year.id,
            "mef_id": mef.id,
            "division_id": division_id,
            "regime": data.get("regime"),
            "entry_date": entry_date,
            "previous_school_uai": former_school.uai,
            "previous_school_name": former_school.name,
        },
        previous_mef_code=former_mef.code,
        previous_division_code=former_division,
    )
    session.add_all(
        [
            _transfer_entry(
                principal,
                former.school_id,
                former.id,
                {
                    "direction": "out",
                    "school_uai": school.uai,
                    "school_name": school.name,
                    "exit_date": former.exit_date.isoformat() if former.exit_date else None,
                },
            ),
            _transfer_entry(
                principal,
                school.id,
                enrollment.id,
                {
                    "direction": "in",
                    "school_uai": former_school.uai,
                    "school_name": former_school.name,
                    "entry_date": entry_date.isoformat(),
                },
            ),
        ]
    )
    await session.flush()
    return enrollment
