"""The school's exports in the national formats, for its other software (timetable, grades,
vie scolaire, ENT providers) and the national services that read SIECLE's files: written from
its data (``school_records``), zipped as SIECLE serves them, recorded in the exchange history
with the file, so that it can be downloaded again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers import immatriculation
from api.resolvers.exchanges import school_records
from api.resolvers.exchanges.runs import record_export
from api.resolvers.headcounts import structure_headcounts
from core import clock
from core.errors import NotFound, ValidationFailed
from db.exchanges import ExchangeFormat, ExchangeRun
from db.schools import School, SchoolYear
from exchanges.bea_files import requests_file_name
from exchanges.private_import import private_import_bytes, validate_private_import
from exchanges.records import FileHeader
from exchanges.siecle_writing import guardians_bytes, nomenclatures_bytes, students_bytes
from exchanges.sts_headcounts import headcounts_bytes, headcounts_file_name
from exchanges.sts_writing import structures_bytes
from exchanges.xml_writing import UnwritableRecord, structures_file_name, zipped


class ExportKind(enum.StrEnum):
    STUDENTS = "eleves_sans_adresses"
    STUDENTS_WITH_ADDRESSES = "eleves_avec_adresses"
    GUARDIANS = "responsables_avec_adresses"
    NOMENCLATURES = "nomenclatures"
    STRUCTURES = "structures"
    PRIVATE_IMPORT = "import_prive"
    INE_REQUESTS = "demandes_ine"
    HEADCOUNTS = "effectifs_structures"


@dataclass(frozen=True)
class ExportFormat:
    label: str  # French, as the "Échanges" screen offers it
    format: ExchangeFormat
    xml_name: Callable[[School, SchoolYear], str]
    # What the export needs in the school beyond ``export_file``'s own permission: sending
    # students for an INE records requests (``immatriculation.send_ine_requests``).
    permission: Permission = Permission.STUDENTS_EXPORT


EXPORT_FORMATS: dict[ExportKind, ExportFormat] = {
    ExportKind.STUDENTS: ExportFormat(
        "Élèves sans adresses (BEE_ELEVES)",
        ExchangeFormat.STUDENTS,
        lambda _s, _y: "ElevesSansAdresses.xml",
    ),
    ExportKind.STUDENTS_WITH_ADDRESSES: ExportFormat(
        "Élèves avec adresses (BEE_ELEVES)",
        ExchangeFormat.STUDENTS,
        lambda _s, _y: "ElevesAvecAdresses.xml",
    ),
    ExportKind.GUARDIANS: ExportFormat(
        "Responsables avec adresses (BEE_RESPONSABLES)",
        ExchangeFormat.GUARDIANS,
        lambda _s, _y: "ResponsablesAvecAdresses.xml",
    ),
    ExportKind.NOMENCLATURES: ExportFormat(
        "Nomenclatures (BEE_NOMENCLATURES)",
        ExchangeFormat.NOMENCLATURES,
        lambda _s, _y: "Nomenclature.xml",
    ),
    ExportKind.STRUCTURES: ExportFormat(
        "Structures (STS_EDT)",
        ExchangeFormat.STRUCTURES,
        lambda school, year: structures_file_name(school.uai, year.start_year),
    ),
    ExportKind.PRIVATE_IMPORT: ExportFormat(
        "Import privé (IMPORT_ELEVES)",
        ExchangeFormat.PRIVATE_IMPORT,
        lambda school, year: f"ImportEleves_{school.uai}_{year.start_year}.xml",
    ),
    ExportKind.INE_REQUESTS: ExportFormat(
        "Élèves sans INE, vers la base élèves académique (BEE_DEMANDES_INE)",
        ExchangeFormat.INE_REQUESTS,
        lambda school, year: requests_file_name(school.uai, year.start_year),
        Permission.STUDENTS_WRITE,
    ),
    ExportKind.HEADCOUNTS: ExportFormat(
        "Effectifs par structure (vers STS-WEB)",
        ExchangeFormat.HEADCOUNTS,
        lambda school, year: headcounts_file_name(school.uai, year.start_year),
    ),
}


def _unwritable(refusal: UnwritableRecord) -> ValidationFailed:
    return ValidationFailed.single(
        "export",
        "UNWRITABLE",
        f"{refusal.element} {refusal.record_id or ''} ({refusal.field}) : {refusal.message} "
        "Corrigez la fiche puis produisez l'export de nouveau.",
    )


async def _write(
    session: AsyncSession,
    principal: Principal,
    kind: ExportKind,
    school: School,
    year: SchoolYear,
    header: FileHeader,
) -> tuple[bytes, dict[str, dict[str, int]]]:
    args = (school.id, year.id)
    if kind in (ExportKind.STUDENTS, ExportKind.STUDENTS_WITH_ADDRESSES):
        students = await school_records.students_records(session, principal, *args)
        with_addresses = kind is ExportKind.STUDENTS_WITH_ADDRESSES
        data = students_bytes(
            header,
            students.students,
            students.options,
            students.structures,
            students.addresses if with_addresses else None,
        )
        return data, {"students": {"written": len(students.students)}}
    if kind is ExportKind.GUARDIANS:
        guardians = await school_records.guardians_records(session, principal, *args)
        data = guardians_bytes(
            header, guardians.persons, guardians.responsibilities, guardians.addresses
        )
        return data, {
            "guardians": {"written": len(guardians.persons)},
            "links": {"written": len(guardians.responsibilities)},
        }
    if kind is ExportKind.NOMENCLATURES:
        nomenclature = await school_records.nomenclature_records(session, principal, *args)
        data = nomenclatures_bytes(
            header,
            nomenclature.mefs,
            nomenclature.subjects,
            nomenclature.programmes,
            nomenclature.entries,
        )
        return data, {
            "mefs": {"written": len(nomenclature.mefs)},
            "subjects": {"written": len(nomenclature.subjects)},
        }
    if kind is ExportKind.STRUCTURES:
        structures = await school_records.structures_records(session, principal, *args)
        data = structures_bytes(
            header, structures.divisions, structures.groups, structures.teachers
        )
        return data, {
            "divisions": {"written": len(structures.divisions)},
            "groups": {"written": len(structures.groups)},
            "teachers": {"written": len(structures.teachers)},
        }
    if kind is ExportKind.HEADCOUNTS:
        divisions, groups = await structure_headcounts(session, principal, *args)
        data = headcounts_bytes(header, divisions, groups)
        return data, {
            "divisions": {"written": len(divisions)},
            "groups": {"written": len(groups)},
        }
    students = await school_records.students_records(session, principal, *args)
    guardians = await school_records.guardians_records(session, principal, *args)
    students, guardians = _numbered_for_private_import(students, guardians)
    data = private_import_bytes(
        header,
        students.students,
        guardians.persons,
        guardians.responsibilities,
        [*students.addresses, *guardians.addresses],
        students.options,
        students.structures,
    )
    problems = validate_private_import(data)
    if problems:
        raise ValidationFailed.single(
            "export",
            "INVALID",
            "Le fichier ne respecte pas le schéma de l'import privé : " + problems[0].message,
        )
    return data, {"students": {"written": len(students.students)}}


# CODE_PROFESSION is required by the import privé's schema: "non renseignée" when unknown.
UNKNOWN_PROFESSION = "99"


def _numbered_for_private_import(
    students: school_records.StudentsRecords, guardians: school_records.GuardiansRecords
) -> tuple[school_records.StudentsRecords, school_records.GuardiansRecords]:
    """The import privé identifies students and persons by the sending software's own
    numbers (ID_PRV_ELE, ID_PRV_PER: 5 digits at most): numbered here in the file's order."""
    student_numbers = {s.siecle_id: str(n) for n, s in enumerate(students.students, start=1)}
    person_numbers = {p.siecle_id: str(n) for n, p in enumerate(guardians.persons, start=1)}
    return (
        replace(
            students,
            students=[
                replace(s, siecle_id=student_numbers[s.siecle_id]) for s in students.students
            ],
            options=[
                replace(o, student_siecle_id=student_numbers[o.student_siecle_id])
                for o in students.options
            ],
            structures=[
                replace(m, student_siecle_id=student_numbers[m.student_siecle_id])
                for m in students.structures
            ],
        ),
        replace(
            guardians,
            persons=[
                replace(
                    p,
                    siecle_id=person_numbers[p.siecle_id],
                    profession_code=p.profession_code or UNKNOWN_PROFESSION,
                )
                for p in guardians.persons
            ],
            responsibilities=[
                replace(
                    r,
                    student_siecle_id=student_numbers[r.student_siecle_id],
                    person_siecle_id=person_numbers[r.person_siecle_id],
                )
                for r in guardians.responsibilities
                if r.student_siecle_id in student_numbers
            ],
        ),
    )


@requires(Permission.STUDENTS_EXPORT)
async def export_file(
    session: AsyncSession, principal: Principal, kind: ExportKind, school_id: int, year_id: int
) -> ExchangeRun:
    """Write one of the school's exports for a year and record it (with the file)."""
    school = await session.get(School, school_id)
    year = await session.get(SchoolYear, year_id)
    if school is None or school.academy_id != principal.academy_id:
        raise NotFound("School", school_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", year_id)
    # ``requires`` asks for the right somewhere; an export is the school's own: its rights
    # there (the structures' records only ask to read them).
    if Permission.STUDENTS_EXPORT not in principal.permissions_in(school.id):
        raise PermissionDenied(Permission.STUDENTS_EXPORT)
    export_format = EXPORT_FORMATS[kind]
    if kind is ExportKind.INE_REQUESTS:
        return await immatriculation.send_ine_requests(session, principal, school.id, year.id)
    xml_name = export_format.xml_name(school, year)
    header = FileHeader(
        root="",
        version=None,
        uai=school.uai,
        school_year=year.start_year,
        exported_on=clock.now().date(),
    )
    try:
        data, counts = await _write(session, principal, kind, school, year, header)
    except UnwritableRecord as refusal:
        raise _unwritable(refusal) from None
    file_name, content = zipped(xml_name, data)
    return await record_export(
        session, principal, export_format.format, school, year, file_name, content, counts
    )
