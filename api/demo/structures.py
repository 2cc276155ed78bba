"""Schools of the demo académie, their divisions and groups, profiles and staff accounts."""

from __future__ import annotations

from collections.abc import Iterable
from math import ceil
from typing import Any

from api.demo import data
from api.demo.model import Build, DemoAccount, DivisionPlan, SchoolPlan
from db.accounts import Role
from db.reference import Commune, read_communes
from db.schools import SchoolKind, uai_check_letter

DEPARTMENTS = ("077", "093", "094")
GROUP_LEVEL_LABELS = {
    "6": "6e",
    "5": "5e",
    "4": "4e",
    "3": "3e",
    "2": "2nde",
    "1": "1re",
    "T": "Tle",
}
DEMO_PASSWORD = "demo-sconet-2026"
LANDLINE_BLOCKS = ("41", "42", "43", "45", "48", "49", "60", "64")


def school_communes() -> list[Commune]:
    return [c for c in read_communes() if c.department in DEPARTMENTS]


def new_uai(build: Build, department: str) -> str:
    while True:
        digits = f"{department}{build.rng.randrange(10000):04d}"
        uai = digits + uai_check_letter(digits)
        if uai not in build.used_uais:
            build.used_uais.add(uai)
            return uai


def phone(build: Build, prefix: str) -> str:
    """A French number such as ``06 12 34 56 78`` (prefix 01 for a landline, 06/07 for a mobile)."""
    rng = build.rng
    second = rng.choice(LANDLINE_BLOCKS) if prefix == "01" else f"{rng.randrange(100):02d}"
    return " ".join([prefix, second, *(f"{rng.randrange(100):02d}" for _ in range(3))])


def street_address(build: Build) -> str:
    number = build.rng.randint(1, 160)
    suffix = build.rng.choice(("", "", "", "", "", "", "", "", "bis", "ter"))
    return f"{number}{' ' + suffix if suffix else ''} {build.rng.choice(data.STREETS)}"


def plan_schools(build: Build, scale: int) -> None:
    """N schools: about 60 % collèges (the first school is one), the others LGTs in the same towns."""
    rng = build.rng
    colleges = max(1, round(scale * 0.6))
    if scale >= 2 and colleges == scale:
        colleges -= 1
    communes = school_communes()
    rng.shuffle(communes)
    college_names = rng.sample(data.COLLEGE_NAMES, len(data.COLLEGE_NAMES))
    lycee_names = rng.sample(data.LYCEE_NAMES, len(data.LYCEE_NAMES))
    for index in range(scale):
        is_college = index < colleges
        if is_college:
            commune = communes[index % len(communes)]
            name = f"Collège {college_names[index % len(college_names)]}"
            kind = SchoolKind.COLLEGE
        else:
            lycee_index = index - colleges
            commune = communes[lycee_index % colleges % len(communes)]
            name = f"Lycée {lycee_names[lycee_index % len(lycee_names)]}"
            kind = SchoolKind.LGT
        uai = new_uai(build, commune.department)
        school = SchoolPlan(
            id=build.new_id("schools"),
            index=index,
            uai=uai,
            name=name,
            kind=kind,
            commune=commune,
            has_bts=not is_college and (index - colleges) % 2 == 0,
        )
        build.schools.append(school)
        build.add(
            "schools",
            id=school.id,
            academy_id=build.academy_id,
            uai=uai,
            kind=kind,
            name=name,
            address_line=street_address(build),
            postal_code=commune.postal_code,
            city=commune.name,
            phone=phone(build, "01"),
            email=f"ce.{uai.lower()}@ac-creteil.example",
            created_at=build.now,
            updated_at=build.now,
        )


def add_division(
    build: Build, school: SchoolPlan, year_id: int, mef_code: str, number: int, planned: int
) -> DivisionPlan:
    level = data.LEVELS[mef_code]
    code = f"{level.prefix}{number:02d}" if level.two_digits else f"{level.prefix}{number}"
    division = DivisionPlan(
        id=build.new_id("divisions"), school=school, code=code, mef_code=mef_code, planned=planned
    )
    build.add(
        "divisions",
        id=division.id,
        school_id=school.id,
        school_year_id=year_id,
        code=code,
        label=f"{level.label} {number}",
        planned_headcount=planned,
        created_at=build.now,
        updated_at=build.now,
    )
    build.add("division_mefs", division_id=division.id, mef_id=build.mef_id(mef_code))
    school.mef_codes.add(mef_code)
    return division


def _lycee_levels(build: Build, school: SchoolPlan) -> list[tuple[str, int]]:
    rng = build.rng
    seconde = rng.randint(8, 10)
    premiere = max(6, seconde - rng.randint(1, 2))
    terminale = max(4, premiere + rng.choice((-1, 0)))
    ts_si = 1 if terminale >= 6 and rng.random() < 0.5 else 0
    ts_svt = max(1, round(terminale * 0.5))
    tes = max(1, terminale - ts_svt - ts_si)
    levels = [
        (data.MEF_2GT, seconde),
        (data.MEF_1G, premiere),
        (data.MEF_1STMG, rng.randint(1, 2)),
        (data.MEF_TS_SVT, ts_svt),
        (data.MEF_TS_SI, ts_si),
        (data.MEF_TES, tes),
        (data.MEF_TSTMG, rng.randint(1, 2)),
    ]
    if school.has_bts:
        levels += [(data.MEF_1BTS_MCO, 1), (data.MEF_2BTS_MUC, 1)]
    return levels


def plan_divisions(build: Build, school: SchoolPlan) -> None:
    """The school's divisions for the current year, one MEF each."""
    rng = build.rng
    if school.kind is SchoolKind.COLLEGE:
        base = rng.choice((5, 5, 6, 6))
        levels = [
            (mef, min(6, max(4, base + rng.choice((-1, 0, 0, 1)))))
            for mef in (data.MEF_6EME, data.MEF_5EME, data.MEF_4EME, data.MEF_3EME)
        ]
    else:
        levels = _lycee_levels(build, school)
    for mef_code, count in levels:
        for number in range(1, count + 1):
            bts = mef_code in (data.MEF_1BTS_MCO, data.MEF_2BTS_MUC)
            planned = rng.randint(24, 30) if bts else rng.randint(26, 30)
            school.divisions.append(
                add_division(build, school, build.current_year_id, mef_code, number, planned)
            )


def place_previous_year(build: Build) -> None:
    """Create last year's divisions where the schooling history needs them and seat those students."""
    rng = build.rng
    by_school = {school.id: school for school in build.schools}
    for (school_id, mef_code), rows in build.previous.items():
        school = by_school[school_id]
        count = max(1, ceil(len(rows) / 30))
        divisions = [
            add_division(build, school, build.previous_year_id, mef_code, n, rng.randint(26, 30))
            for n in range(1, count + 1)
        ]
        rng.shuffle(rows)
        for i, row in enumerate(rows):
            row["division_id"] = divisions[i % count].id


def _add_groups(
    build: Build,
    school: SchoolPlan,
    level_key: str,
    stem: str,
    label: str,
    subject_code: str,
    members: list[tuple[int, int]],
) -> None:
    """Groups of at most 30 for the (enrolment, division) pairs, split in division order."""
    if not members:
        return
    members = sorted(members, key=lambda m: (m[1], m[0]))
    count = ceil(len(members) / 30)
    size = ceil(len(members) / count)
    for n in range(count):
        chunk = members[n * size : (n + 1) * size]
        letter = "ABCDEFGHIJKLMNOP"[n]
        group_id = build.new_id("groups")
        build.add(
            "groups",
            id=group_id,
            school_id=school.id,
            school_year_id=build.current_year_id,
            code=f"{level_key}{stem}{letter}",
            label=f"{label} {GROUP_LEVEL_LABELS[level_key]} {letter}",
            subject_id=build.subject_id(subject_code),
            created_at=build.now,
            updated_at=build.now,
        )
        for division_id in sorted({division_id for _, division_id in chunk}):
            build.add("group_divisions", group_id=group_id, division_id=division_id)
        for enrollment_id, _ in chunk:
            build.add("enrollment_groups", enrollment_id=enrollment_id, group_id=group_id)


def plan_groups(build: Build, school: SchoolPlan) -> None:
    """LV2 groups, options and (1re générale) specialities across the divisions of each level."""
    rng = build.rng
    by_level: dict[str, list[tuple[int, int, str]]] = {}
    for division in school.divisions:
        key = data.LEVELS[division.mef_code].group_level
        if key is None:
            continue
        for enrollment_id in school.members.get(division.id, []):
            by_level.setdefault(key, []).append((enrollment_id, division.id, division.mef_code))
    for key, entries in by_level.items():
        pairs = [(e, d) for e, d, _ in entries]
        if key == "6":
            bilingual = [p for p in pairs if rng.random() < 0.12]
            _add_groups(
                build, school, key, "BIL", "Allemand LV1 bilangue", data.ALLEMAND_LV1, bilingual
            )
            continue
        spanish: list[tuple[int, int]] = []
        german: list[tuple[int, int]] = []
        for pair in pairs:
            (spanish if rng.random() < 0.7 else german).append(pair)
        _add_groups(build, school, key, "ESP", "Espagnol LV2", data.ESPAGNOL_LV2, spanish)
        _add_groups(build, school, key, "ALL", "Allemand LV2", data.ALLEMAND_LV2, german)
        if key in ("5", "4", "3"):
            latin = [p for p in pairs if rng.random() < 0.15]
            _add_groups(build, school, key, "LAT", "Latin", data.LATIN, latin)
        elif key == "2":
            options: dict[str, list[tuple[int, int]]] = {"LAT": [], "THE": [], "CIN": []}
            for pair in pairs:
                r = rng.random()
                if r < 0.06:
                    options["LAT"].append(pair)
                elif r < 0.14:
                    options["THE"].append(pair)
                elif r < 0.20:
                    options["CIN"].append(pair)
            _add_groups(build, school, key, "LAT", "Latin", data.LATIN, options["LAT"])
            _add_groups(build, school, key, "THE", "Théâtre", data.THEATRE, options["THE"])
            _add_groups(
                build, school, key, "CIN", "Cinéma-audiovisuel", data.CINEMA, options["CIN"]
            )
        elif key == "1":
            chosen: dict[str, list[tuple[int, int]]] = {s[1]: [] for s in data.SPECIALITIES}
            for enrollment_id, division_id, mef_code in entries:
                if mef_code != data.MEF_1G:
                    continue
                for stem in _pick_specialities(build):
                    chosen[stem].append((enrollment_id, division_id))
            for subject, stem, label, _ in data.SPECIALITIES:
                _add_groups(build, school, key, stem, f"Spécialité {label}", subject, chosen[stem])


def _pick_specialities(build: Build) -> list[str]:
    """Three distinct specialities, drawn by weight."""
    pool = [(stem, weight) for _, stem, _, weight in data.SPECIALITIES]
    picked: list[str] = []
    for _ in range(3):
        total = sum(w for _, w in pool)
        r = build.rng.random() * total
        for i, (stem, weight) in enumerate(pool):
            r -= weight
            if r <= 0 or i == len(pool) - 1:
                picked.append(stem)
                pool.pop(i)
                break
    return picked


def profile_schools(build: Build) -> None:
    """Each school profiles the MEFs it uses and the subjects it teaches, the same for last
    year and this one."""
    for school in build.schools:
        mefs = set(school.mef_codes)
        if school.kind is SchoolKind.COLLEGE:
            subjects: Iterable[str] = data.COLLEGE_SUBJECTS
        else:
            subjects = data.LYCEE_SUBJECTS + (data.BTS_SUBJECTS if school.has_bts else ())
        for year_id in (build.previous_year_id, build.current_year_id):
            for mef in sorted(mefs):
                build.add(
                    "school_mefs",
                    school_id=school.id,
                    school_year_id=year_id,
                    mef_id=build.mef_id(mef),
                )
            for subject in sorted(set(subjects)):
                build.add(
                    "school_subjects",
                    school_id=school.id,
                    school_year_id=year_id,
                    subject_id=build.subject_id(subject),
                )


def _person(build: Build) -> str:
    origin = build.rng.choices(data.ORIGINS, weights=[o.weight for o in data.ORIGINS])[0]
    woman = build.rng.random() < 0.6
    first = build.rng.choice(origin.women if woman else origin.men)
    return f"{'Mme' if woman else 'M.'} {first} {build.rng.choice(origin.surnames)}"


def plan_accounts(build: Build, password_hash: str) -> None:
    """One account per role in the first school, rectorat and académie administrator accounts, a principal per other
    school."""
    first = build.schools[0]
    wanted: list[tuple[str, Role, SchoolPlan | None]] = [
        ("demo.principal", Role.PRINCIPAL, first),
        ("demo.secretariat", Role.REGISTRAR, first),
        ("demo.cpe", Role.CPE, first),
        ("demo.enseignant", Role.TEACHER, first),
        ("demo.gestionnaire", Role.BURSAR, first),
        ("demo.rectorat", Role.RECTORAT, None),
        ("demo.admin", Role.ACADEMY_ADMIN, None),
    ]
    wanted += [(f"principal.{s.uai.lower()}", Role.PRINCIPAL, s) for s in build.schools[1:]]
    for login, role, school in wanted:
        user_id = build.new_id("staff_users")
        display_name = _person(build)
        build.add(
            "staff_users",
            id=user_id,
            academy_id=build.academy_id,
            login=login,
            display_name=display_name,
            email=f"{login}@ac-creteil.example",
            password_hash=password_hash,
            is_active=True,
            created_at=build.now,
            updated_at=build.now,
        )
        build.add(
            "role_grants",
            id=build.new_id("role_grants"),
            user_id=user_id,
            school_id=school.id if school else None,
            role=role,
        )
        build.accounts.append(
            DemoAccount(
                login=login,
                password=DEMO_PASSWORD,
                role=role.value,
                school_uai=school.uai if school else None,
                display_name=display_name,
            )
        )
        if role is Role.TEACHER and school is not None:
            _teaching(build, school, user_id)


def _teaching(build: Build, school: SchoolPlan, user_id: int) -> None:
    """The demo teacher teaches French to three divisions and Latin to a group there."""
    fives = [d for d in school.divisions if d.mef_code == data.MEF_5EME][:2]
    threes = [d for d in school.divisions if d.mef_code == data.MEF_3EME][:1]
    divisions = fives + threes or school.divisions[:3]
    french = build.subject_id(data.FRANCAIS)
    for division in divisions:
        _assignment(build, school, user_id, french, division_id=division.id)
    division_ids = {d.id for d in divisions}
    linked = {
        row["group_id"]
        for row in build.rows["group_divisions"]
        if row["division_id"] in division_ids
    }
    groups = [g for g in build.rows["groups"] if g["school_id"] == school.id and g["id"] in linked]
    latin = [g for g in groups if g["subject_id"] == build.subject_id(data.LATIN)]
    if latin or groups:
        group = (latin or groups)[0]
        _assignment(build, school, user_id, group["subject_id"], group_id=group["id"])


def _assignment(
    build: Build, school: SchoolPlan, user_id: int, subject_id: int, **target: Any
) -> None:
    build.add(
        "teaching_assignments",
        id=build.new_id("teaching_assignments"),
        school_id=school.id,
        user_id=user_id,
        division_id=target.get("division_id"),
        group_id=target.get("group_id"),
        subject_id=subject_id,
    )
