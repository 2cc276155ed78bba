"""SIECLE files as the readers give them: the records of a school's BEE_ELEVES (with
addresses) and BEE_RESPONSABLES, built in memory for the import tests.

Families of two children (siblings): the children and both parents share the family's
address (one ADRESSE_ID); the mother and the father are legal guardians 1 and 2 of both.
Students are in 6A or 6B (MEF 6EME of the test world), the first of each family in the
group ESP2 with the Spanish option.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from exchanges.records import (
    AddressRecord,
    FileHeader,
    GuardiansFileItem,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentsFileItem,
    StudentStructuresRecord,
)
from exchanges.siecle_writing import students_bytes
from exchanges.xml_writing import zipped

MEF_6EME = "10010012110"
SPANISH = "030201"
FIRST_NAMES = ("Adam", "Léa", "Hugo", "Chloé", "Nathan", "Manon", "Louis", "Camille")
FAMILY_NAMES = ("Durand", "Lefèvre", "Moreau", "Garnier", "Roux", "Fontaine", "Chevalier")


@dataclass
class SiecleFiles:
    students: list[StudentRecord] = field(default_factory=list)
    options: list[StudentOptionsRecord] = field(default_factory=list)
    structures: list[StudentStructuresRecord] = field(default_factory=list)
    addresses: list[AddressRecord] = field(default_factory=list)
    persons: list[PersonRecord] = field(default_factory=list)
    responsibilities: list[ResponsibilityRecord] = field(default_factory=list)

    def students_file(self) -> list[StudentsFileItem]:
        """In the order of the real file: students, options, structures, then addresses."""
        return [*self.students, *self.options, *self.structures, *self.addresses]

    def guardians_file(self) -> list[GuardiansFileItem]:
        return [*self.persons, *self.responsibilities, *self.addresses]

    def student(self, siecle_id: str) -> StudentRecord:
        return next(s for s in self.students if s.siecle_id == siecle_id)

    def change_student(self, siecle_id: str, **changes: Any) -> None:
        self.students = [
            replace(s, **changes) if s.siecle_id == siecle_id else s for s in self.students
        ]

    def change_person(self, siecle_id: str, **changes: Any) -> None:
        self.persons = [
            replace(p, **changes) if p.siecle_id == siecle_id else p for p in self.persons
        ]


def school_files(families: int, *, first_id: int = 1000) -> SiecleFiles:
    """``families`` families of two students each (ELEVE_ID from ``first_id`` on)."""
    files = SiecleFiles()
    line = 10
    for f in range(families):
        # Distinct names past the first families (and in a file of other ids), so that no
        # student is taken for another by name and birth date.
        family = FAMILY_NAMES[f % len(FAMILY_NAMES)]
        if f >= len(FAMILY_NAMES) or first_id != 1000:
            family = f"{family} {first_id + f}"
        address_id = str(first_id + f)
        files.addresses.append(
            AddressRecord(
                siecle_id=address_id,
                line1=f"{f + 1} rue de la République",
                postal_code="93100",
                commune_code="93048",
                city="MONTREUIL",
                line=line,
            )
        )
        mother, father = f"P{first_id + f}M", f"P{first_id + f}F"
        for person, civility, first_name, mobile in (
            (mother, "Mme", "Claire", f"06 12 34 {f % 100:02d} 01"),
            (father, "M.", "Paul", None),
        ):
            files.persons.append(
                PersonRecord(
                    siecle_id=person,
                    civility=civility,
                    family_name=family.upper(),
                    usage_name=None,
                    first_name=first_name,
                    phone_home="01 48 12 34 56",
                    phone_mobile=mobile,
                    phone_work=None,
                    email=f"{first_name.lower()}.{f}@example.fr" if mobile else None,
                    accepts_sms=mobile is not None,
                    profession_code="37",
                    address_siecle_id=address_id,
                    line=line,
                )
            )
        for child in range(2):
            n = 2 * f + child
            siecle_id = str(first_id + n)
            files.students.append(
                StudentRecord(
                    siecle_id=siecle_id,
                    elenoet=str(50000 + first_id + n),
                    ine=f"{first_id * 10000 + n:010d}K",
                    family_name=family.upper(),
                    usage_name=None,
                    first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                    first_name_2=None,
                    first_name_3=None,
                    sex="M" if n % 2 == 0 else "F",
                    birth_date=date(2014, 1 + n % 12, 1 + n % 28),
                    birth_commune_code="93048",
                    birth_department_code="093",
                    birth_city=None,
                    birth_country_code="100",
                    nationality_code="100",
                    mef_code=MEF_6EME,
                    regime_code="2" if child == 0 else "0",
                    status_code="ST",
                    repeating=False,
                    entry_date=date(2026, 9, 1),
                    exit_date=None,
                    exit_motive_code=None,
                    accepts_sms=False,
                    address_siecle_id=address_id,
                    previous=PreviousSchoolingRecord(
                        mef_code="21111111110",
                        division_code="CM2B",
                        uai="0930100A",
                        name="ÉCOLE ÉLÉMENTAIRE JULES FERRY",
                    ),
                    line=line,
                )
            )
            memberships = [MembershipRecord("6A" if n % 2 == 0 else "6B", "D")]
            if child == 0:
                memberships.append(MembershipRecord("ESP2", "G"))
                files.options.append(
                    StudentOptionsRecord(siecle_id, (OptionRecord(1, "O", SPANISH),), line=line)
                )
            files.structures.append(
                StudentStructuresRecord(siecle_id, tuple(memberships), line=line)
            )
            for person, level, kinship in ((mother, 1, "10"), (father, 1, "20")):
                files.responsibilities.append(
                    ResponsibilityRecord(
                        student_siecle_id=siecle_id,
                        person_siecle_id=person,
                        level=level,
                        kinship_code=kinship,
                        pays_fees=person == mother,
                        receives_aid=False,
                        lives_with=True,
                        contact_first=person == mother,
                        line=line,
                    )
                )
            line += 40
    return files


def students_zip(
    school_uai: str,
    families: int = 2,
    *,
    year: int = 2026,
    unknown_mef_for: str | None = None,
) -> tuple[str, bytes]:
    """A school's ``ElevesAvecAdresses`` as SIECLE serves it (name, zip), for the screens and
    commands that upload one; ``unknown_mef_for`` gives that student a MEF code no
    nomenclature knows (a refused record)."""
    files = school_files(families)
    if unknown_mef_for is not None:
        files.change_student(unknown_mef_for, mef_code="99999999999")
    header = FileHeader("BEE_ELEVES", "3.0", school_uai, year, date(year, 9, 10))
    data = students_bytes(header, files.students, files.options, files.structures, files.addresses)
    return zipped("ElevesAvecAdresses.xml", data)
