"""Students from SIECLE's BEE_ELEVES (with or without addresses): identity, enrolment for the
year, options, division and groups, address.

An existing student is found among the school's students by ELEVE_ID, then by ELENOET, then
by INE, then by name and birth date; a student of another school is never taken over (a clash
of INE with one goes to the rectorat as an ``IneConflict``, as for a student entered by hand).

A MEF the school has not profiled is profiled by the import: SIECLE is the school's own base,
so a MEF its students follow there is one the school uses, and refusing those students would
block the rentrée on a setting the file cannot fix. The plan lists the MEF so profiled.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.exchanges.siecle.addresses import AddressPlanner, existing_addresses
from api.resolvers.exchanges.siecle.plan import (
    Action,
    Entity,
    ImportPlan,
    PlannedRow,
    Ref,
    chunks,
    plan_row,
    problem,
    school_and_year,
)
from api.resolvers.nomenclatures import exit_reason_of, regime_kind
from api.resolvers.students import (
    COMMUNE_PATTERN,
    COUNTRY_PATTERN,
    EARLIEST_BIRTH_DATE,
    FRANCE,
)
from core import clock
from core.ine import ine_problem, normalized_ine
from db.enrollments import Enrollment, EnrollmentGroup, EnrollmentOption, ExitReason, Regime
from db.nomenclatures import Mef, NomenclatureEntry, NomenclatureList, SchoolMef, Subject
from db.reference.loader import read_communes
from db.schools import SchoolYear
from db.structures import Division, Group
from db.students import Sex, Student, search_key
from exchanges.records import (
    AddressRecord,
    RecordProblem,
    StudentOptionsRecord,
    StudentRecord,
    StudentsFileItem,
    StudentStructuresRecord,
)

ELEVE = "ELEVE"
CODE_PATTERN = re.compile(r"^[0-9A-Z]{1,3}$")
# (attribute of the record, SIECLE element, what it is, longest value)
NAMES = (
    ("family_name", "NOM_DE_FAMILLE", "Le nom de famille", 100),
    ("usage_name", "NOM_USAGE", "Le nom d'usage", 100),
    ("first_name", "PRENOM", "Le prénom", 60),
    ("first_name_2", "PRENOM2", "Le deuxième prénom", 60),
    ("first_name_3", "PRENOM3", "Le troisième prénom", 60),
    ("birth_city", "VILLE_NAISS", "La ville de naissance", 80),
)


@cache
def commune_names() -> dict[str, str]:
    return {c.insee_code: c.name for c in read_communes()}


@dataclass
class StudentsFile:
    students: dict[str, StudentRecord]
    options: dict[str, StudentOptionsRecord]
    structures: dict[str, StudentStructuresRecord]
    addresses: dict[str, AddressRecord]


def _read(plan: ImportPlan, records: Iterable[StudentsFileItem]) -> StudentsFile:
    """The records by SIECLE id, in one pass over the stream: options, structures and
    addresses come after the students in the files."""
    file = StudentsFile({}, {}, {}, {})
    for item in records:
        if isinstance(item, StudentRecord):
            if item.siecle_id in file.students:
                plan.refused.append(
                    problem(
                        ELEVE,
                        item.siecle_id,
                        "ELEVE_ID",
                        f"L'élève {item.siecle_id} figure deux fois dans le fichier.",
                        item.line,
                    )
                )
            else:
                file.students[item.siecle_id] = item
        elif isinstance(item, StudentOptionsRecord):
            file.options.setdefault(item.student_siecle_id, item)
        elif isinstance(item, StudentStructuresRecord):
            file.structures.setdefault(item.student_siecle_id, item)
        elif isinstance(item, AddressRecord):
            file.addresses.setdefault(item.siecle_id, item)
    return file


def _identity_problems(record: StudentRecord, today: date) -> list[RecordProblem]:
    """What keeps the record out, each naming its field."""
    found: list[RecordProblem] = []

    def refuse(field_name: str, message: str) -> None:
        found.append(problem(ELEVE, record.siecle_id, field_name, message, record.line))

    if len(record.siecle_id) > 12:
        refuse("ELEVE_ID", "ELEVE_ID dépasse 12 caractères.")
    for attribute, element, what, limit in NAMES:
        value = getattr(record, attribute)
        if attribute in ("family_name", "first_name") and not (value or "").strip():
            refuse(element, f"{what} est obligatoire.")
        elif value and len(value) > limit:
            refuse(element, f"{what} dépasse {limit} caractères.")
    if record.sex not in ("M", "F"):
        refuse("CODE_SEXE", "Le sexe est obligatoire (CODE_SEXE 1 ou 2).")
    if record.birth_date is None:
        refuse("DATE_NAISS", "La date de naissance est obligatoire.")
    elif not EARLIEST_BIRTH_DATE <= record.birth_date <= today:
        refuse(
            "DATE_NAISS", f"La date de naissance {record.birth_date:%d/%m/%Y} n'est pas plausible."
        )
    if record.ine is not None and (ine_refusal := ine_problem(normalized_ine(record.ine))):
        refuse("ID_NATIONAL", ine_refusal)
    country = record.birth_country_code or FRANCE
    if not COUNTRY_PATTERN.match(country):
        refuse("CODE_PAYS", "Le pays de naissance doit être un code INSEE à 3 chiffres.")
    if record.nationality_code and not COUNTRY_PATTERN.match(record.nationality_code):
        refuse("CODE_PAYS_NAT", "La nationalité doit être un code INSEE de pays à 3 chiffres.")
    if country == FRANCE and not record.birth_commune_code:
        refuse(
            "CODE_COMMUNE_INSEE_NAISS",
            "La commune de naissance (code INSEE) est obligatoire pour un élève né en France.",
        )
    elif record.birth_commune_code and not COMMUNE_PATTERN.match(record.birth_commune_code):
        refuse(
            "CODE_COMMUNE_INSEE_NAISS",
            "La commune de naissance doit être un code INSEE à 5 caractères.",
        )
    if not record.mef_code:
        refuse("CODE_MEF", "Le MEF est obligatoire.")
    for attribute, element in (
        ("regime_code", "CODE_REGIME"),
        ("status_code", "CODE_STATUT"),
        ("exit_motive_code", "CODE_MOTIF_SORTIE"),
    ):
        value = getattr(record, attribute)
        if value is not None and not CODE_PATTERN.match(value):
            refuse(element, f"Le code {value!r} n'est pas un code de la nomenclature.")
    if record.elenoet and len(record.elenoet) > 12:
        refuse("ELENOET", "ELENOET dépasse 12 caractères.")
    return found


def _duplicate_ines(plan: ImportPlan, students: dict[str, StudentRecord]) -> set[str]:
    """ELEVE_IDs whose INE another student of the file has: each is refused, the file cannot
    tell which one holds it."""
    ines = Counter(normalized_ine(r.ine) for r in students.values() if r.ine)
    refused: set[str] = set()
    for record in students.values():
        ine = normalized_ine(record.ine) if record.ine else None
        if ine and ines[ine] > 1:
            others = sorted(
                r.siecle_id
                for r in students.values()
                if r.ine and normalized_ine(r.ine) == ine and r.siecle_id != record.siecle_id
            )
            plan.refused.append(
                problem(
                    ELEVE,
                    record.siecle_id,
                    "ID_NATIONAL",
                    f"L'INE {ine} est aussi celui de l'élève {', '.join(others)} dans le fichier.",
                    record.line,
                )
            )
            refused.add(record.siecle_id)
    return refused


@dataclass
class Known:
    """What the database already holds for the file, read once."""

    mefs: dict[str, int]
    profiled: set[int]
    subjects: dict[str, int]
    divisions: dict[str, int]
    groups: dict[str, int]
    regimes: dict[str, str]
    exit_motives: dict[str, str]
    students: dict[int, Student]
    by_siecle: dict[str, int]
    by_elenoet: dict[str, int]
    by_ine: dict[str, int]
    by_name: dict[tuple[str, date], list[int]]
    enrollments: dict[int, Enrollment]  # by student id, this school and year
    options: dict[int, dict[int, EnrollmentOption]]  # by enrollment id, then subject id
    groups_of: dict[int, set[int]]  # by enrollment id


async def _categories(session: AsyncSession, year: SchoolYear) -> dict[str, dict[str, str]]:
    """The régime and exit motive codes' kinds in the nomenclature of the year (the latest
    year at or before it that has them)."""
    found: dict[str, dict[str, str]] = {
        NomenclatureList.REGIME: {},
        NomenclatureList.EXIT_MOTIVE: {},
    }
    rows = await session.execute(
        select(NomenclatureEntry.list, NomenclatureEntry.code, NomenclatureEntry.category)
        .where(
            NomenclatureEntry.list.in_(list(found)),
            NomenclatureEntry.year <= year.start_year,
            NomenclatureEntry.category.is_not(None),
        )
        .order_by(NomenclatureEntry.year)
    )
    for list_name, code, category in rows:
        if category is not None:
            found[list_name][code] = category
    return found


async def _known(
    session: AsyncSession, school_id: int, year: SchoolYear, file: StudentsFile
) -> Known:
    records = list(file.students.values())
    mef_codes = sorted({r.mef_code for r in records if r.mef_code})
    subject_codes = sorted({o.subject_code for rec in file.options.values() for o in rec.options})
    mefs: dict[str, int] = {}
    for part in chunks(mef_codes):
        mefs.update(
            (code, mef_id)
            for mef_id, code in await session.execute(
                select(Mef.id, Mef.code).where(Mef.code.in_(list(part)))
            )
        )
    subjects: dict[str, int] = {}
    for part in chunks(subject_codes):
        subjects.update(
            (code, subject_id)
            for subject_id, code in await session.execute(
                select(Subject.id, Subject.code).where(Subject.code.in_(list(part)))
            )
        )
    profiled = set(
        await session.scalars(
            select(SchoolMef.mef_id).where(
                SchoolMef.school_id == school_id, SchoolMef.school_year_id == year.id
            )
        )
    )
    divisions = {
        code: division_id
        for division_id, code in await session.execute(
            select(Division.id, Division.code).where(
                Division.school_id == school_id, Division.school_year_id == year.id
            )
        )
    }
    groups = {
        code: group_id
        for group_id, code in await session.execute(
            select(Group.id, Group.code).where(
                Group.school_id == school_id, Group.school_year_id == year.id
            )
        )
    }
    categories = await _categories(session, year)
    known = Known(
        mefs=mefs,
        profiled=profiled,
        subjects=subjects,
        divisions=divisions,
        groups=groups,
        regimes=categories[NomenclatureList.REGIME],
        exit_motives=categories[NomenclatureList.EXIT_MOTIVE],
        students={},
        by_siecle={},
        by_elenoet={},
        by_ine={},
        by_name={},
        enrollments={},
        options={},
        groups_of={},
    )
    for part in chunks(records):
        siecle_ids = [r.siecle_id for r in part]
        elenoets = [r.elenoet for r in part if r.elenoet]
        ines = [normalized_ine(r.ine) for r in part if r.ine]
        names = sorted({search_key(r.family_name, r.first_name) for r in part})
        births = sorted({r.birth_date for r in part if r.birth_date})
        rows = await session.execute(
            select(Student, Enrollment.elenoet)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(
                Enrollment.school_id == school_id,
                or_(
                    Student.siecle_id.in_(siecle_ids),
                    Enrollment.elenoet.in_(elenoets),
                    Student.ine.in_(ines),
                    and_(Student.search_name.in_(names), Student.birth_date.in_(births)),
                ),
            )
        )
        for student, elenoet in rows:
            known.students[student.id] = student
            if elenoet:
                known.by_elenoet.setdefault(elenoet, student.id)
    for student in known.students.values():
        if student.siecle_id:
            known.by_siecle.setdefault(student.siecle_id, student.id)
        if student.ine:
            known.by_ine.setdefault(student.ine, student.id)
        key = (student.search_name, student.birth_date)
        if student.id not in known.by_name.setdefault(key, []):
            known.by_name[key].append(student.id)
    for part in chunks(sorted(known.students)):
        for enrollment in await session.scalars(
            select(Enrollment).where(
                Enrollment.school_id == school_id,
                Enrollment.school_year_id == year.id,
                Enrollment.student_id.in_(list(part)),
            )
        ):
            known.enrollments[enrollment.student_id] = enrollment
    enrollment_ids = sorted(e.id for e in known.enrollments.values())
    for part in chunks(enrollment_ids):
        for option in await session.scalars(
            select(EnrollmentOption).where(EnrollmentOption.enrollment_id.in_(list(part)))
        ):
            known.options.setdefault(option.enrollment_id, {})[option.subject_id] = option
        for enrollment_id, group_id in await session.execute(
            select(EnrollmentGroup.enrollment_id, EnrollmentGroup.group_id).where(
                EnrollmentGroup.enrollment_id.in_(list(part))
            )
        ):
            known.groups_of.setdefault(enrollment_id, set()).add(group_id)
    return known


def _match(known: Known, record: StudentRecord, taken: set[int]) -> Student | None:
    """The school's student the record is: by ELEVE_ID, ELENOET, INE, then name and birth
    date (only when one student has them). A student is matched once."""
    candidates = [
        known.by_siecle.get(record.siecle_id),
        known.by_elenoet.get(record.elenoet) if record.elenoet else None,
        known.by_ine.get(normalized_ine(record.ine)) if record.ine else None,
    ]
    assert record.birth_date is not None
    same_name = known.by_name.get(
        (search_key(record.family_name, record.first_name), record.birth_date), []
    )
    if len(same_name) == 1:
        candidates.append(same_name[0])
    for student_id in candidates:
        if student_id is not None and student_id not in taken:
            student = known.students[student_id]
            # Matched by ELEVE_ID only if it is that one's; a student already holding another
            # ELEVE_ID is another child of SIECLE's base.
            if student.siecle_id in (None, record.siecle_id):
                taken.add(student_id)
                return student
    return None


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _student_values(record: StudentRecord) -> dict[str, Any]:
    country = record.birth_country_code or FRANCE
    birth_city = _blank(record.birth_city)
    if country == FRANCE and birth_city is None and record.birth_commune_code:
        birth_city = commune_names().get(record.birth_commune_code)
    return {
        "siecle_id": record.siecle_id,
        "ine": normalized_ine(record.ine) if record.ine else None,
        "family_name": record.family_name.strip(),
        "usage_name": _blank(record.usage_name),
        "first_name": record.first_name.strip(),
        "first_name_2": _blank(record.first_name_2),
        "first_name_3": _blank(record.first_name_3),
        "sex": Sex(record.sex or ""),
        "birth_date": record.birth_date,
        "birth_commune_code": record.birth_commune_code if country == FRANCE else None,
        "birth_city": birth_city,
        "birth_country_code": country,
        "nationality_code": record.nationality_code,
        "accepts_sms": record.accepts_sms,
    }


class StudentsPlanner:
    def __init__(
        self,
        plan: ImportPlan,
        school_id: int,
        year: SchoolYear,
        file: StudentsFile,
        known: Known,
        addresses: AddressPlanner,
    ) -> None:
        self.plan = plan
        self.school_id = school_id
        self.year = year
        self.file = file
        self.known = known
        self.addresses = addresses
        self.profiling: set[int] = set()
        # Students holding each INE of the file (in any school), to flag clashes.
        self.holders: dict[str, list[Student]] = {}

    def report(self, record: StudentRecord, field_name: str, message: str) -> None:
        self.plan.reported.append(
            problem(ELEVE, record.siecle_id, field_name, message, record.line)
        )

    def refuse(self, record: StudentRecord, field_name: str, message: str) -> None:
        self.plan.refused.append(problem(ELEVE, record.siecle_id, field_name, message, record.line))

    def regime(self, record: StudentRecord) -> Regime | None:
        code = record.regime_code
        if code is None:
            return None
        category = self.known.regimes.get(code)
        if category is not None and category in set(Regime):
            return Regime(category)
        return regime_kind(code)

    def exit_reason(self, code: str | None) -> ExitReason:
        category = self.known.exit_motives.get(code or "")
        if category is not None and category in set(ExitReason):
            return ExitReason(category)
        return exit_reason_of(code or "")

    def division(self, record: StudentRecord) -> tuple[int | None, list[int], bool]:
        """The division and groups STRUCTURES gives (unknown codes reported), and whether the
        file gives the student's structures at all."""
        structures = self.file.structures.get(record.siecle_id)
        if structures is None:
            return None, [], False
        division_id: int | None = None
        group_ids: list[int] = []
        for membership in structures.memberships:
            found = (self.known.divisions if membership.kind == "D" else self.known.groups).get(
                membership.code
            )
            what = "La division" if membership.kind == "D" else "Le groupe"
            if found is None:
                self.plan.reported.append(
                    problem(
                        "STRUCTURES_ELEVE",
                        record.siecle_id,
                        "CODE_STRUCTURE",
                        f"{what} {membership.code} n'existe pas dans l'établissement pour "
                        f"{self.year.label} : l'élève est pris sans.",
                        structures.line,
                    )
                )
            elif membership.kind == "D":
                division_id = division_id or found
            elif found not in group_ids:
                group_ids.append(found)
        return division_id, group_ids, True

    def plan_student(self, record: StudentRecord, taken: set[int]) -> None:
        mef_id = self.known.mefs.get(record.mef_code or "")
        if mef_id is None:
            self.refuse(
                record, "CODE_MEF", f"Le MEF {record.mef_code} est inconnu de la nomenclature."
            )
            return
        regime = self.regime(record)
        if record.regime_code is not None and regime is None:
            self.refuse(
                record,
                "CODE_REGIME",
                f"Le régime {record.regime_code} est inconnu de la nomenclature.",
            )
            return
        student = _match(self.known, record, taken)
        label = f"{record.family_name.strip().upper()} {record.first_name.strip()}"
        key = record.siecle_id
        values = _student_values(record)
        address = self.addresses.ref(record.address_siecle_id, ELEVE, key, record.line)
        if address is not None:
            values["address_id"] = address
        plan_row(self.plan, Entity.STUDENT, key, label, student, values)
        if values["ine"]:
            holders = [
                s.id
                for s in self.holders.get(values["ine"], [])
                if student is None or s.id != student.id
            ]
            if holders and (student is None or student.ine != values["ine"]):
                self.plan.ine_holders[key] = (values["ine"], holders)
        if mef_id not in self.known.profiled and mef_id not in self.profiling:
            self.profiling.add(mef_id)
            self.plan.add(
                PlannedRow(
                    Entity.SCHOOL_MEF,
                    record.mef_code or "",
                    Action.CREATED,
                    f"MEF {record.mef_code}",
                    values={
                        "school_id": self.school_id,
                        "school_year_id": self.year.id,
                        "mef_id": mef_id,
                    },
                )
            )
        self.plan_enrollment(record, student, key, label, mef_id, regime)

    def plan_enrollment(
        self,
        record: StudentRecord,
        student: Student | None,
        key: str,
        label: str,
        mef_id: int,
        regime: Regime | None,
    ) -> None:
        current = self.known.enrollments.get(student.id) if student else None
        division_id, group_ids, with_structures = self.division(record)
        wanted: dict[str, Any] = {
            "mef_id": mef_id,
            "regime_code": record.regime_code,
            "status_code": record.status_code,
            "repeating": record.repeating,
        }
        if regime is not None:
            wanted["regime"] = regime
        if record.elenoet:
            wanted["elenoet"] = record.elenoet
        if division_id is not None:
            wanted["division_id"] = division_id
        if record.entry_date is not None:
            wanted["entry_date"] = record.entry_date
        if record.exit_date is not None:
            # Leaving; a student present in the file keeps a departure recorded here (an
            # import never undoes one).
            wanted["exit_date"] = record.exit_date
            wanted["exit_motive_code"] = record.exit_motive_code
            wanted["exit_reason"] = self.exit_reason(record.exit_motive_code)
        previous = record.previous
        if previous is not None:
            uai = (previous.uai or "").strip().upper() or None
            if uai is not None and len(uai) > 8:
                self.report(record, "CODE_RNE", f"L'UAI d'origine {uai} n'est pas valide : ignoré.")
                uai = None
            wanted |= {
                "previous_school_uai": uai,
                "previous_school_name": (previous.name or "").strip()[:120] or None,
                "previous_mef_code": (previous.mef_code or "")[:11] or None,
                "previous_division_code": (previous.division_code or "")[:8] or None,
            }
        created = {
            "student_id": student.id if student else Ref(Entity.STUDENT, key),
            "school_id": self.school_id,
            "school_year_id": self.year.id,
            "regime": regime or Regime.EXTERNE,
            "entry_date": record.entry_date or self.year.starts_on,
        }
        plan_row(self.plan, Entity.ENROLLMENT, key, label, current, wanted, created)
        enrollment_ref: int | Ref = current.id if current else Ref(Entity.ENROLLMENT, key)
        existing_groups = self.known.groups_of.get(current.id, set()) if current else set()
        for group_id in group_ids:
            plan_row(
                self.plan,
                Entity.ENROLLMENT_GROUP,
                f"{key}/{group_id}",
                label,
                _Membership(current.id, group_id)
                if group_id in existing_groups and current
                else None,
                {},
                {"enrollment_id": enrollment_ref, "group_id": group_id},
            )
        if with_structures and current is not None:
            for group_id in sorted(existing_groups - set(group_ids)):
                self.plan.add(
                    PlannedRow(
                        Entity.ENROLLMENT_GROUP,
                        f"{key}/{group_id}",
                        Action.REMOVED,
                        label,
                        row_id=(current.id, group_id),
                    )
                )
        self.plan_options(record, current, enrollment_ref, key, label)

    def plan_options(
        self,
        record: StudentRecord,
        current: Enrollment | None,
        enrollment_ref: int | Ref,
        key: str,
        label: str,
    ) -> None:
        options = self.file.options.get(record.siecle_id)
        if options is None:
            return
        existing = self.known.options.get(current.id, {}) if current else {}
        listed: set[int] = set()
        for option in options.options:
            subject_id = self.known.subjects.get(option.subject_code)
            if subject_id is None:
                self.plan.refused.append(
                    problem(
                        "OPTION",
                        f"{record.siecle_id}/{option.subject_code}",
                        "CODE_MATIERE",
                        f"La matière {option.subject_code} est inconnue de la nomenclature : "
                        "l'option n'est pas prise.",
                        options.line,
                    )
                )
                continue
            if subject_id in listed:
                continue
            listed.add(subject_id)
            plan_row(
                self.plan,
                Entity.ENROLLMENT_OPTION,
                f"{key}/{option.subject_code}",
                f"{label} : {option.subject_code}",
                existing.get(subject_id),
                {"rank": option.rank, "election_modality": option.election_modality[:1]},
                {"enrollment_id": enrollment_ref, "subject_id": subject_id},
            )
        if current is not None:
            for subject_id in sorted(set(existing) - listed):
                self.plan.add(
                    PlannedRow(
                        Entity.ENROLLMENT_OPTION,
                        f"{key}/{subject_id}",
                        Action.REMOVED,
                        label,
                        row_id=(current.id, subject_id),
                    )
                )


@dataclass
class _Membership:
    """An existing group membership, as ``plan_row`` compares rows (nothing to compare)."""

    enrollment_id: int
    group_id: int


async def _holders(session: AsyncSession, ines: list[str]) -> dict[str, list[Student]]:
    """Every student holding one of ``ines`` (in any school)."""
    found: dict[str, list[Student]] = {}
    for part in chunks(sorted(set(ines))):
        for student in await session.scalars(select(Student).where(Student.ine.in_(list(part)))):
            assert student.ine is not None
            found.setdefault(student.ine, []).append(student)
    return found


@requires(Permission.STUDENTS_WRITE)
async def plan_students_import(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    records: Iterable[StudentsFileItem],
) -> ImportPlan:
    """What importing BEE_ELEVES records into the school for the year would change."""
    _school, year = await school_and_year(session, principal, school_id, school_year_id)
    plan = ImportPlan("students", school_id, year.id)
    file = _read(plan, records)
    today = clock.today()
    refused = _duplicate_ines(plan, file.students)
    accepted: dict[str, StudentRecord] = {}
    for siecle_id, record in file.students.items():
        problems = _identity_problems(record, today)
        plan.refused.extend(problems)
        if not problems and siecle_id not in refused:
            accepted[siecle_id] = record
    for owner in (*file.options, *file.structures):
        if owner not in file.students:
            source = file.options.get(owner) or file.structures[owner]
            plan.refused.append(
                problem(
                    "OPTIONS_ELEVE" if owner in file.options else "STRUCTURES_ELEVE",
                    owner,
                    "ELEVE_ID",
                    f"L'élève {owner} n'est pas dans le fichier.",
                    source.line,
                )
            )
    file.students = accepted
    known = await _known(session, school_id, year, file)
    address_ids = [r.address_siecle_id for r in accepted.values() if r.address_siecle_id]
    addresses = AddressPlanner(
        plan, file.addresses, await existing_addresses(session, school_id, address_ids)
    )
    planner = StudentsPlanner(plan, school_id, year, file, known, addresses)
    planner.holders = await _holders(
        session, [normalized_ine(r.ine) for r in accepted.values() if r.ine]
    )
    taken: set[int] = set()
    for record in accepted.values():
        planner.plan_student(record, taken)
    return plan
