"""A school's data read as exchange records: what the SIECLE and STS-WEB exports write."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from api.auth.principal import PermissionDenied
from api.resolvers.exchanges.school_records import (
    guardians_records,
    structures_records,
    students_records,
)
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentOption
from db.students import Student
from tests.world import World


async def test_students_of_the_school_with_division_groups_and_options(
    sessionmaker, world: World
) -> None:
    async with sessionmaker() as session:
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(
            update(Student).where(Student.id == world.students["lina"]).values(siecle_id="1826500")
        )
        await session.execute(
            update(Enrollment)
            .where(Enrollment.id == world.enrollments["noah"])
            .values(exit_date=date(2027, 2, 1), exit_motive_code="40", regime_code="2")
        )
        session.add(
            EnrollmentOption(
                enrollment_id=world.enrollments["lina"],
                subject_id=world.subject,
                rank=1,
                election_modality="O",
            )
        )
        await session.commit()
    principal = await world.principal(sessionmaker, "registrar_a")
    async with sessionmaker() as session:
        records = await students_records(session, principal, world.school_a, world.year_id)
    by_name = {r.first_name: r for r in records.students}
    assert set(by_name) == {"Lina", "Noah", "Éloïse"}
    lina, noah = by_name["Lina"], by_name["Noah"]
    assert lina.siecle_id == "1826500"
    assert noah.siecle_id == f"S{world.students['noah']}"
    assert (lina.ine, lina.sex, lina.birth_date) == ("1234567890A", "F", date(2015, 3, 14))
    assert lina.birth_commune_code == "93048" and lina.birth_department_code == "093"
    assert lina.exit_date is None and lina.mef_code == "10010012110"
    assert (noah.exit_date, noah.exit_motive_code, noah.regime_code) == (
        date(2027, 2, 1),
        "40",
        "2",
    )
    structures = {s.student_siecle_id: s.memberships for s in records.structures}
    assert [(m.code, m.kind) for m in structures["1826500"]] == [("6A", "D"), ("ESP2", "G")]
    options = {o.student_siecle_id: o.options for o in records.options}
    assert [(o.rank, o.election_modality, o.subject_code) for o in options["1826500"]] == [
        (1, "O", "030201")
    ]


async def test_guardians_once_each_with_every_responsibility(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session:
        records = await guardians_records(session, principal, world.school_a, world.year_id)
    ids = [p.siecle_id for p in records.persons]
    # The mother of Lina and Noah is one person; Jade's link (school B) is not exported.
    assert len(ids) == len(set(ids)) == 3
    mother = f"S{world.guardians['mother']}"
    lina = f"S{world.students['lina']}"
    pairs = {(r.student_siecle_id, r.person_siecle_id): r for r in records.responsibilities}
    assert len(pairs) == 4
    assert pairs[(lina, mother)].kinship_code == "10" and pairs[(lina, mother)].level == 1
    assert not any(r.student_siecle_id == f"S{world.students['jade']}" for r in pairs.values())


async def test_structures_with_services_and_teachers(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session:
        records = await structures_records(session, principal, world.school_a, world.year_id)
    divisions = {d.code: d for d in records.divisions}
    assert set(divisions) == {"6A", "6B"}
    assert divisions["6A"].planned_headcount == 28
    assert divisions["6A"].mef_codes == ("10010012110",)
    teacher = f"S{world.users['teacher_a']}"
    assert [(s.subject_code, s.teacher_ids) for s in divisions["6A"].services] == [
        ("030201", (teacher,))
    ]
    assert [(g.code, g.division_codes) for g in records.groups] == [("ESP2", ("6A", "6B"))]
    assert [t.sts_id for t in records.teachers] == [teacher]


@pytest.mark.parametrize("login", ["teacher_a", "principal_b"])
async def test_only_who_may_export_the_school(sessionmaker, world: World, login: str) -> None:
    principal = await world.principal(sessionmaker, login)
    async with sessionmaker() as session:
        with pytest.raises(PermissionDenied):
            await students_records(session, principal, world.school_a, world.year_id)
