"""The generated school: deterministic, and shaped like a real one (families, guardians,
divisions and groups matching STS-WEB's, real codes)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from db.reference import read_communes, read_mefs, read_subjects
from exchanges.sample_school import sample_school

INE = re.compile(r"\d{10}[A-Z]|\d{9}[A-Z]{2}")


def test_the_same_seed_gives_the_same_school_and_another_seed_another() -> None:
    first = sample_school("0931234X", 2025, students=150, seed=7)
    assert sample_school("0931234X", 2025, students=150, seed=7) == first
    assert sample_school("0931234X", 2025, students=150, seed=8) != first


def test_a_generated_school_looks_like_a_real_one() -> None:
    school = sample_school("0931234X", 2025, students=600, seed=1)
    students = school.students
    assert len(students) == 600
    assert school.header.uai == "0931234X" and school.header.school_year == 2025

    ines = [s.ine or "" for s in students]
    assert all(INE.fullmatch(ine) for ine in ines)
    assert len(set(ines)) == len(ines)
    assert len({s.siecle_id for s in students}) == len(students)

    mefs = {row.code for row in read_mefs()}
    subjects = {row.code for row in read_subjects()}
    communes = {c.insee_code for c in read_communes()}
    assert {s.mef_code for s in students} <= mefs
    assert {o.subject_code for record in school.options for o in record.options} <= subjects
    for s in students:
        assert s.sex in ("M", "F") and s.birth_date is not None
        if s.birth_country_code == "100":
            assert s.birth_commune_code in communes
        else:
            assert s.birth_city
    assert any(s.birth_country_code != "100" for s in students)

    # Siblings share their address and their guardians.
    addresses = {a.siecle_id for a in school.student_addresses}
    assert {s.address_siecle_id for s in students} <= addresses
    by_address = Counter(s.address_siecle_id for s in students)
    assert max(by_address.values()) >= 2
    guardians_of: dict[str, set[str]] = defaultdict(set)
    for r in school.responsibilities:
        guardians_of[r.student_siecle_id].add(r.person_siecle_id)
    home_of = {s.siecle_id: s.address_siecle_id for s in students}
    siblings = defaultdict(list)
    for s in students:
        siblings[s.address_siecle_id].append(s.siecle_id)
    for family in siblings.values():
        assert len({frozenset(guardians_of[child]) for child in family}) == 1

    # Legal guardians 1 with kinship 10 and 20, one of them paying the fees; some level 2 and 3.
    persons = {p.siecle_id: p for p in school.persons}
    levels = Counter(r.level for r in school.responsibilities)
    assert levels[1] and levels[2] and levels[3]
    for student_id in home_of:
        links = [r for r in school.responsibilities if r.student_siecle_id == student_id]
        legal = [r for r in links if r.level == 1]
        assert 1 <= len(legal) <= 2
        assert {r.kinship_code for r in legal} <= {"10", "20"}
        assert sum(r.pays_fees for r in legal) == 1
        assert all(r.person_siecle_id in persons for r in links)
    assert any(p.phone_mobile for p in persons.values())
    assert any(p.email for p in persons.values())
    guardian_addresses = {a.siecle_id for a in school.guardian_addresses}
    assert {p.address_siecle_id for p in persons.values()} <= guardian_addresses

    # STRUCTURES match STS-WEB's divisions and groups; the services' teachers exist.
    divisions = {d.code: d for d in school.divisions}
    groups = {g.code: g for g in school.groups}
    teachers = {t.sts_id for t in school.teachers}
    for placed in school.structures:
        kinds = Counter(m.kind for m in placed.memberships)
        assert kinds["D"] == 1
        (division,) = [m.code for m in placed.memberships if m.kind == "D"]
        assert division in divisions
        for membership in placed.memberships:
            if membership.kind == "G":
                assert division in groups[membership.code].division_codes
    mef_of = {s.siecle_id: s.mef_code for s in students}
    for placed in school.structures:
        (division,) = [m.code for m in placed.memberships if m.kind == "D"]
        assert mef_of[placed.student_siecle_id] in divisions[division].mef_codes
    services = [s for d in school.divisions for s in d.services]
    services += [s for g in school.groups for s in g.services]
    assert services
    for service in services:
        assert service.subject_code in subjects
        assert set(service.teacher_ids) <= teachers
    assert {s.code for s in school.subjects} >= {
        service.subject_code for d in school.divisions for service in d.services
    }
