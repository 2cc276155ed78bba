"""A student's scholarship file for a year (dossier de bourse): received from a legal
guardian, instructed by the bursar (the household's reference tax income, its dependent
children, the pieces received), complete once nothing required is missing, then granted by
the principal at the échelon the year's national table gives (refused when the income is
above the échelon 1 ceiling) or refused with a reason; and the decision letter."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.absences.calendar import french_date
from api.resolvers.absences.family_contacts import guardian_postal_lines, school_lines
from api.resolvers.finances.reach import school_in_reach, year_of_academy
from api.resolvers.scholarships.scales import KIND_LABELS, Scale, scale_for, term_shares
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import FieldError, NotFound, StaleVersion, ValidationFailed
from core.money import format_euros, parse_amount
from db.audit import set_actor
from db.enrollments import Enrollment
from db.finances import FinanceTerm
from db.guardians import Guardian, GuardianLink
from db.scholarships import ScholarshipFile, ScholarshipKind, ScholarshipStatus
from db.schools import School, SchoolKind, SchoolYear
from db.structures import Division
from db.students import Student
from documents.letters import Letter, LetterTable, write_letters

# The pieces a file may hold (codes stored in ``ScholarshipFile.pieces``), in the order the
# checklist shows them.
PIECES: dict[str, str] = {
    "tax_notice": "Avis d'imposition (revenu fiscal de référence)",
    "proof_of_address": "Justificatif de domicile",
    "bank_details": "Relevé d'identité bancaire (RIB)",
    "caf_certificate": "Attestation de la CAF (enfants à charge)",
    "family_record": "Livret de famille",
    "custody_ruling": "Jugement fixant la résidence de l'élève (parents séparés)",
}
# Without them a file is not complete: the tax notice proves the income and the children,
# the bank details let the school pay the family what the board charges do not take.
REQUIRED_PIECES = ("tax_notice", "bank_details")
STATUS_LABELS = {
    ScholarshipStatus.RECEIVED: "Reçu",
    ScholarshipStatus.COMPLETE: "Complet",
    ScholarshipStatus.GRANTED: "Accordé",
    ScholarshipStatus.REFUSED: "Refusé",
}
MAX_INCOME = Decimal("1000000")
MAX_CHILDREN = 20
MAX_REASON = 300
# A school's files of a year: far fewer than this.
MAX_FILES = 5000
STALE_FILE = (
    "Ce dossier a été modifié par quelqu'un d'autre entre-temps : rechargez-le avant d'enregistrer."
)


def scholarship_kind(school_kind: SchoolKind) -> ScholarshipKind:
    """A collège's students have the collège scholarship; a lycée's (LGT, LP) and an EREA's
    the lycée scholarship (the 2016 decree gives EREA students the lycée one)."""
    return ScholarshipKind.COLLEGE if school_kind is SchoolKind.COLLEGE else ScholarshipKind.LYCEE


@dataclass
class FileInput:
    """What the bursar enters on a file. ``applicant_id`` None: the student's legal guardian
    marked as receiving aid, else legal guardian 1, else 2. ``reference_income`` may be
    typed the French way ("12 345,67")."""

    received_on: date
    applicant_id: int | None = None
    reference_income: str | None = None
    dependent_children: int | None = None
    pieces: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ScholarshipFileCard:
    """A file as the portal, GraphQL and the CLI show it (every reader holds
    ``scholarships:read``: the household's income is read nowhere else)."""

    id: int
    school_id: int
    school_year_id: int
    student_id: int
    student_name: str
    division_id: int | None
    division_code: str | None
    kind: ScholarshipKind
    applicant_id: int
    applicant_name: str
    received_on: date
    reference_income: Decimal | None
    dependent_children: int | None
    pieces: list[str]
    missing_pieces: list[str]
    status: ScholarshipStatus
    refusal_reason: str | None
    echelon: int | None
    annual_amount: Decimal | None
    scale_year: int | None
    decided_on: date | None
    decided_by_label: str | None
    version: int


@dataclass
class Applicant:
    guardian_id: int
    name: str
    legal_rank: int
    receives_aid: bool


@dataclass
class Candidate:
    """A student of the school's year who has no file yet."""

    student_id: int
    name: str
    division_code: str | None


def alphabetical(name: str) -> str:
    """The name as a French list sorts it: "ÉLAN" among the E, before "MARTIN"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def student_name(student: Student) -> str:
    return f"{(student.usage_name or student.family_name).upper()} {student.first_name}"


def _pieces_of(file: ScholarshipFile) -> list[str]:
    return [code for code in file.pieces.split(",") if code]


def _missing(file: ScholarshipFile) -> list[str]:
    held = set(_pieces_of(file))
    return [code for code in REQUIRED_PIECES if code not in held]


async def file_cards(
    session: AsyncSession, files: Sequence[ScholarshipFile]
) -> list[ScholarshipFileCard]:
    """The files with their student's name and division (his latest enrolment of the year in
    the file's school) and the applicant's name: three statements for any number."""
    if not files:
        return []
    student_ids = sorted({f.student_id for f in files})
    students: dict[int, Student] = {}
    divisions: dict[tuple[int, int, int], tuple[int | None, str | None]] = {}
    guardians: dict[int, Guardian] = {}
    for start in range(0, len(student_ids), 5000):
        chunk = student_ids[start : start + 5000]
        students |= {
            s.id: s for s in await session.scalars(select(Student).where(Student.id.in_(chunk)))
        }
        rows = await session.execute(
            select(
                Enrollment.student_id,
                Enrollment.school_id,
                Enrollment.school_year_id,
                Division.id,
                Division.code,
            )
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(Enrollment.student_id.in_(chunk))
            .order_by(Enrollment.entry_date, Enrollment.id)
        )
        for student_id, school_id, year_id, found_id, found_code in rows.all():
            divisions[(student_id, school_id, year_id)] = (found_id, found_code)
    applicant_ids = sorted({f.applicant_id for f in files})
    for start in range(0, len(applicant_ids), 5000):
        guardians |= {
            g.id: g
            for g in await session.scalars(
                select(Guardian).where(Guardian.id.in_(applicant_ids[start : start + 5000]))
            )
        }
    cards = []
    for f in files:
        division_id, code = divisions.get(
            (f.student_id, f.school_id, f.school_year_id), (None, None)
        )
        cards.append(
            ScholarshipFileCard(
                id=f.id,
                school_id=f.school_id,
                school_year_id=f.school_year_id,
                student_id=f.student_id,
                student_name=student_name(students[f.student_id]),
                division_id=division_id,
                division_code=code,
                kind=f.kind,
                applicant_id=f.applicant_id,
                applicant_name=guardians[f.applicant_id].display_name,
                received_on=f.received_on,
                reference_income=f.reference_income,
                dependent_children=f.dependent_children,
                pieces=_pieces_of(f),
                missing_pieces=_missing(f),
                status=f.status,
                refusal_reason=f.refusal_reason,
                echelon=f.echelon,
                annual_amount=f.annual_amount,
                scale_year=f.scale_year,
                decided_on=f.decided_on,
                decided_by_label=f.decided_by_label,
                version=f.version,
            )
        )
    return cards


async def _file_in_reach(
    session: AsyncSession, principal: Principal, file_id: int, permission: Permission
) -> ScholarshipFile:
    file = await session.get(ScholarshipFile, file_id)
    if file is None:
        raise NotFound("ScholarshipFile", file_id)
    try:
        await school_in_reach(session, principal, file.school_id, permission)
    except NotFound:
        raise NotFound("ScholarshipFile", file_id) from None
    return file


# --------------------------------------------------------------------------- reads


@requires(Permission.SCHOLARSHIPS_READ)
async def scholarship_files(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    status: ScholarshipStatus | None = None,
    division_id: int | None = None,
) -> list[ScholarshipFileCard]:
    """A school's files of a year, by division then name; filtered by status, division."""
    school = await school_in_reach(session, principal, school_id, Permission.SCHOLARSHIPS_READ)
    year = await year_of_academy(session, principal, school_year_id)
    statement = select(ScholarshipFile).where(
        ScholarshipFile.school_id == school.id, ScholarshipFile.school_year_id == year.id
    )
    if status is not None:
        statement = statement.where(ScholarshipFile.status == status)
    files = list(await session.scalars(statement.order_by(ScholarshipFile.id).limit(MAX_FILES)))
    cards = await file_cards(session, files)
    if division_id is not None:
        cards = [c for c in cards if c.division_id == division_id]
    return sorted(
        cards, key=lambda c: (c.division_code or "\uffff", alphabetical(c.student_name), c.id)
    )


@requires(Permission.SCHOLARSHIPS_READ)
async def scholarship_file(
    session: AsyncSession, principal: Principal, file_id: int
) -> ScholarshipFileCard:
    file = await _file_in_reach(session, principal, file_id, Permission.SCHOLARSHIPS_READ)
    return (await file_cards(session, [file]))[0]


async def _legal_guardians(session: AsyncSession, student_id: int) -> list[Applicant]:
    rows = await session.execute(
        select(Guardian, GuardianLink.legal_rank, GuardianLink.receives_aid)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .where(GuardianLink.student_id == student_id, GuardianLink.legal_rank.is_not(None))
        .order_by(GuardianLink.receives_aid.desc(), GuardianLink.legal_rank)
    )
    return [
        Applicant(guardian.id, guardian.display_name, rank or 0, aid)
        for guardian, rank, aid in rows.all()
    ]


async def _enrollment_in(
    session: AsyncSession, school_id: int, year_id: int, student_id: int
) -> Enrollment | None:
    return await session.scalar(
        select(Enrollment)
        .where(
            Enrollment.student_id == student_id,
            Enrollment.school_id == school_id,
            Enrollment.school_year_id == year_id,
        )
        .order_by(Enrollment.entry_date.desc())
        .limit(1)
    )


@requires(Permission.SCHOLARSHIPS_READ)
async def possible_applicants(
    session: AsyncSession, principal: Principal, school_id: int, student_id: int
) -> list[Applicant]:
    """The student's legal guardians, the one receiving aid first: who may apply."""
    school = await school_in_reach(session, principal, school_id, Permission.SCHOLARSHIPS_READ)
    enrolled = await session.scalar(
        select(Enrollment.id)
        .where(Enrollment.student_id == student_id, Enrollment.school_id == school.id)
        .limit(1)
    )
    if enrolled is None:
        raise NotFound("Student", student_id)
    return await _legal_guardians(session, student_id)


@requires(Permission.SCHOLARSHIPS_READ)
async def file_candidates(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    division_id: int,
) -> list[Candidate]:
    """The students of a division of the year without a file: whom a new file may be for."""
    school = await school_in_reach(session, principal, school_id, Permission.SCHOLARSHIPS_READ)
    year = await year_of_academy(session, principal, school_year_id)
    rows = await session.execute(
        select(Student, Division.code)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .join(Division, Division.id == Enrollment.division_id)
        .where(
            Enrollment.school_id == school.id,
            Enrollment.school_year_id == year.id,
            Enrollment.division_id == division_id,
            Enrollment.exit_date.is_(None),
            Student.id.not_in(
                select(ScholarshipFile.student_id).where(ScholarshipFile.school_year_id == year.id)
            ),
        )
        .order_by(Student.family_name, Student.first_name, Student.id)
        .limit(MAX_FILES)
    )
    return [Candidate(s.id, student_name(s), code) for s, code in rows.all()]


# --------------------------------------------------------------------------- writes


@dataclass
class _Checked:
    received_on: date
    applicant_id: int
    reference_income: Decimal | None
    dependent_children: int | None
    pieces: str


async def _checked(
    session: AsyncSession, data: FileInput, year: SchoolYear, student_id: int
) -> _Checked:
    errors: list[FieldError] = []
    first_day = date(year.start_year, 1, 1)
    if data.received_on > clock.today():
        errors.append(
            FieldError("received_on", "IN_FUTURE", "Date de réception : pas après aujourd'hui.")
        )
    elif not first_day <= data.received_on <= year.ends_on:
        errors.append(
            FieldError(
                "received_on",
                "OUTSIDE_CAMPAIGN",
                f"Date de réception : entre le {first_day:%d/%m/%Y} et le "
                f"{year.ends_on:%d/%m/%Y} pour l'année {year.label}.",
            )
        )
    income: Decimal | None = None
    raw_income = (data.reference_income or "").strip()
    if raw_income:
        try:
            income = parse_amount(raw_income, "reference_income")
        except ValidationFailed as failed:
            errors += [
                FieldError(e.field, e.code, f"Revenu fiscal de référence : {e.message}.")
                for e in failed.errors
            ]
        else:
            if income > MAX_INCOME:
                errors.append(
                    FieldError(
                        "reference_income",
                        "OUT_OF_RANGE",
                        "Revenu fiscal de référence : au plus 1 000 000 €.",
                    )
                )
    children = data.dependent_children
    if children is not None and not 1 <= children <= MAX_CHILDREN:
        errors.append(
            FieldError(
                "dependent_children",
                "OUT_OF_RANGE",
                f"Enfants à charge : entre 1 et {MAX_CHILDREN}.",
            )
        )
    unknown = [code for code in data.pieces if code not in PIECES]
    if unknown or len(data.pieces) > len(PIECES):
        errors.append(FieldError("pieces", "UNKNOWN", "Pièces reçues : choisissez dans la liste."))
    guardians = await _legal_guardians(session, student_id)
    applicant_id = data.applicant_id
    if applicant_id is None and guardians:
        applicant_id = guardians[0].guardian_id
    if applicant_id is None or applicant_id not in {g.guardian_id for g in guardians}:
        errors.append(
            FieldError(
                "applicant_id",
                "NOT_LEGAL_GUARDIAN",
                "Demandeur : un responsable légal de l'élève."
                if guardians
                else "Demandeur : l'élève n'a aucun responsable légal ; saisissez-le d'abord.",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert applicant_id is not None
    pieces = ",".join(code for code in PIECES if code in set(data.pieces))
    return _Checked(data.received_on, applicant_id, income, children, pieces)


def _check_version(file: ScholarshipFile, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != file.version:
        raise StaleVersion([FieldError("version", "STALE", STALE_FILE)])


async def _save(session: AsyncSession, file: ScholarshipFile) -> None:
    try:
        await session.flush()
    except StaleDataError:
        # Saved by someone else between the version check and this write.
        raise StaleVersion([FieldError("version", "STALE", STALE_FILE)]) from None


@requires(Permission.SCHOLARSHIPS_MANAGE)
async def create_file(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    student_id: int,
    data: FileInput,
) -> ScholarshipFileCard:
    """Open a student's file for a year: he is enrolled in the school that year; one file
    per student and year."""
    school = await school_in_reach(session, principal, school_id, Permission.SCHOLARSHIPS_MANAGE)
    year = await year_of_academy(session, principal, school_year_id)
    await check_year_writable(session, school.id, year)
    if await _enrollment_in(session, school.id, year.id, student_id) is None:
        raise ValidationFailed.single(
            "student_id", "NOT_ENROLLED", f"Élève : il n'est pas inscrit ici en {year.label}."
        )
    existing = await session.scalar(
        select(ScholarshipFile.id).where(
            ScholarshipFile.student_id == student_id, ScholarshipFile.school_year_id == year.id
        )
    )
    if existing is not None:
        raise ValidationFailed.single(
            "student_id",
            "ALREADY_FILED",
            f"Élève : il a déjà un dossier de bourse en {year.label}.",
        )
    checked = await _checked(session, data, year, student_id)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    file = ScholarshipFile(
        school_id=school.id,
        school_year_id=year.id,
        student_id=student_id,
        kind=scholarship_kind(school.kind),
        applicant_id=checked.applicant_id,
        received_on=checked.received_on,
        reference_income=checked.reference_income,
        dependent_children=checked.dependent_children,
        pieces=checked.pieces,
        status=ScholarshipStatus.RECEIVED,
    )
    session.add(file)
    await session.flush()
    return (await file_cards(session, [file]))[0]


async def _writable_file(
    session: AsyncSession,
    principal: Principal,
    file_id: int,
    permission: Permission,
    expected_version: int | None,
) -> ScholarshipFile:
    file = await _file_in_reach(session, principal, file_id, permission)
    year = await session.get(SchoolYear, file.school_year_id)
    assert year is not None
    await check_year_writable(session, file.school_id, year, "file_id")
    _check_version(file, expected_version)
    set_actor(session.sync_session, principal.audit_actor(file.school_id))
    return file


def _decided(file: ScholarshipFile) -> ValidationFailed:
    return ValidationFailed.single(
        "file_id",
        "DECIDED",
        f"Le dossier est {STATUS_LABELS[file.status].lower()} : il ne se modifie plus.",
    )


@requires(Permission.SCHOLARSHIPS_MANAGE)
async def update_file(
    session: AsyncSession,
    principal: Principal,
    file_id: int,
    data: FileInput,
    expected_version: int | None = None,
) -> ScholarshipFileCard:
    """Change a file not yet decided. A complete file that loses its income, its children or
    a required piece is received again (its status shows it)."""
    file = await _writable_file(
        session, principal, file_id, Permission.SCHOLARSHIPS_MANAGE, expected_version
    )
    if file.status not in (ScholarshipStatus.RECEIVED, ScholarshipStatus.COMPLETE):
        raise _decided(file)
    year = await session.get(SchoolYear, file.school_year_id)
    assert year is not None
    checked = await _checked(session, data, year, file.student_id)
    file.received_on = checked.received_on
    file.applicant_id = checked.applicant_id
    file.reference_income = checked.reference_income
    file.dependent_children = checked.dependent_children
    file.pieces = checked.pieces
    if file.status is ScholarshipStatus.COMPLETE and _incomplete(file):
        file.status = ScholarshipStatus.RECEIVED
    await _save(session, file)
    return (await file_cards(session, [file]))[0]


def _incomplete(file: ScholarshipFile) -> list[FieldError]:
    errors = []
    if file.reference_income is None:
        errors.append(
            FieldError(
                "reference_income",
                "REQUIRED",
                "Revenu fiscal de référence : à saisir pour compléter le dossier.",
            )
        )
    if file.dependent_children is None:
        errors.append(
            FieldError(
                "dependent_children",
                "REQUIRED",
                "Enfants à charge : à saisir pour compléter le dossier.",
            )
        )
    missing = _missing(file)
    if missing:
        errors.append(
            FieldError(
                "pieces",
                "MISSING",
                "Pièces reçues : il manque " + ", ".join(PIECES[c] for c in missing) + ".",
            )
        )
    return errors


@requires(Permission.SCHOLARSHIPS_MANAGE)
async def complete_file(
    session: AsyncSession, principal: Principal, file_id: int, expected_version: int | None = None
) -> ScholarshipFileCard:
    """Mark a received file complete: its income, its children and the required pieces."""
    file = await _writable_file(
        session, principal, file_id, Permission.SCHOLARSHIPS_MANAGE, expected_version
    )
    if file.status is not ScholarshipStatus.RECEIVED:
        if file.status is ScholarshipStatus.COMPLETE:
            raise ValidationFailed.single(
                "file_id", "ALREADY_COMPLETE", "Le dossier est déjà complet."
            )
        raise _decided(file)
    errors = _incomplete(file)
    if errors:
        raise ValidationFailed(errors)
    file.status = ScholarshipStatus.COMPLETE
    await _save(session, file)
    return (await file_cards(session, [file]))[0]


async def _scale_of(session: AsyncSession, file: ScholarshipFile) -> tuple[SchoolYear, Scale]:
    year = await session.get(SchoolYear, file.school_year_id)
    assert year is not None
    scale = await scale_for(session, file.kind, year.start_year)
    if scale is None:
        raise ValidationFailed.single(
            "file_id",
            "NO_SCALE",
            f"Aucun barème de la {KIND_LABELS[file.kind]} pour {year.label} : le rectorat le "
            "charge (sconet scholarships load-scale).",
        )
    return year, scale


@requires(Permission.SCHOLARSHIPS_DECIDE)
async def grant_file(
    session: AsyncSession, principal: Principal, file_id: int, expected_version: int | None = None
) -> ScholarshipFileCard:
    """The principal's decision on a complete file: the échelon and the annual amount from
    the year's table; refused, with the reason written, when the income is above the
    échelon 1 ceiling."""
    file = await _writable_file(
        session, principal, file_id, Permission.SCHOLARSHIPS_DECIDE, expected_version
    )
    if file.status is not ScholarshipStatus.COMPLETE:
        if file.status is ScholarshipStatus.RECEIVED:
            raise ValidationFailed(
                [
                    FieldError(
                        "file_id",
                        "NOT_COMPLETE",
                        "Le dossier n'est pas complet : il se décide une fois complet.",
                    )
                ]
            )
        raise _decided(file)
    _year, scale = await _scale_of(session, file)
    assert file.reference_income is not None and file.dependent_children is not None
    income = Decimal(str(file.reference_income))
    echelon = scale.echelon_for(income, file.dependent_children)
    file.scale_year = scale.first_year
    file.decided_on = clock.today()
    file.decided_by_label = principal.label
    if echelon is None:
        ceiling = scale.ceilings_for(file.dependent_children)[1]
        largest = max(scale.ceilings)
        children = (
            f"{largest} enfants ou plus"
            if file.dependent_children >= largest
            else f"{file.dependent_children} enfant{'s' if file.dependent_children > 1 else ''}"
        )
        file.status = ScholarshipStatus.REFUSED
        file.refusal_reason = (
            f"Revenu fiscal de référence ({format_euros(income)}) supérieur au plafond de "
            f"l'échelon 1 ({format_euros(ceiling)} pour {children} à charge)."
        )
    else:
        file.status = ScholarshipStatus.GRANTED
        file.echelon = echelon
        file.annual_amount = scale.amounts[echelon]
    await _save(session, file)
    return (await file_cards(session, [file]))[0]


@requires(Permission.SCHOLARSHIPS_DECIDE)
async def refuse_file(
    session: AsyncSession,
    principal: Principal,
    file_id: int,
    reason: str,
    expected_version: int | None = None,
) -> ScholarshipFileCard:
    """The principal refuses a file not yet decided, with the reason the letter gives."""
    file = await _writable_file(
        session, principal, file_id, Permission.SCHOLARSHIPS_DECIDE, expected_version
    )
    if file.status not in (ScholarshipStatus.RECEIVED, ScholarshipStatus.COMPLETE):
        raise _decided(file)
    text = " ".join(reason.split())
    if not text or len(text) > MAX_REASON:
        raise ValidationFailed.single(
            "reason", "REQUIRED", f"Motif du refus : requis ({MAX_REASON} caractères au plus)."
        )
    file.status = ScholarshipStatus.REFUSED
    file.refusal_reason = text
    file.decided_on = clock.today()
    file.decided_by_label = principal.label
    await _save(session, file)
    return (await file_cards(session, [file]))[0]


# --------------------------------------------------------------------------- the letter


@requires(Permission.SCHOLARSHIPS_READ)
async def decision_letter(
    session: AsyncSession, principal: Principal, file_id: int
) -> tuple[str, bytes]:
    """The decision letter to the applicant (file name, PDF): the échelon, the annual amount
    and each term's share, or the refusal and its reason; with the means of appeal."""
    file = await _file_in_reach(session, principal, file_id, Permission.SCHOLARSHIPS_READ)
    if file.status not in (ScholarshipStatus.GRANTED, ScholarshipStatus.REFUSED):
        raise ValidationFailed.single(
            "file_id", "NOT_DECIDED", "Le dossier n'est pas encore décidé : pas de lettre."
        )
    card = (await file_cards(session, [file]))[0]
    school = await session.get(School, file.school_id)
    year = await session.get(SchoolYear, file.school_year_id)
    applicant = await session.get(Guardian, file.applicant_id)
    assert school is not None and year is not None and applicant is not None
    recipient = await guardian_postal_lines(session, applicant) or [applicant.display_name]
    terms = list(
        await session.scalars(
            select(FinanceTerm)
            .where(FinanceTerm.school_id == school.id, FinanceTerm.school_year_id == year.id)
            .order_by(FinanceTerm.rank)
        )
    )
    kind = KIND_LABELS[file.kind]
    student = f"{card.student_name}{f' ({card.division_code})' if card.division_code else ''}"
    mark = "\x00table\x00"
    facts = [
        ["Élève", student],
        ["Dossier reçu le", f"{file.received_on:%d/%m/%Y}"],
        [
            "Revenu fiscal de référence",
            format_euros(Decimal(str(file.reference_income)))
            if file.reference_income is not None
            else "non renseigné",
        ],
        ["Enfants à charge", str(file.dependent_children or "non renseigné")],
    ]
    if file.status is ScholarshipStatus.GRANTED:
        assert file.annual_amount is not None
        annual = Decimal(str(file.annual_amount))
        facts += [
            ["Barème appliqué", f"{file.scale_year}-{(file.scale_year or 0) + 1}"],
            ["Échelon", str(file.echelon)],
            ["Montant annuel", format_euros(annual)],
        ]
        facts += [
            [f"{term.label} (versé après le {term.last_day:%d/%m/%Y})", format_euros(share)]
            for term, share in zip(terms, term_shares(annual, len(terms)), strict=True)
        ]
        decision = (
            f"J'ai le plaisir de vous informer qu'une {kind} est accordée pour l'année scolaire "
            f"{year.label} à l'élève {student}, à l'échelon {file.echelon}, soit "
            f"{format_euros(annual)} pour l'année."
        )
        payment = (
            "La bourse est versée à la fin de chaque trimestre (à terme échu). Elle est d'abord "
            "déduite des frais d'internat puis de demi-pension restant dus par l'élève pour ce "
            "trimestre ; le reste vous est versé."
        )
        paragraphs = [decision, mark, payment]
    else:
        facts.append(["Motif du refus", file.refusal_reason or ""])
        paragraphs = [
            f"Votre demande de {kind} pour l'année scolaire {year.label} pour l'élève {student} "
            "ne peut pas être satisfaite.",
            mark,
        ]
    paragraphs.append(
        "Cette décision peut faire l'objet d'un recours gracieux auprès du chef "
        "d'établissement, ou d'un recours contentieux devant le tribunal administratif, dans "
        "un délai de deux mois à compter de sa réception."
    )
    letter = Letter(
        school_lines=school_lines(school),
        recipient_lines=recipient,
        place_and_date=f"{school.city or school.name}, le {french_date(file.decided_on or clock.today())}",
        subject=f"Décision sur votre demande de {kind} {year.label}",
        body="\n\n".join(["Madame, Monsieur,", *paragraphs]),
        table_mark=mark,
        table=LetterTable(("Rubrique", "Valeur"), facts),
        signature="Le chef d'établissement",
    )
    pdf = write_letters([letter], title=f"Décision de bourse — {card.student_name}")
    return f"decision-bourse-{file.id}.pdf", pdf
