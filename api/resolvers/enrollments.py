"""Enrolments: enrol a student, move between divisions and groups, change MEF or régime, record
(or undo) a departure, the certificat de scolarité's facts, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.read_audit import record_access
from api.auth.scopes import enrollment_clause, get_in_reach, school_clause, student_in_reach
from api.resolvers.absences.calendar import french_date
from api.resolvers.fields import FieldParser
from api.resolvers.finances.regimes import write_regime_change
from api.resolvers.nomenclatures import entries, profile_year_id
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from db.enrollments import (
    REGIME_CODES,
    Enrollment,
    EnrollmentGroup,
    EnrollmentOption,
    ExitReason,
    Regime,
)
from db.nomenclatures import Mef, MefSubject, NomenclatureList, SchoolMef, SchoolSubject
from db.schools import School, SchoolYear, is_valid_uai
from db.structures import Division, DivisionMef, Group
from db.students import Sex, Student
from documents.certificates import Certificate, write_certificates


@dataclass(frozen=True)
class EnrollmentView:
    """An enrolment with the labels the schooling history shows."""

    enrollment: Enrollment
    school_uai: str
    school_name: str
    year_label: str
    mef_code: str
    mef_label: str
    division_code: str | None
    group_codes: list[str]


CERTIFICATE = {"document": "certificat_de_scolarite"}
# The SIECLE régime code (CODE_REGIME) written beside ``Enrollment.regime`` when the régime is
# chosen here: 0 "externe libre", 2 "demi-pensionnaire dans l'établissement", 3 "interne dans
# l'établissement". Codes as data (issue 12, point 2) will let the registrar pick finer ones.


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificat de scolarité states: the student, the school, the year's schooling."""

    student: Student
    school: School
    year_label: str
    mef_label: str
    division_code: str | None
    entry_date: date
    exit_date: date | None

    def certificate(self, today: date) -> Certificate:
        student, school = self.student, self.school
        female = student.sex is Sex.F
        names = " ".join(
            n for n in (student.first_name, student.first_name_2, student.first_name_3) if n
        )
        born_in = student.birth_city or (
            f"commune INSEE {student.birth_commune_code}" if student.birth_commune_code else ""
        )
        born = f"{'née' if female else 'né'} le {student.birth_date:%d/%m/%Y}" + (
            f" à {born_in}" if born_in else ""
        )
        enrolled = "inscrite" if female else "inscrit"
        where = self.mef_label + (f", division {self.division_code}" if self.division_code else "")
        if self.exit_date is None:
            schooling = f"est {enrolled} en {where} pour l'année scolaire {self.year_label}"
        else:
            schooling = (
                f"a été {enrolled} en {where} pour l'année scolaire {self.year_label}, "
                f"du {self.entry_date:%d/%m/%Y} au {self.exit_date:%d/%m/%Y}"
            )
        address = " ".join(p for p in (school.postal_code, school.city) if p)
        return Certificate(
            school_lines=[
                school.name,
                *([school.address_line] if school.address_line else []),
                *([address] if address else []),
                f"UAI {school.uai}",
            ],
            statement=[
                "Je soussigné(e), chef d'établissement, certifie que l'élève "
                f"{student.family_name.upper()} {names}, {born}, {schooling}, "
                f"à l'établissement {school.name}.",
                "Ce certificat est délivré pour servir et valoir ce que de droit.",
            ],
            place_and_date=f"Fait à {school.city or school.name}, le {french_date(today)}",
        )


def _year_bounds(year: SchoolYear) -> tuple[date, date]:
    # Enrolments for the rentrée are entered from early summer on.
    return date(year.start_year, 6, 1), date(year.start_year + 1, 8, 31)


async def _school_for_writing(
    session: AsyncSession, principal: Principal, school_id: Any
) -> School | None:
    if school_id in (None, ""):
        return None
    try:
        key = int(school_id)
    except (TypeError, ValueError):
        return None
    return await session.scalar(
        select(School).where(
            School.id == key, school_clause(principal, Permission.STUDENTS_WRITE, School.id)
        )
    )


async def _check_division(
    session: AsyncSession,
    errors: list[FieldError],
    division_id: int,
    school_id: int,
    year_id: int,
    mef_id: int,
) -> None:
    division = await session.get(Division, division_id)
    if division is None or division.school_id != school_id or division.school_year_id != year_id:
        errors.append(
            FieldError(
                "division_id",
                "NOT_FOUND",
                "Cette division n'existe pas dans l'établissement pour cette année.",
            )
        )
        return
    mef_ids = set(
        await session.scalars(
            select(DivisionMef.mef_id).where(DivisionMef.division_id == division_id)
        )
    )
    if mef_ids and mef_id not in mef_ids:
        errors.append(
            FieldError(
                "division_id",
                "MEF_MISMATCH",
                f"La division {division.code} n'accueille pas ce MEF.",
            )
        )


async def _check_groups(
    session: AsyncSession,
    errors: list[FieldError],
    group_ids: list[int],
    school_id: int,
    year_id: int,
) -> None:
    if not group_ids:
        return
    found = set(
        await session.scalars(
            select(Group.id).where(
                Group.id.in_(group_ids),
                Group.school_id == school_id,
                Group.school_year_id == year_id,
            )
        )
    )
    if found != set(group_ids):
        errors.append(
            FieldError(
                "group_ids",
                "NOT_FOUND",
                "Un des groupes n'existe pas dans l'établissement pour cette année.",
            )
        )


def _group_ids(raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    try:
        return sorted({int(g) for g in raw})
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.single(
            "group_ids", "INVALID", "Les groupes indiqués ne sont pas valides."
        ) from exc


def _option_ids(raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    try:
        return [int(g) for g in raw]
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.single(
            "option_ids", "INVALID", "Les options indiquées ne sont pas valides."
        ) from exc


# How an option is elected when the MEF's programme does not say (SIECLE MODALITE_ELECTION
# "F": facultative).
OPTIONAL = "F"
MAX_OPTIONS = 12


async def _option_modalities(
    session: AsyncSession,
    errors: list[FieldError],
    subject_ids: list[int],
    school_id: int,
    school_year_id: int,
    mef_id: int,
) -> dict[int, str]:
    """Each elected subject's modality: a subject of the MEF's programme (the modality it
    has there) or one the school teaches; any other is refused."""
    if not subject_ids:
        return {}
    if len(subject_ids) > MAX_OPTIONS:
        errors.append(
            FieldError("option_ids", "TOO_MANY", f"Un élève suit {MAX_OPTIONS} options au plus.")
        )
        return {}
    modalities: dict[int, str] = {}
    for subject_id, modality in await session.execute(
        select(MefSubject.subject_id, MefSubject.election_modality)
        .where(MefSubject.mef_id == mef_id, MefSubject.subject_id.in_(subject_ids))
        .order_by(MefSubject.election_modality)
    ):
        modalities.setdefault(subject_id, modality)
    taught = set(
        await session.scalars(
            select(SchoolSubject.subject_id).where(
                SchoolSubject.school_id == school_id,
                SchoolSubject.school_year_id == school_year_id,
                SchoolSubject.subject_id.in_(subject_ids),
            )
        )
    )
    for subject_id in subject_ids:
        if subject_id not in modalities and subject_id in taught:
            modalities[subject_id] = OPTIONAL
    if set(subject_ids) - set(modalities):
        errors.append(
            FieldError(
                "option_ids",
                "NOT_FOUND",
                "Une des options n'est ni au programme du MEF ni enseignée dans l'établissement.",
            )
        )
    return modalities


async def _regime(
    session: AsyncSession, p: FieldParser, year: SchoolYear | None, value: Any
) -> tuple[Regime | None, str | None]:
    """The régime as its kind (``Regime``) or as a SIECLE code of the year's list (CODE_REGIME:
    "2" DP dans l'établissement...), whose kind the nomenclature gives; the code is kept."""
    if year is not None and isinstance(value, str) and value and value not in set(Regime):
        for entry in await entries(session, NomenclatureList.REGIME, year.start_year):
            if entry.code == value and entry.category in set(Regime):
                return Regime(entry.category), entry.code
    return p.choice("regime", "Le régime", Regime, required=True), None


@requires(Permission.STUDENTS_WRITE)
async def create_enrollment(
    session: AsyncSession,
    principal: Principal,
    student: Student,
    data: dict[str, Any],
    *,
    previous_mef_code: str | None = None,
    previous_division_code: str | None = None,
) -> Enrollment:
    """Checks an enrolment draft against the school, its year, MEFs and structures, then adds it.

    Last year's MEF and division codes come from the product (a transfer), never from a form."""
    p = FieldParser(data)
    school = await _school_for_writing(session, principal, data.get("school_id"))
    if school is None:
        p.fail("school_id", "NOT_FOUND", "Établissement inconnu ou hors de votre périmètre.")
    year = (
        await session.get(SchoolYear, int(data["school_year_id"]))
        if data.get("school_year_id")
        else None
    )
    if year is None or year.academy_id != principal.academy_id:
        p.fail("school_year_id", "NOT_FOUND", "Année scolaire inconnue.")
        year = None
    elif school is not None:
        try:
            await check_year_writable(session, school.id, year)
        except ValidationFailed as over:
            p.errors += over.errors
    regime, regime_code = await _regime(session, p, year, data.get("regime"))
    low, high = _year_bounds(year) if year else (None, None)
    entry_date = p.date("entry_date", "La date d'entrée", required=True, earliest=low, latest=high)
    previous_uai = p.text("previous_school_uai", "L'UAI de l'établissement d'origine", max_length=8)
    if previous_uai and not is_valid_uai(previous_uai.upper()):
        p.fail(
            "previous_school_uai",
            "INVALID",
            "L'UAI de l'établissement d'origine n'est pas valide (7 chiffres et la lettre clé).",
        )
    previous_name = p.text(
        "previous_school_name", "Le nom de l'établissement d'origine", max_length=120
    )
    mef = await session.get(Mef, int(data["mef_id"])) if data.get("mef_id") else None
    if mef is None:
        p.fail(
            "mef_id",
            "REQUIRED" if not data.get("mef_id") else "NOT_FOUND",
            "Le MEF est obligatoire." if not data.get("mef_id") else "MEF inconnu.",
        )
    elif school is not None:
        profiled = await session.scalar(
            select(SchoolMef.mef_id).where(
                SchoolMef.school_id == school.id,
                SchoolMef.school_year_id == profile_year_id(school.id, year.id if year else None),
                SchoolMef.mef_id == mef.id,
            )
        )
        if profiled is None:
            p.fail(
                "mef_id",
                "NOT_PROFILED",
                f"Le MEF {mef.short_label} n'est pas proposé par l'établissement.",
            )
    group_ids = _group_ids(data.get("group_ids"))
    # The order given is the options' rank.
    option_ids = list(dict.fromkeys(_option_ids(data.get("option_ids"))))
    p.raise_if_errors()
    assert (
        school is not None
        and year is not None
        and mef is not None
        and regime is not None
        and entry_date is not None
    )
    errors: list[FieldError] = []
    division_id = int(data["division_id"]) if data.get("division_id") else None
    if division_id is not None:
        await _check_division(session, errors, division_id, school.id, year.id, mef.id)
    await _check_groups(session, errors, group_ids, school.id, year.id)
    modalities = await _option_modalities(session, errors, option_ids, school.id, year.id, mef.id)
    open_elsewhere = await session.scalar(
        select(School.name)
        .join(Enrollment, Enrollment.school_id == School.id)
        .where(
            Enrollment.student_id == student.id,
            Enrollment.school_year_id == year.id,
            Enrollment.exit_date.is_(None),
        )
    )
    if open_elsewhere is not None:
        errors.append(
            FieldError(
                "school_id",
                "ALREADY_ENROLLED",
                f"L'élève est déjà inscrit cette année ({open_elsewhere}) : enregistrez d'abord sa sortie.",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    enrollment = Enrollment(
        student_id=student.id,
        school_id=school.id,
        school_year_id=year.id,
        mef_id=mef.id,
        division_id=division_id,
        regime=regime,
        regime_code=regime_code,
        entry_date=entry_date,
        previous_school_uai=previous_uai.upper() if previous_uai else None,
        previous_school_name=previous_name,
        previous_mef_code=previous_mef_code,
        previous_division_code=previous_division_code,
    )
    session.add(enrollment)
    await session.flush()
    session.add_all(EnrollmentGroup(enrollment_id=enrollment.id, group_id=g) for g in group_ids)
    session.add_all(
        EnrollmentOption(
            enrollment_id=enrollment.id,
            subject_id=subject_id,
            rank=rank,
            election_modality=modalities[subject_id],
        )
        for rank, subject_id in enumerate(option_ids, start=1)
    )
    await session.flush()
    return enrollment


@requires(Permission.STUDENTS_WRITE)
async def enrol(
    session: AsyncSession, principal: Principal, student_id: int, data: dict[str, Any]
) -> Enrollment:
    """Enrols an existing student the caller may see (a return, a transfer, the next year)."""
    student = await student_in_reach(session, principal, student_id)
    return await create_enrollment(session, principal, student, data)


async def _writable_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: int
) -> Enrollment:
    enrollment = await session.scalar(
        select(Enrollment).where(
            Enrollment.id == enrollment_id, enrollment_clause(principal, Permission.STUDENTS_WRITE)
        )
    )
    if enrollment is None:
        raise NotFound("Enrollment", enrollment_id)
    year = await session.get(SchoolYear, enrollment.school_year_id)
    assert year is not None
    await check_year_writable(session, enrollment.school_id, year, "enrollment_id")
    return enrollment


def _refuse_if_left(enrollment: Enrollment) -> None:
    if enrollment.exit_date is not None:
        raise ValidationFailed.single(
            "enrollment_id",
            "LEFT",
            "L'élève a quitté l'établissement : sa scolarité ne peut plus être modifiée.",
        )


@requires(Permission.STUDENTS_WRITE)
async def move_student(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: int,
    division_id: int | None,
    group_ids: list[int] | None = None,
) -> Enrollment:
    """Changes the division and, when given, replaces the groups of an enrolment."""
    enrollment = await _writable_enrollment(session, principal, enrollment_id)
    _refuse_if_left(enrollment)
    errors: list[FieldError] = []
    if division_id is not None:
        await _check_division(
            session,
            errors,
            division_id,
            enrollment.school_id,
            enrollment.school_year_id,
            enrollment.mef_id,
        )
    groups = _group_ids(group_ids) if group_ids is not None else None
    if groups is not None:
        await _check_groups(
            session, errors, groups, enrollment.school_id, enrollment.school_year_id
        )
    if errors:
        raise ValidationFailed(errors)
    if enrollment.division_id != division_id:
        enrollment.division_id = division_id
    if groups is not None:
        await _replace_groups(session, enrollment.id, groups)
    await session.flush()
    return enrollment


async def _replace_groups(session: AsyncSession, enrollment_id: int, groups: list[int]) -> None:
    """Through the ORM, one row at a time: each group left or joined is an audit entry (the
    change feed and OneRoster's deltas read them)."""
    current = {
        membership.group_id: membership
        for membership in await session.scalars(
            select(EnrollmentGroup).where(EnrollmentGroup.enrollment_id == enrollment_id)
        )
    }
    for group_id, membership in current.items():
        if group_id not in groups:
            await session.delete(membership)
    session.add_all(
        EnrollmentGroup(enrollment_id=enrollment_id, group_id=g) for g in groups if g not in current
    )


@requires(Permission.STUDENTS_WRITE)
async def change_mef(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: int,
    mef_id: int | None,
    division_id: int | None,
) -> Enrollment:
    """Changes the MEF of an enrolment with the division that goes with it (a division
    accepts only its own MEFs; ``division_id`` None leaves the student without one)."""
    enrollment = await _writable_enrollment(session, principal, enrollment_id)
    _refuse_if_left(enrollment)
    mef = await session.get(Mef, mef_id) if mef_id else None
    if mef is None:
        raise ValidationFailed.single(
            "mef_id",
            "REQUIRED" if not mef_id else "NOT_FOUND",
            "Le MEF est obligatoire." if not mef_id else "MEF inconnu.",
        )
    profiled = await session.scalar(
        select(SchoolMef.mef_id).where(
            SchoolMef.school_id == enrollment.school_id,
            SchoolMef.school_year_id == enrollment.school_year_id,
            SchoolMef.mef_id == mef.id,
        )
    )
    if profiled is None:
        raise ValidationFailed.single(
            "mef_id",
            "NOT_PROFILED",
            f"Le MEF {mef.short_label} n'est pas proposé par l'établissement.",
        )
    errors: list[FieldError] = []
    if division_id is not None:
        await _check_division(
            session, errors, division_id, enrollment.school_id, enrollment.school_year_id, mef.id
        )
    if errors:
        raise ValidationFailed(errors)
    enrollment.mef_id = mef.id
    enrollment.division_id = division_id
    await session.flush()
    return enrollment


@requires(Permission.STUDENTS_WRITE)
async def change_regime(
    session: AsyncSession, principal: Principal, enrollment_id: int, regime: Any
) -> Enrollment:
    """Changes the régime, and its SIECLE code with it (kept when the régime stays). A new
    régime holds from today (from the entry when the enrolment has not begun): it is
    recorded as a régime period, as the bursar records one, so that the term's charges
    prorate the days of each régime."""
    enrollment = await _writable_enrollment(session, principal, enrollment_id)
    _refuse_if_left(enrollment)
    p = FieldParser({"regime": regime})
    chosen = p.choice("regime", "Le régime", Regime, required=True)
    p.raise_if_errors()
    assert chosen is not None
    if chosen is not enrollment.regime:
        year = await session.get(SchoolYear, enrollment.school_year_id)
        assert year is not None
        effective_on = min(max(clock.today(), enrollment.entry_date), year.ends_on)
        await write_regime_change(
            session,
            enrollment,
            effective_on,
            REGIME_CODES[chosen],
            chosen,
            None,
            principal.label,
        )
    elif enrollment.regime_code is None:
        # The same régime, given the SIECLE code of its kind: nothing changes for the finances.
        enrollment.regime_code = REGIME_CODES[chosen]
    await session.flush()
    return enrollment


@requires(Permission.STUDENTS_WRITE)
async def record_departure(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: int,
    exit_date: Any,
    exit_reason: Any,
) -> Enrollment:
    """Closes an enrolment: from ``exit_date`` on, the student is off the division's lists."""
    enrollment = await _writable_enrollment(session, principal, enrollment_id)
    if enrollment.exit_date is not None:
        raise ValidationFailed.single(
            "exit_date",
            "ALREADY_LEFT",
            f"La sortie a déjà été enregistrée le {enrollment.exit_date:%d/%m/%Y}.",
        )
    year = await session.get(SchoolYear, enrollment.school_year_id)
    assert year is not None
    p = FieldParser({"exit_date": exit_date, "exit_reason": exit_reason})
    parsed_date = p.date(
        "exit_date",
        "La date de sortie",
        required=True,
        earliest=enrollment.entry_date,
        latest=year.ends_on,
    )
    reason = p.choice("exit_reason", "Le motif de sortie", ExitReason, required=True)
    p.raise_if_errors()
    enrollment.exit_date = parsed_date
    enrollment.exit_reason = reason
    await session.flush()
    return enrollment


@requires(Permission.STUDENTS_WRITE)
async def cancel_departure(
    session: AsyncSession, principal: Principal, enrollment_id: int
) -> Enrollment:
    """Undoes a departure recorded by mistake: the enrolment is open again (the audit trail
    keeps the departure and its undoing)."""
    enrollment = await _writable_enrollment(session, principal, enrollment_id)
    if enrollment.exit_date is None:
        raise ValidationFailed.single(
            "enrollment_id", "NOT_LEFT", "Aucune sortie n'est enregistrée pour cette scolarité."
        )
    elsewhere = await session.scalar(
        select(School.name)
        .join(Enrollment, Enrollment.school_id == School.id)
        .where(
            Enrollment.student_id == enrollment.student_id,
            Enrollment.school_year_id == enrollment.school_year_id,
            Enrollment.id != enrollment.id,
            Enrollment.exit_date.is_(None),
        )
    )
    if elsewhere is not None:
        raise ValidationFailed.single(
            "enrollment_id",
            "ALREADY_ENROLLED",
            f"L'élève est inscrit depuis dans un autre établissement ({elsewhere}) : "
            "sa sortie ne peut pas être annulée.",
        )
    enrollment.exit_date = None
    enrollment.exit_reason = None
    enrollment.exit_motive_code = None
    await session.flush()
    return enrollment


async def certificate_facts(
    session: AsyncSession, enrollments: list[Enrollment]
) -> list[CertificateFacts]:
    if not enrollments:
        return []
    students = {
        s.id: s
        for s in await session.scalars(
            select(Student).where(Student.id.in_({e.student_id for e in enrollments}))
        )
    }
    schools = {
        s.id: s
        for s in await session.scalars(
            select(School).where(School.id.in_({e.school_id for e in enrollments}))
        )
    }
    years = {
        y.id: y.label
        for y in await session.scalars(
            select(SchoolYear).where(SchoolYear.id.in_({e.school_year_id for e in enrollments}))
        )
    }
    mefs = {
        m.id: m.long_label or m.short_label
        for m in await session.scalars(
            select(Mef).where(Mef.id.in_({e.mef_id for e in enrollments}))
        )
    }
    division_ids = {e.division_id for e in enrollments if e.division_id is not None}
    divisions = {
        d.id: d.code
        for d in await session.scalars(select(Division).where(Division.id.in_(division_ids)))
    }
    return [
        CertificateFacts(
            student=students[e.student_id],
            school=schools[e.school_id],
            year_label=years[e.school_year_id],
            mef_label=mefs[e.mef_id],
            division_code=divisions.get(e.division_id) if e.division_id else None,
            entry_date=e.entry_date,
            exit_date=e.exit_date,
        )
        for e in enrollments
    ]


# Birth place and date are identity data: the certificate asks for that permission.
@requires(Permission.STUDENTS_IDENTITY_READ)
async def enrollment_certificate(
    session: AsyncSession,
    principal: Principal,
    student_id: int,
    school_id: int,
    school_year_id: int,
) -> bytes:
    """The certificat de scolarité (PDF) of a student in a school for a year."""
    await student_in_reach(session, principal, student_id, Permission.STUDENTS_IDENTITY_READ)
    enrollment = await session.scalar(
        select(Enrollment).where(
            Enrollment.student_id == student_id,
            Enrollment.school_id == school_id,
            Enrollment.school_year_id == school_year_id,
            enrollment_clause(principal, Permission.STUDENTS_IDENTITY_READ),
        )
    )
    if enrollment is None:
        raise NotFound("Enrollment", student_id)
    [facts] = await certificate_facts(session, [enrollment])
    record_access(
        session, principal, "export", Student.__tablename__, student_id, school_id, CERTIFICATE
    )
    return write_certificates([facts.certificate(clock.today())], "Certificat de scolarité")


@requires(Permission.STUDENTS_IDENTITY_READ)
async def division_certificates(
    session: AsyncSession, principal: Principal, division_id: int
) -> bytes:
    """One certificate (one page) per student on the division's list today, by name."""
    division = await get_in_reach(
        session,
        principal,
        Permission.STUDENTS_IDENTITY_READ,
        Division,
        division_id,
        Division.school_id,
    )
    today = clock.today()
    enrollments = list(
        await session.scalars(
            select(Enrollment)
            .join(Student, Student.id == Enrollment.student_id)
            .where(
                Enrollment.division_id == division.id,
                or_(Enrollment.exit_date.is_(None), Enrollment.exit_date > today),
                enrollment_clause(principal, Permission.STUDENTS_IDENTITY_READ),
            )
            .order_by(Student.search_name, Student.id)
        )
    )
    record_access(
        session,
        principal,
        "export",
        Division.__tablename__,
        division.id,
        division.school_id,
        CERTIFICATE | {"students": len(enrollments)},
    )
    facts = await certificate_facts(session, enrollments)
    return write_certificates(
        [f.certificate(today) for f in facts], f"Certificats de scolarité — {division.code}"
    )


@requires(Permission.STUDENTS_READ)
async def schooling_history(
    session: AsyncSession, principal: Principal, student_id: int
) -> list[EnrollmentView]:
    """Every enrolment of a visible student, most recent first, across schools."""
    await student_in_reach(session, principal, student_id)
    rows = (
        await session.execute(
            select(
                Enrollment,
                School.uai,
                School.name,
                SchoolYear.start_year,
                Mef.code,
                Mef.short_label,
                Division.code,
            )
            .join(School, School.id == Enrollment.school_id)
            .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(Enrollment.student_id == student_id)
            .order_by(SchoolYear.start_year.desc(), Enrollment.entry_date.desc())
        )
    ).all()
    groups: dict[int, list[str]] = {}
    if rows:
        for enrollment_id, code in await session.execute(
            select(EnrollmentGroup.enrollment_id, Group.code)
            .join(Group, Group.id == EnrollmentGroup.group_id)
            .where(EnrollmentGroup.enrollment_id.in_([r[0].id for r in rows]))
            .order_by(Group.code)
        ):
            groups.setdefault(enrollment_id, []).append(code)
    return [
        EnrollmentView(
            enrollment=e,
            school_uai=uai,
            school_name=name,
            year_label=f"{start}-{start + 1}",
            mef_code=mef_code,
            mef_label=mef_label,
            division_code=division_code,
            group_codes=groups.get(e.id, []),
        )
        for e, uai, name, start, mef_code, mef_label, division_code in rows
    ]


async def enrollments_for_students(
    session: AsyncSession, student_ids: list[int]
) -> list[list[Enrollment]]:
    """Schooling history of already-authorised students, most recent first (DataLoader)."""
    rows = await session.scalars(
        select(Enrollment)
        .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
        .where(Enrollment.student_id.in_(student_ids))
        .order_by(SchoolYear.start_year.desc(), Enrollment.entry_date.desc())
    )
    by_student: dict[int, list[Enrollment]] = {sid: [] for sid in student_ids}
    for enrollment in rows:
        by_student[enrollment.student_id].append(enrollment)
    return [by_student[sid] for sid in student_ids]


async def groups_for_enrollments(
    session: AsyncSession, enrollment_ids: list[int]
) -> list[list[Group]]:
    rows = await session.execute(
        select(EnrollmentGroup.enrollment_id, Group)
        .join(Group, Group.id == EnrollmentGroup.group_id)
        .where(EnrollmentGroup.enrollment_id.in_(enrollment_ids))
        .order_by(Group.code)
    )
    by_enrollment: dict[int, list[Group]] = {eid: [] for eid in enrollment_ids}
    for enrollment_id, group in rows:
        by_enrollment[enrollment_id].append(group)
    return [by_enrollment[eid] for eid in enrollment_ids]
