"""A realistic collège in the records of the exchange formats, for tests and the benchmark.

``sample_school("0931234X", 2025, students=1500, seed=1)`` gives the same school every time for
the same arguments: families of one to three children sharing an address and their guardians
(a mother and a father for most, legal representatives with kinship 10 and 20, one of them
paying the fees; some single parents, some with a grandparent in charge or a neighbour to
contact), students of 6e to 3e in divisions of about 28 with their options (LV1, LV2, Latin)
and the LV2 and Latin groups they sit in, and STS-WEB's divisions, groups and teachers
matching. MEF and subject codes come from ``db/reference`` (real SIECLE codes), birthplaces and
addresses from its communes; a few students are born abroad, and a few names need character
references in ISO-8859-15.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from db.reference import Commune, read_communes, read_mefs, read_subjects
from exchanges.records import (
    AddressRecord,
    DivisionRecord,
    FileHeader,
    GroupRecord,
    MefRecord,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ResponsibilityRecord,
    ServiceRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
    SubjectRecord,
    TeacherRecord,
)

DIVISION_SIZE = 28
# The collège's four levels: (level prefix of the division codes, MEF code).
LEVELS = (("6", "10010012110"), ("5", "10110001110"), ("4", "10210001110"), ("3", "10310019110"))
# Every division's services: subject code and weekly share of a teacher's load (teachers of a
# subject take about this many divisions each).
CORE_SUBJECTS = {
    "020700": 4,  # français
    "061300": 4,  # mathématiques
    "030201": 5,  # anglais LV1
    "043700": 5,  # histoire-géographie
    "062900": 7,  # SVT
    "062300": 7,  # physique-chimie
    "100100": 6,  # EPS
    "090100": 9,  # arts plastiques
}
SPANISH_LV2 = "030602"
GERMAN_LV2 = "030102"
LATIN = "020300"
ENGLISH_LV1 = "030201"
GROUP_SPAN = 3  # an LV2 or Latin group gathers the students of three divisions
REGIMES = ("2", "2", "2", "0", "3")  # demi-pensionnaires mostly, some externes, a few internes
ABROAD = (("350", "CASABLANCA"), ("352", "ALGER"), ("134", "MADRID"), ("139", "PORTO"))

FAMILY_NAMES = (
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
    "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
    "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRE", "MERCIER", "DUPONT", "LAMBERT", "BONNET",
    "FRANCOIS", "MARTINEZ", "LEGRAND", "GARNIER", "FAURE", "ROUSSEL", "BLANC", "GUERIN", "MULLER",
    "HENRY", "ROUSSEAU", "NICOLAS", "PERRIN", "MORIN", "MATHIEU", "CLEMENT", "GAUTHIER", "DIALLO",
    "TRAORE", "BENALI", "HADDAD", "NGUYEN", "DA SILVA", "FERREIRA", "LÉVÊQUE", "CÔTÉ", "N'DIAYE",
    "KOWALSKI", "NGUYỄN", "ØSTERGAARD",
)  # fmt: skip
GIRLS = (
    "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Mila", "Inès",
    "Ambre", "Julia", "Mia", "Léna", "Manon", "Zoé", "Camille", "Sarah", "Lou", "Aïcha", "Maëlys",
    "Yasmine", "Agnieszka", "Thảo",
)  # fmt: skip
BOYS = (
    "Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Lucas", "Adam", "Jules", "Hugo", "Maël",
    "Liam", "Noah", "Paul", "Ethan", "Nathan", "Sacha", "Tom", "Mohamed", "Aaron", "Théo",
    "Noé", "Ibrahim", "Youssef", "Łukasz", "Mamadou",
)  # fmt: skip
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "allée des Tilleuls",
    "boulevard Gambetta", "rue Pasteur", "place de la Mairie", "rue du Général de Gaulle",
    "chemin des Vignes", "rue Émile Zola", "avenue Paul Vaillant-Couturier", "rue des Écoles",
)  # fmt: skip
PROFESSIONS = ("10", "21", "23", "31", "33", "37", "38", "43", "46", "48", "52", "54", "56", "62", "69", "73", "81", "84")  # fmt: skip


@dataclass(frozen=True)
class SampleSchool:
    """A school in the records the exchange files carry, section by section."""

    header: FileHeader
    mefs: tuple[MefRecord, ...]
    subjects: tuple[SubjectRecord, ...]
    students: tuple[StudentRecord, ...]
    options: tuple[StudentOptionsRecord, ...]
    structures: tuple[StudentStructuresRecord, ...]
    student_addresses: tuple[AddressRecord, ...]
    persons: tuple[PersonRecord, ...]
    responsibilities: tuple[ResponsibilityRecord, ...]
    guardian_addresses: tuple[AddressRecord, ...]
    divisions: tuple[DivisionRecord, ...]
    groups: tuple[GroupRecord, ...]
    teachers: tuple[TeacherRecord, ...]


def division_code(level: str, index: int) -> str:
    """6A, 6B... 6Z, then 6A1, 6B1... for a school of more than 26 divisions a level."""
    letter = string.ascii_uppercase[index % 26]
    return f"{level}{letter}{index // 26 or ''}"


class _Ids:
    def __init__(self, start: int) -> None:
        self._next = start

    def __call__(self) -> str:
        self._next += 1
        return str(self._next)


def _ine(rng: random.Random, taken: set[str]) -> str:
    """An INE in one of its two shapes: 10 digits and a letter (INE-RNIE, BEA) or 9 digits
    and two letters (INE-BEA of the older base), never one already given."""
    while True:
        if rng.random() < 0.7:
            value = f"{rng.randrange(10**10):010d}{rng.choice(string.ascii_uppercase)}"
        else:
            letters = "".join(rng.choices(string.ascii_uppercase, k=2))
            value = f"{rng.randrange(10**9):09d}{letters}"
        if value not in taken:
            taken.add(value)
            return value


def _phone(rng: random.Random, mobile: bool) -> str:
    first = rng.choice("67") if mobile else rng.choice("1234")
    return f"+33{first}{rng.randrange(10**8):08d}"


def _email(rng: random.Random, first_name: str, family_name: str) -> str:
    def plain(text: str) -> str:
        return "".join(c for c in text.lower() if c in string.ascii_lowercase) or "famille"

    domain = rng.choice(("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"))
    return f"{plain(first_name)}.{plain(family_name)}{rng.randrange(100)}@{domain}"


def _address(rng: random.Random, ids: _Ids, commune: Commune) -> AddressRecord:
    return AddressRecord(
        siecle_id=ids(),
        line1=f"{rng.randrange(1, 180)} {rng.choice(STREETS)}",
        line2=rng.choice((None, None, None, f"Bâtiment {rng.choice('ABCD')}")),
        postal_code=commune.postal_code,
        commune_code=commune.insee_code,
        city=commune.name.upper(),
        country_code="100",
    )


def _birth_date(rng: random.Random, year: int, age: int) -> date:
    start = date(year - age, 1, 1)
    return start + timedelta(days=rng.randrange(365))


def sample_school(uai: str, year: int, students: int = 1500, seed: int = 0) -> SampleSchool:
    rng = random.Random(f"{uai}-{year}-{students}-{seed}")
    communes = read_communes()
    local = [c for c in communes if c.department in ("093", "094", "077")] or list(communes)
    mef_rows = {row.code: row for row in read_mefs()}
    subject_rows = {row.code: row for row in read_subjects()}

    # Structure: divisions per level, groups of LV2 and Latin spanning three divisions.
    per_level = max(1, math.ceil(students / len(LEVELS) / DIVISION_SIZE))
    division_codes = {
        level: [division_code(level, i) for i in range(per_level)] for level, _ in LEVELS
    }

    # Teachers: a pool per subject, each division's service given to the next teacher in turn.
    teacher_ids = _Ids(20000)
    teachers: list[TeacherRecord] = []
    pools: dict[str, list[str]] = {}
    discipline_codes = [*CORE_SUBJECTS, SPANISH_LV2, GERMAN_LV2, LATIN]
    for code in discipline_codes:
        share = CORE_SUBJECTS.get(code, 6)
        needed = max(1, math.ceil(per_level * len(LEVELS) / share))
        pools[code] = []
        for _ in range(needed):
            female = rng.random() < 0.6
            family_name = rng.choice(FAMILY_NAMES)
            first_name = rng.choice(GIRLS if female else BOYS)
            teacher = TeacherRecord(
                sts_id=teacher_ids(),
                kind="epp",
                civility="Mme" if female else "M.",
                family_name=family_name,
                first_name=first_name,
                email=_email(rng, first_name, family_name).split("@")[0] + "@ac-creteil.fr",
                discipline_codes=(code,),
            )
            teachers.append(teacher)
            pools[code].append(teacher.sts_id)
    turns = {code: 0 for code in pools}

    def teacher_for(code: str) -> str:
        pool = pools[code]
        teacher = pool[turns[code] % len(pool)]
        turns[code] += 1
        return teacher

    divisions: list[DivisionRecord] = []
    groups: list[GroupRecord] = []
    group_of: dict[tuple[str, str], str] = {}  # (division, subject) -> group code
    for level, mef in LEVELS:
        codes = division_codes[level]
        for code in codes:
            divisions.append(
                DivisionRecord(
                    code=code,
                    label=f"{level}E {code[len(level) :]}",
                    planned_headcount=DIVISION_SIZE,
                    mef_codes=(mef,),
                    services=tuple(
                        ServiceRecord(subject, (teacher_for(subject),)) for subject in CORE_SUBJECTS
                    ),
                )
            )
        grouped = [LATIN] if level == "6" else [SPANISH_LV2, GERMAN_LV2, LATIN]
        for start in range(0, len(codes), GROUP_SPAN):
            span = tuple(codes[start : start + GROUP_SPAN])
            for subject in grouped:
                management = (
                    subject_rows[subject].management_code if subject in subject_rows else subject
                )
                code = f"{level}{management}{start // GROUP_SPAN + 1}"
                groups.append(
                    GroupRecord(
                        code=code,
                        label=f"{level}E {subject_rows[subject].short_label if subject in subject_rows else subject} {start // GROUP_SPAN + 1}",
                        division_codes=span,
                        services=(ServiceRecord(subject, (teacher_for(subject),)),),
                    )
                )
                for division in span:
                    group_of[(division, subject)] = code

    # Families and students.
    student_ids = _Ids(1_000_000)
    person_ids = _Ids(500_000)
    address_ids = _Ids(2_000_000)
    taken_ines: set[str] = set()
    student_records: list[StudentRecord] = []
    option_records: list[StudentOptionsRecord] = []
    structure_records: list[StudentStructuresRecord] = []
    student_addresses: list[AddressRecord] = []
    persons: list[PersonRecord] = []
    responsibilities: list[ResponsibilityRecord] = []
    guardian_addresses: list[AddressRecord] = []
    seats = {level: 0 for level, _ in LEVELS}

    def place(level: str) -> str:
        codes = division_codes[level]
        code = codes[seats[level] % len(codes)]
        seats[level] += 1
        return code

    def guardian(
        family_name: str, female: bool, address: AddressRecord, *, others_address: bool = False
    ) -> PersonRecord:
        first_name = rng.choice(GIRLS if female else BOYS)
        mobile = _phone(rng, True)
        return PersonRecord(
            siecle_id=person_ids(),
            civility="Mme" if female else "M.",
            family_name=family_name,
            usage_name=None,
            first_name=first_name,
            phone_home=_phone(rng, False) if rng.random() < 0.4 else None,
            phone_mobile=mobile,
            phone_work=_phone(rng, False) if rng.random() < 0.2 else None,
            email=_email(rng, first_name, family_name) if rng.random() < 0.85 else None,
            accepts_sms=rng.random() < 0.8,
            profession_code=rng.choice(PROFESSIONS),
            address_siecle_id=address.siecle_id,
        )

    made = 0
    while made < students:
        children = min(students - made, rng.choice((1, 1, 1, 2, 2, 3)))
        family_name = rng.choice(FAMILY_NAMES)
        home = _address(rng, address_ids, rng.choice(local))
        student_addresses.append(home)
        guardian_addresses.append(home)
        shape = rng.random()
        # (person, level, kinship, pays fees, lives with the children)
        links: list[tuple[PersonRecord, int, str, bool, bool]] = []
        mother = guardian(family_name, True, home)
        persons.append(mother)
        if shape < 0.8:
            father = guardian(family_name, False, home)
            persons.append(father)
            payer = rng.random() < 0.5
            links += [(mother, 1, "10", payer, True), (father, 1, "20", not payer, True)]
        elif shape < 0.9:
            # Separated parents: the father lives elsewhere.
            elsewhere = _address(rng, address_ids, rng.choice(local))
            guardian_addresses.append(elsewhere)
            father = guardian(rng.choice(FAMILY_NAMES), False, elsewhere)
            persons.append(father)
            links += [(mother, 1, "10", True, True), (father, 1, "20", False, False)]
        else:
            links += [(mother, 1, "10", True, True)]
        if rng.random() < 0.1:
            grandparent = guardian(family_name, rng.random() < 0.7, home)
            persons.append(grandparent)
            links.append((grandparent, 2, "38", False, True))
        if rng.random() < 0.15:
            contact_address = _address(rng, address_ids, rng.choice(local))
            guardian_addresses.append(contact_address)
            contact = guardian(rng.choice(FAMILY_NAMES), rng.random() < 0.5, contact_address)
            persons.append(contact)
            links.append((contact, 3, "90", False, False))

        levels = rng.sample(range(len(LEVELS)), k=min(children, len(LEVELS)))
        for child_index in range(children):
            level_index = levels[child_index % len(levels)]
            level, mef = LEVELS[level_index]
            age = mef_rows[mef].typical_age or 11 + level_index
            female = rng.random() < 0.5
            repeating = rng.random() < 0.03
            born_abroad = rng.random() < 0.06
            country, city = rng.choice(ABROAD) if born_abroad else ("100", None)
            birthplace = None if born_abroad else rng.choice(communes)
            siecle_id = student_ids()
            division = place(level)
            previous_mef = LEVELS[level_index - 1][1] if level_index > 0 else None
            student_records.append(
                StudentRecord(
                    siecle_id=siecle_id,
                    elenoet=str(int(siecle_id) - 1_000_000 + 1000),
                    ine=_ine(rng, taken_ines),
                    family_name=family_name,
                    usage_name=None,
                    first_name=rng.choice(GIRLS if female else BOYS),
                    first_name_2=rng.choice(GIRLS if female else BOYS)
                    if rng.random() < 0.5
                    else None,
                    first_name_3=None,
                    sex="F" if female else "M",
                    birth_date=_birth_date(rng, year, age + (1 if repeating else 0)),
                    birth_commune_code=birthplace.insee_code if birthplace else None,
                    birth_department_code=birthplace.department if birthplace else None,
                    birth_city=city,
                    birth_country_code=country,
                    nationality_code="100" if not born_abroad or rng.random() < 0.5 else country,
                    mef_code=mef,
                    regime_code=rng.choice(REGIMES),
                    status_code="ST",
                    repeating=repeating,
                    entry_date=date(year, 9, 1)
                    if level_index == 0
                    else date(year - level_index, 9, 1),
                    exit_date=None,
                    exit_motive_code=None,
                    accepts_sms=False,
                    address_siecle_id=home.siecle_id,
                    previous=PreviousSchoolingRecord(
                        mef_code=previous_mef,
                        division_code=division_code(
                            LEVELS[level_index - 1][0], rng.randrange(per_level)
                        )
                        if previous_mef
                        else None,
                        uai=uai if previous_mef else None,
                        name=None if previous_mef else "ECOLE ELEMENTAIRE JULES FERRY",
                        commune_code=home.commune_code,
                    ),
                )
            )
            options = [OptionRecord(1, "O", ENGLISH_LV1)]
            memberships = [MembershipRecord(division, "D")]
            if level != "6":
                lv2 = SPANISH_LV2 if rng.random() < 0.7 else GERMAN_LV2
                options.append(OptionRecord(2, "O", lv2))
                memberships.append(MembershipRecord(group_of[(division, lv2)], "G"))
            if rng.random() < 0.2:
                options.append(OptionRecord(len(options) + 1, "F", LATIN))
                memberships.append(MembershipRecord(group_of[(division, LATIN)], "G"))
            option_records.append(StudentOptionsRecord(siecle_id, tuple(options)))
            structure_records.append(StudentStructuresRecord(siecle_id, tuple(memberships)))
            for person, responsibility_level, kinship, pays, lives_with in links:
                responsibilities.append(
                    ResponsibilityRecord(
                        student_siecle_id=siecle_id,
                        person_siecle_id=person.siecle_id,
                        level=responsibility_level,
                        kinship_code=kinship,
                        pays_fees=pays,
                        receives_aid=pays and rng.random() < 0.3,
                        lives_with=lives_with,
                        contact_first=responsibility_level == 1 and kinship == "10",
                    )
                )
        made += children

    used_subjects = sorted({*discipline_codes})
    return SampleSchool(
        header=FileHeader(
            root="BEE_ELEVES", version="3.0", uai=uai, school_year=year, exported_on=None
        ),
        mefs=tuple(
            MefRecord(
                code=mef,
                formation=mef_rows[mef].short_label,
                long_label=mef_rows[mef].long_label,
                edition_label=mef_rows[mef].edition_label,
                attachment_code=mef,
                statistics_code=None,
                opens_on=None,
                closes_on=None,
            )
            for _, mef in LEVELS
        ),
        subjects=tuple(
            SubjectRecord(
                code=code,
                management_code=subject_rows[code].management_code,
                short_label=subject_rows[code].short_label,
                long_label=subject_rows[code].long_label,
                edition_label=None,
            )
            for code in used_subjects
            if code in subject_rows
        ),
        students=tuple(student_records),
        options=tuple(option_records),
        structures=tuple(structure_records),
        student_addresses=tuple(student_addresses),
        persons=tuple(persons),
        responsibilities=tuple(responsibilities),
        guardian_addresses=tuple(_unique(guardian_addresses)),
        divisions=tuple(divisions),
        groups=tuple(groups),
        teachers=tuple(teachers),
    )


def _unique(addresses: list[AddressRecord]) -> Iterator[AddressRecord]:
    seen: set[str] = set()
    for address in addresses:
        if address.siecle_id not in seen:
            seen.add(address.siecle_id)
            yield address
