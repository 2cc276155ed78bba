"""Guardians from SIECLE's BEE_RESPONSABLES: persons (with their addresses) and their
responsibilities for the school's students.

A person is found by PERSONNE_ID among the guardians of the school's students, else among
the guardians already linked to the same student under the same name (entered by hand before
the first import). Level 1 responsibilities become legal guardians 1 then 2 in file order.

A kinship code the product does not know (CODE_PARENTE) is taken as OTHER and reported: the
responsibility (who holds authority, who pays, whom to call) is what the school needs, and
refusing it over a label would leave a legal guardian out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.exchanges.siecle.addresses import AddressPlanner, existing_addresses
from api.resolvers.exchanges.siecle.plan import (
    Entity,
    ImportPlan,
    Ref,
    chunks,
    plan_row,
    problem,
    school_and_year,
)
from db.enrollments import Enrollment
from db.guardians import Civility, Guardian, GuardianLink, Relationship
from db.students import Student, search_key
from exchanges.records import (
    AddressRecord,
    GuardiansFileItem,
    PersonRecord,
    RecordProblem,
    ResponsibilityRecord,
)

PERSONNE = "PERSONNE"
RESPONSABLE = "RESPONSABLE_ELEVE"
# (attribute, SIECLE element, what it is, longest value)
PERSON_TEXTS = (
    ("family_name", "NOM_DE_FAMILLE", "Le nom", 100),
    ("usage_name", "NOM_USAGE", "Le nom d'usage", 100),
    ("first_name", "PRENOM", "Le prénom", 60),
    ("phone_home", "TEL_PERSONNEL", "Le téléphone du domicile", 20),
    ("phone_mobile", "TEL_PORTABLE", "Le téléphone portable", 20),
    ("phone_work", "TEL_PROFESSIONNEL", "Le téléphone professionnel", 20),
    ("email", "MEL", "L'adresse électronique", 254),
    ("profession_code", "CODE_PROFESSION", "La profession", 3),
)
CIVILITIES = {c.value: c for c in Civility}


@dataclass
class GuardiansFile:
    persons: dict[str, PersonRecord]
    responsibilities: list[ResponsibilityRecord]
    addresses: dict[str, AddressRecord]


def _read(plan: ImportPlan, records: Iterable[GuardiansFileItem]) -> GuardiansFile:
    file = GuardiansFile({}, [], {})
    for item in records:
        if isinstance(item, PersonRecord):
            if item.siecle_id in file.persons:
                plan.refused.append(
                    problem(
                        PERSONNE,
                        item.siecle_id,
                        "PERSONNE_ID",
                        f"La personne {item.siecle_id} figure deux fois dans le fichier.",
                        item.line,
                    )
                )
            else:
                file.persons[item.siecle_id] = item
        elif isinstance(item, ResponsibilityRecord):
            file.responsibilities.append(item)
        elif isinstance(item, AddressRecord):
            file.addresses.setdefault(item.siecle_id, item)
    return file


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _person_problems(record: PersonRecord) -> list[RecordProblem]:
    found: list[RecordProblem] = []

    def refuse(field_name: str, message: str) -> None:
        found.append(problem(PERSONNE, record.siecle_id, field_name, message, record.line))

    if len(record.siecle_id) > 12:
        refuse("PERSONNE_ID", "PERSONNE_ID dépasse 12 caractères.")
    if record.civility not in CIVILITIES:
        refuse("LC_CIVILITE", "La civilité est obligatoire (M. ou Mme).")
    for attribute, element, what, limit in PERSON_TEXTS:
        value = _blank(getattr(record, attribute))
        if attribute in ("family_name", "first_name") and value is None:
            refuse(element, f"{what} est obligatoire.")
        elif value and len(value) > limit:
            refuse(element, f"{what} dépasse {limit} caractères.")
    return found


def _person_values(record: PersonRecord) -> dict[str, Any]:
    email = _blank(record.email)
    return {
        "siecle_id": record.siecle_id,
        "civility": CIVILITIES[record.civility or ""],
        "family_name": record.family_name.strip(),
        "usage_name": _blank(record.usage_name),
        "first_name": record.first_name.strip(),
        "phone_home": _blank(record.phone_home),
        "phone_mobile": _blank(record.phone_mobile),
        "phone_work": _blank(record.phone_work),
        "email": email.lower() if email else None,
        "accepts_sms": record.accepts_sms,
        "profession_code": _blank(record.profession_code),
    }


@dataclass
class Known:
    students: dict[str, int]  # ELEVE_ID -> student id, enrolled in the school this year
    guardians: dict[str, Guardian]  # PERSONNE_ID -> the school's guardian
    links: dict[tuple[int, int], GuardianLink]  # (student id, guardian id)
    linked: dict[int, list[Guardian]]  # student id -> guardians linked to him


async def _known(
    session: AsyncSession, school_id: int, school_year_id: int, file: GuardiansFile
) -> Known:
    known = Known({}, {}, {}, {})
    student_ids = sorted({r.student_siecle_id for r in file.responsibilities})
    for part in chunks(student_ids):
        for student_id, siecle_id in await session.execute(
            select(Student.id, Student.siecle_id)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(
                Enrollment.school_id == school_id,
                Enrollment.school_year_id == school_year_id,
                Student.siecle_id.in_(list(part)),
            )
        ):
            if siecle_id is not None:
                known.students[siecle_id] = student_id
    # The guardians of the school's students, as one uncorrelated list: SQLite runs a
    # correlated EXISTS once per guardian through every enrolment of the school, which made
    # this read grow with the square of the school's size.
    in_school = Guardian.id.in_(
        select(GuardianLink.guardian_id)
        .join(Enrollment, Enrollment.student_id == GuardianLink.student_id)
        .where(Enrollment.school_id == school_id)
    )
    for part in chunks(sorted(file.persons)):
        for guardian in await session.scalars(
            select(Guardian).where(Guardian.siecle_id.in_(list(part)), in_school)
        ):
            assert guardian.siecle_id is not None
            known.guardians[guardian.siecle_id] = guardian
    for part in chunks(sorted(set(known.students.values()))):
        for link, guardian in await session.execute(
            select(GuardianLink, Guardian)
            .join(Guardian, Guardian.id == GuardianLink.guardian_id)
            .where(GuardianLink.student_id.in_(list(part)))
        ):
            known.links[link.student_id, link.guardian_id] = link
            known.linked.setdefault(link.student_id, []).append(guardian)
    return known


class GuardiansPlanner:
    def __init__(
        self, plan: ImportPlan, file: GuardiansFile, known: Known, addresses: AddressPlanner
    ) -> None:
        self.plan = plan
        self.file = file
        self.known = known
        self.addresses = addresses
        # PERSONNE_ID -> the guardian's id (existing) or Ref (new); None when refused.
        self.persons: dict[str, int | Ref | None] = {}
        self.matched: set[int] = set()

    def refuse(self, record: ResponsibilityRecord, field_name: str, message: str) -> None:
        # A responsibility has no id of its own: the student's and the person's name it.
        record_id = f"{record.student_siecle_id}/{record.person_siecle_id}"
        self.plan.refused.append(problem(RESPONSABLE, record_id, field_name, message, record.line))

    def guardian(self, record: PersonRecord, student_id: int) -> int | Ref | None:
        """The person's guardian row, planned on first use."""
        if record.siecle_id in self.persons:
            return self.persons[record.siecle_id]
        problems = _person_problems(record)
        if problems:
            self.plan.refused.extend(problems)
            self.persons[record.siecle_id] = None
            return None
        values = _person_values(record)
        current = self.known.guardians.get(record.siecle_id)
        if current is None:
            # Entered by hand before the first import: the student's guardian of that name.
            name = search_key(values["family_name"], values["first_name"])
            current = next(
                (
                    g
                    for g in self.known.linked.get(student_id, [])
                    if g.siecle_id is None
                    and g.id not in self.matched
                    and search_key(g.family_name, g.first_name) == name
                ),
                None,
            )
        address = self.addresses.ref(
            record.address_siecle_id, PERSONNE, record.siecle_id, record.line
        )
        if address is not None:
            values["address_id"] = address
        label = f"{values['civility'].value} {values['family_name'].upper()} {values['first_name']}"
        plan_row(self.plan, Entity.GUARDIAN, record.siecle_id, label, current, values)
        if current is not None:
            self.matched.add(current.id)
        ref: int | Ref = (
            current.id if current is not None else Ref(Entity.GUARDIAN, record.siecle_id)
        )
        self.persons[record.siecle_id] = ref
        return ref

    def relationship(self, record: ResponsibilityRecord) -> Relationship:
        try:
            return Relationship(record.kinship_code or "")
        except ValueError:
            self.plan.reported.append(
                problem(
                    RESPONSABLE,
                    record.student_siecle_id,
                    "CODE_PARENTE",
                    f"Le lien de parenté {record.kinship_code or '(vide)'} de la personne "
                    f"{record.person_siecle_id} est inconnu : pris comme « autre ».",
                    record.line,
                )
            )
            return Relationship.OTHER

    def plan_links(self) -> None:
        ranks: dict[int, int] = {}
        seen: set[tuple[str, str]] = set()
        taken_ranks: dict[int, set[int]] = {}
        planned_links: list[tuple[int, int | Ref, dict[str, Any], str, ResponsibilityRecord]] = []
        for record in self.file.responsibilities:
            student_id = self.known.students.get(record.student_siecle_id)
            if student_id is None:
                self.refuse(
                    record,
                    "ELEVE_ID",
                    f"L'élève {record.student_siecle_id} (responsable {record.person_siecle_id}) "
                    "n'est pas inscrit dans l'établissement cette année.",
                )
                continue
            person = self.file.persons.get(record.person_siecle_id)
            if person is None:
                self.refuse(
                    record,
                    "PERSONNE_ID",
                    f"La personne {record.person_siecle_id} n'est pas dans le fichier.",
                )
                continue
            if record.level not in (1, 2, 3):
                self.refuse(
                    record,
                    "NIVEAU_RESPONSABILITE",
                    f"Le niveau de responsabilité {record.level} n'existe pas (1, 2 ou 3).",
                )
                continue
            pair = (record.student_siecle_id, record.person_siecle_id)
            if pair in seen:
                self.refuse(
                    record,
                    "PERSONNE_ID",
                    f"La responsabilité de {record.person_siecle_id} pour cet élève figure deux "
                    "fois dans le fichier.",
                )
                continue
            guardian = self.guardian(person, student_id)
            if guardian is None:
                self.refuse(
                    record,
                    "PERSONNE_ID",
                    f"La personne {record.person_siecle_id} n'est pas prise : sa responsabilité "
                    "non plus.",
                )
                continue
            seen.add(pair)
            rank: int | None = None
            if record.level == 1 and ranks.get(student_id, 0) < 2:
                rank = ranks[student_id] = ranks.get(student_id, 0) + 1
            values = {
                "legal_rank": rank,
                "responsibility_level": record.level,
                "relationship": self.relationship(record),
                "pays_fees": record.pays_fees,
                "receives_aid": record.receives_aid,
                "lives_with": record.lives_with,
                "contact_first": record.contact_first,
            }
            label = f"{record.student_siecle_id} / {record.person_siecle_id}"
            planned_links.append((student_id, guardian, values, label, record))
            if rank is not None:
                taken_ranks.setdefault(student_id, set()).add(rank)
        in_file = {
            (student_id, guardian)
            for student_id, guardian, *_ in planned_links
            if isinstance(guardian, int)
        }
        # A link the file does not give keeps its row, but lets go of a legal rank the file
        # gives to another guardian.
        for (student_id, guardian_id), link in self.known.links.items():
            if (student_id, guardian_id) not in in_file and link.legal_rank in taken_ranks.get(
                student_id, set()
            ):
                plan_row(
                    self.plan,
                    Entity.GUARDIAN_LINK,
                    f"{student_id}/{guardian_id}",
                    f"{student_id} / {guardian_id}",
                    link,
                    {"legal_rank": None},
                )
        for student_id, guardian, values, label, record in planned_links:
            current = (
                self.known.links.get((student_id, guardian)) if isinstance(guardian, int) else None
            )
            plan_row(
                self.plan,
                Entity.GUARDIAN_LINK,
                f"{record.student_siecle_id}/{record.person_siecle_id}",
                label,
                current,
                values,
                {"student_id": student_id, "guardian_id": guardian},
            )


@requires(Permission.STUDENTS_WRITE)
async def plan_guardians_import(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    records: Iterable[GuardiansFileItem],
) -> ImportPlan:
    """What importing BEE_RESPONSABLES records into the school for the year would change
    (its students are imported first: a responsibility for a student not enrolled is
    refused)."""
    _school, year = await school_and_year(session, principal, school_id, school_year_id)
    plan = ImportPlan("guardians", school_id, year.id)
    file = _read(plan, records)
    known = await _known(session, school_id, year.id, file)
    address_ids = [p.address_siecle_id for p in file.persons.values() if p.address_siecle_id]
    addresses = AddressPlanner(
        plan, file.addresses, await existing_addresses(session, school_id, address_ids)
    )
    GuardiansPlanner(plan, file, known, addresses).plan_links()
    return plan
