"""Students and guardians from SIECLE: a plan of what the records would change, applied in
one transaction; the same records again change nothing; each refusal names its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, select

from api.auth.principal import PermissionDenied
from api.resolvers.exchanges.siecle import (
    Action,
    Counts,
    Entity,
    ImportPlan,
    apply_plan,
    plan_guardians_import,
    plan_students_import,
)
from api.resolvers.exchanges.siecle import plan as plan_module
from api.resolvers.nomenclatures import regime_kind as regime_of_code
from core.errors import NotFound, StaleVersion
from db.addresses import Address
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment, EnrollmentGroup, EnrollmentOption, ExitReason, Regime
from db.guardians import Guardian, GuardianLink, Relationship
from db.nomenclatures import Mef, SchoolMef
from db.students import IneConflict, Sex, Student
from exchanges.records import MembershipRecord, StudentStructuresRecord
from tests.api.exchanges.siecle.files import SiecleFiles, school_files


async def _import(
    sessionmaker: Any, principal: Any, world: Any, files: SiecleFiles, school: int | None = None
) -> tuple[ImportPlan, ImportPlan]:
    school_id = school or world.school_a
    async with sessionmaker() as session, session.begin():
        students = await plan_students_import(
            session, principal, school_id, world.year_id, iter(files.students_file())
        )
        await apply_plan(session, principal, students)
    async with sessionmaker() as session, session.begin():
        guardians = await plan_guardians_import(
            session, principal, school_id, world.year_id, iter(files.guardians_file())
        )
        await apply_plan(session, principal, guardians)
    return students, guardians


def _problems(plan: ImportPlan) -> set[tuple[str, str | None, str | None]]:
    return {(p.element, p.record_id, p.field) for p in plan.refused}


async def test_a_first_import_creates_students_guardians_and_shared_addresses(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(5)
    students, guardians = await _import(sessionmaker, principal, world, files)

    assert students.refused == [] and students.reported == []
    counts = students.counts()
    assert counts[Entity.STUDENT] == Counts(created=10)
    assert counts[Entity.ENROLLMENT] == Counts(created=10)
    assert counts[Entity.ADDRESS] == Counts(created=5)
    assert counts[Entity.ENROLLMENT_OPTION] == Counts(created=5)
    assert counts[Entity.ENROLLMENT_GROUP] == Counts(created=5)
    assert guardians.refused == [] and guardians.reported == []
    assert guardians.counts()[Entity.GUARDIAN] == Counts(created=10)
    assert guardians.counts()[Entity.GUARDIAN_LINK] == Counts(created=20)
    # The family's address was written by the students' file: the guardians' file reuses it.
    assert guardians.counts()[Entity.ADDRESS] == Counts(unchanged=5)

    async with sessionmaker() as session:
        adam = await session.scalar(select(Student).where(Student.siecle_id == "1000"))
        assert adam is not None
        assert (adam.family_name, adam.first_name, adam.sex, adam.ine) == (
            "DURAND",
            "Adam",
            Sex.M,
            "0010000000K",
        )
        assert (adam.birth_commune_code, adam.birth_city) == ("93048", "Montreuil")
        enrollment = await session.scalar(
            select(Enrollment).where(Enrollment.student_id == adam.id)
        )
        assert enrollment is not None
        assert (enrollment.school_id, enrollment.school_year_id) == (world.school_a, world.year_id)
        assert (enrollment.regime, enrollment.regime_code) == (Regime.DEMI_PENSIONNAIRE, "2")
        assert (enrollment.elenoet, enrollment.status_code, enrollment.division_id) == (
            "51000",
            "ST",
            world.division_a1,
        )
        assert (
            enrollment.previous_school_uai,
            enrollment.previous_mef_code,
            enrollment.previous_division_code,
        ) == ("0930100A", "21111111110", "CM2B")
        assert (
            await session.scalar(
                select(EnrollmentGroup.group_id).where(
                    EnrollmentGroup.enrollment_id == enrollment.id
                )
            )
            == world.group_a
        )
        option = await session.scalar(
            select(EnrollmentOption).where(EnrollmentOption.enrollment_id == enrollment.id)
        )
        assert option is not None
        assert (option.subject_id, option.rank, option.election_modality) == (world.subject, 1, "O")
        sister = await session.scalar(select(Student).where(Student.siecle_id == "1001"))
        assert sister is not None
        sister_enrollment = await session.scalar(
            select(Enrollment).where(Enrollment.student_id == sister.id)
        )
        assert sister_enrollment is not None
        assert sister_enrollment.regime is Regime.EXTERNE
        # One address for the family: both children and both parents.
        mother = await session.scalar(select(Guardian).where(Guardian.siecle_id == "P1000M"))
        father = await session.scalar(select(Guardian).where(Guardian.siecle_id == "P1000F"))
        assert mother is not None and father is not None
        assert adam.address_id is not None
        assert {sister.address_id, mother.address_id, father.address_id} == {adam.address_id}
        address = await session.get(Address, adam.address_id)
        assert address is not None
        assert (address.siecle_id, address.line1, address.postal_code) == (
            "1000",
            "1 rue de la République",
            "93100",
        )
        # One per family (the test world's households have their own, without a SIECLE id).
        imported = select(func.count()).select_from(Address).where(Address.siecle_id.is_not(None))
        assert await session.scalar(imported) == 5
        # Siblings share their guardians: legal 1 the mother, legal 2 the father.
        links = (
            await session.execute(
                select(GuardianLink.student_id, GuardianLink.guardian_id, GuardianLink.legal_rank)
                .where(GuardianLink.student_id.in_([adam.id, sister.id]))
                .order_by(GuardianLink.student_id, GuardianLink.legal_rank)
            )
        ).all()
        assert [tuple(link) for link in links] == [
            (adam.id, mother.id, 1),
            (adam.id, father.id, 2),
            (sister.id, mother.id, 1),
            (sister.id, father.id, 2),
        ]
        mother_link = await session.scalar(
            select(GuardianLink).where(
                GuardianLink.student_id == adam.id, GuardianLink.guardian_id == mother.id
            )
        )
        assert mother_link is not None
        assert (
            mother_link.relationship,
            mother_link.pays_fees,
            mother_link.contact_first,
            mother_link.responsibility_level,
        ) == (Relationship.MOTHER, True, True, 1)
        assert (mother.phone_mobile, mother.email, mother.accepts_sms, mother.profession_code) == (
            "06 12 34 00 01",
            "claire.0@example.fr",
            True,
            "37",
        )
        # Written through the ORM: the audit log has each new student, under the school.
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity == "students",
                AuditEntry.action == "create",
                AuditEntry.school_id == world.school_a,
            )
        )
        assert audited == 10


async def test_the_same_records_again_change_nothing_and_one_percent_changed_updates_those(
    world, sessionmaker
):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(50)
    await _import(sessionmaker, principal, world, files)

    students, guardians = await _import(sessionmaker, principal, world, files)
    for entity, counts in (students.counts() | guardians.counts()).items():
        assert (counts.created, counts.updated, counts.removed, counts.refused) == (0, 0, 0, 0), (
            entity
        )
    assert students.counts()[Entity.STUDENT].unchanged == 100
    assert guardians.counts()[Entity.GUARDIAN_LINK].unchanged == 200

    # 1% of the students and of the persons change.
    files.change_student("1010", first_name="Anaïs", regime_code="3")
    files.change_person("P1020M", phone_mobile="07 00 00 00 07", email=None)
    students, guardians = await _import(sessionmaker, principal, world, files)
    [student] = students.of(Entity.STUDENT, Action.UPDATED)
    assert (student.key, student.before, student.values) == (
        "1010",
        {"first_name": "Hugo"},
        {"first_name": "Anaïs"},
    )
    [enrollment] = students.of(Entity.ENROLLMENT, Action.UPDATED)
    assert enrollment.values == {"regime": Regime.INTERNE, "regime_code": "3"}
    assert students.counts()[Entity.STUDENT] == Counts(updated=1, unchanged=99)
    [person] = guardians.of(Entity.GUARDIAN, Action.UPDATED)
    assert person.values == {"phone_mobile": "07 00 00 00 07", "email": None}
    assert guardians.counts()[Entity.GUARDIAN] == Counts(updated=1, unchanged=99)
    async with sessionmaker() as session:
        written = await session.scalar(select(Student).where(Student.siecle_id == "1010"))
        assert written is not None and written.first_name == "Anaïs"
        assert written.version == 2


async def test_a_student_whose_exit_date_is_set_leaves(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(2)
    await _import(sessionmaker, principal, world, files)
    files.change_student("1002", exit_date=date(2027, 2, 12), exit_motive_code="11")
    files.change_student("1003", exit_date=date(2027, 3, 1), exit_motive_code="77")
    students, _ = await _import(sessionmaker, principal, world, files)
    assert students.counts()[Entity.ENROLLMENT] == Counts(updated=2, unchanged=2)
    async with sessionmaker() as session:
        left = {
            siecle_id: (exit_date, code, reason)
            for siecle_id, exit_date, code, reason in await session.execute(
                select(
                    Student.siecle_id,
                    Enrollment.exit_date,
                    Enrollment.exit_motive_code,
                    Enrollment.exit_reason,
                )
                .join(Enrollment, Enrollment.student_id == Student.id)
                .where(Enrollment.exit_date.is_not(None))
            )
        }
    assert left == {
        "1002": (date(2027, 2, 12), "11", ExitReason.CHANGE_OF_SCHOOL),
        # A code the product cannot interpret: kept as given, the reason is "other".
        "1003": (date(2027, 3, 1), "77", ExitReason.OTHER),
    }
    # Still in the file, without a date: the departure recorded stays.
    files.change_student("1002", exit_date=None, exit_motive_code=None)
    students, _ = await _import(sessionmaker, principal, world, files)
    assert students.counts()[Entity.ENROLLMENT] == Counts(unchanged=4)


async def test_records_are_refused_naming_the_element_its_id_and_the_field(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(4)
    files.change_student("1000", sex=None)
    files.change_student("1001", birth_date=None)
    files.change_student("1002", ine="0010000000K")  # 1000's, but 1000 is refused anyway
    files.change_student("1004", ine="0010000000Z")
    files.change_student("1005", ine="0010000000Z")
    files.change_student("1006", birth_commune_code=None)
    files.change_student("1007", mef_code="99999999999")
    files.structures = [s for s in files.structures if s.student_siecle_id != "1003"] + [
        StudentStructuresRecord("1003", (MembershipRecord("6Z", "D"),), line=999)
    ]
    students, guardians = await _import(sessionmaker, principal, world, files)

    assert _problems(students) == {
        ("ELEVE", "1000", "CODE_SEXE"),
        ("ELEVE", "1001", "DATE_NAISS"),
        # An INE twice in the file: both students are refused.
        ("ELEVE", "1000", "ID_NATIONAL"),
        ("ELEVE", "1002", "ID_NATIONAL"),
        ("ELEVE", "1004", "ID_NATIONAL"),
        ("ELEVE", "1005", "ID_NATIONAL"),
        ("ELEVE", "1006", "CODE_COMMUNE_INSEE_NAISS"),
        ("ELEVE", "1007", "CODE_MEF"),
    }
    by_field = {(p.record_id, p.field): p for p in students.refused}
    assert by_field["1000", "CODE_SEXE"].message == "Le sexe est obligatoire (CODE_SEXE 1 ou 2)."
    assert by_field["1007", "CODE_MEF"].message == (
        "Le MEF 99999999999 est inconnu de la nomenclature."
    )
    assert by_field["1006", "CODE_COMMUNE_INSEE_NAISS"].line > 0
    assert students.counts()[Entity.STUDENT] == Counts(created=1, refused=7)
    # The unknown division is reported; the student is imported without it.
    [reported] = students.reported
    assert (reported.element, reported.record_id, reported.field) == (
        "STRUCTURES_ELEVE",
        "1003",
        "CODE_STRUCTURE",
    )
    async with sessionmaker() as session:
        only = await session.scalar(
            select(Enrollment.division_id)
            .join(Student, Student.id == Enrollment.student_id)
            .where(Student.siecle_id == "1003")
        )
        assert only is None
        assert (
            await session.scalar(
                select(func.count()).select_from(Student).where(Student.siecle_id.is_not(None))
            )
            == 1
        )
    # Responsibilities for the refused students name the ELEVE_ID.
    assert ("RESPONSABLE_ELEVE", "1000/P1000M", "ELEVE_ID") in _problems(guardians)
    assert {p.field for p in guardians.refused} == {"ELEVE_ID"}
    assert guardians.counts()[Entity.GUARDIAN_LINK] == Counts(created=2, refused=14)
    # Persons with no responsibility taken are not written.
    assert guardians.counts()[Entity.GUARDIAN] == Counts(created=2)


async def test_an_unknown_subject_refuses_that_option_only(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(1)
    [options] = files.options
    files.options = [
        type(options)(
            options.student_siecle_id,
            (*options.options, type(options.options[0])(2, "F", "999999")),
            line=options.line,
        )
    ]
    students, _ = await _import(sessionmaker, principal, world, files)
    assert _problems(students) == {("OPTION", "1000/999999", "CODE_MATIERE")}
    assert students.counts()[Entity.STUDENT] == Counts(created=2)
    assert students.counts()[Entity.ENROLLMENT_OPTION] == Counts(created=1, refused=1)


async def test_an_unknown_kinship_is_taken_as_other_and_reported(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(1)
    files.responsibilities[0] = type(files.responsibilities[0])(
        **{**files.responsibilities[0].__dict__, "kinship_code": "99", "level": 2}
    )
    _, guardians = await _import(sessionmaker, principal, world, files)
    assert guardians.refused == []
    assert [(p.record_id, p.field) for p in guardians.reported] == [("1000", "CODE_PARENTE")]
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(GuardianLink.legal_rank, GuardianLink.relationship, Guardian.siecle_id)
                .join(Guardian, Guardian.id == GuardianLink.guardian_id)
                .join(Student, Student.id == GuardianLink.student_id)
                .where(Student.siecle_id == "1000")
                .order_by(Guardian.siecle_id)
            )
        ).all()
    # Level 2: no legal rank; the father, the first level 1 in the file, is legal guardian 1.
    assert [tuple(r) for r in rows] == [
        (1, Relationship.FATHER, "P1000F"),
        (None, Relationship.OTHER, "P1000M"),
    ]


async def test_a_mef_the_school_has_not_profiled_is_profiled(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    async with sessionmaker() as session, session.begin():
        session.add(Mef(code="10210001110", short_label="4EME", long_label="4EME"))
    files = school_files(1)
    files.change_student("1001", mef_code="10210001110")
    students, _ = await _import(sessionmaker, principal, world, files)
    assert students.refused == []
    assert students.counts()[Entity.SCHOOL_MEF] == Counts(created=1)
    async with sessionmaker() as session:
        mef_id = await session.scalar(select(Mef.id).where(Mef.code == "10210001110"))
        assert await session.get(SchoolMef, (world.school_a, world.year_id, mef_id)) is not None
    again, _ = await _import(sessionmaker, principal, world, files)
    assert Entity.SCHOOL_MEF not in again.counts()


async def test_existing_students_are_found_by_ine_and_a_clash_with_another_school_is_flagged(
    world, sessionmaker
):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(1)
    # Lina (school A, entered by hand) is 1000 in SIECLE; 1001 has Jade's INE (school B).
    files.change_student("1000", ine="1234567890A")
    files.change_student("1001", ine="0987654321B")
    students, _ = await _import(sessionmaker, principal, world, files)
    assert students.counts()[Entity.STUDENT] == Counts(created=1, updated=1)
    [lina] = students.of(Entity.STUDENT, Action.UPDATED)
    assert lina.row_id == world.students["lina"]
    assert lina.values["siecle_id"] == "1000"
    # Lina's enrolment of the year is updated, not doubled.
    assert students.counts()[Entity.ENROLLMENT] == Counts(created=1, updated=1)
    async with sessionmaker() as session:
        created = await session.scalar(select(Student.id).where(Student.siecle_id == "1001"))
        [conflict] = (await session.scalars(select(IneConflict))).all()
        assert (conflict.ine, conflict.student_id, conflict.other_student_id) == (
            "0987654321B",
            created,
            world.students["jade"],
        )
    # Again: the same clash is not flagged twice.
    await _import(sessionmaker, principal, world, files)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(IneConflict)) == 1


async def test_a_guardian_entered_by_hand_is_found_by_name_and_the_ranks_follow_the_file(
    world, sessionmaker
):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(1)
    files.change_student("1000", ine="1234567890A")  # Lina, guardians Claire and Paul Martin
    files.change_person("P1000M", family_name="MARTIN")
    files.change_person("P1000F", family_name="DUPONT", first_name="Marc")
    _, guardians = await _import(sessionmaker, principal, world, files)
    assert guardians.refused == []
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(GuardianLink.legal_rank, Guardian.id, Guardian.siecle_id)
                .join(Guardian, Guardian.id == GuardianLink.guardian_id)
                .where(GuardianLink.student_id == world.students["lina"])
                .order_by(GuardianLink.legal_rank.is_(None), GuardianLink.legal_rank)
            )
        ).all()
    new_father = next(r[1] for r in rows if r[2] == "P1000F")
    # Claire Martin is the mother of the file; Paul Martin, not in the file, keeps his link but
    # lets legal rank 2 go to the father the file gives.
    assert [tuple(r) for r in rows] == [
        (1, world.guardians["mother"], "P1000M"),
        (2, new_father, "P1000F"),
        (None, world.guardians["father"], None),
    ]


def test_regime_codes_map_to_the_regime_kinds():
    assert [regime_of_code(c) for c in ("0", "1", "2", "21", "29", "6", "3", "4", "5", "38")] == [
        Regime.EXTERNE,
        Regime.EXTERNE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.INTERNE,
        Regime.INTERNE,
        Regime.INTERNE,
        Regime.INTERNE,
    ]
    assert regime_of_code("9") is None


async def test_only_those_who_write_the_schools_students_import(world, sessionmaker):
    files = school_files(1)
    teacher = await world.principal(sessionmaker, "teacher_a")
    other_school = await world.principal(sessionmaker, "principal_b")
    async with sessionmaker() as session:
        with pytest.raises(PermissionDenied):
            await plan_students_import(
                session, teacher, world.school_a, world.year_id, files.students_file()
            )
        with pytest.raises(NotFound):
            await plan_students_import(
                session, other_school, world.school_a, world.year_id, files.students_file()
            )


async def test_a_failure_while_applying_leaves_nothing_written(world, sessionmaker, monkeypatch):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(3)
    real_create = plan_module._create

    async def failing(session: Any, entity: Entity, rows: Any, ids: Any) -> None:
        if entity is Entity.ENROLLMENT_OPTION:
            raise RuntimeError("panne simulée")
        await real_create(session, entity, rows, ids)

    monkeypatch.setattr(plan_module, "_create", failing)
    with pytest.raises(RuntimeError):
        async with sessionmaker() as session, session.begin():
            plan = await plan_students_import(
                session, principal, world.school_a, world.year_id, files.students_file()
            )
            await apply_plan(session, principal, plan)
    async with sessionmaker() as session:
        # The test world's two households only.
        assert await session.scalar(select(func.count()).select_from(Address)) == 2
        assert (
            await session.scalar(
                select(func.count()).select_from(Student).where(Student.siecle_id.is_not(None))
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity == "addresses", AuditEntry.actor_label != "tests")
            )
            == 0
        )


async def test_a_plan_applied_after_the_row_changed_is_stale(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(1)
    await _import(sessionmaker, principal, world, files)
    files.change_student("1000", first_name="Adama")
    async with sessionmaker() as session:
        plan = await plan_students_import(
            session, principal, world.school_a, world.year_id, files.students_file()
        )
    async with sessionmaker() as session, session.begin():
        student = await session.scalar(select(Student).where(Student.siecle_id == "1000"))
        assert student is not None
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        student.usage_name = "Autre"
    with pytest.raises(StaleVersion):
        async with sessionmaker() as session, session.begin():
            await apply_plan(session, principal, plan)


async def test_the_statements_do_not_grow_with_the_number_of_students(
    world, sessionmaker, admin_engine
):
    principal = await world.principal(sessionmaker, "registrar_a")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async def measured(files: SiecleFiles) -> int:
        statements.clear()
        event.listen(admin_engine.sync_engine, "before_cursor_execute", count)
        try:
            await _import(sessionmaker, principal, world, files)
        finally:
            event.remove(admin_engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    small = await measured(school_files(10, first_id=1000))
    large = await measured(school_files(100, first_id=3000))
    assert small == large, (small, large)
    # Again, unchanged: reading only.
    assert await measured(school_files(10, first_id=1000)) == await measured(
        school_files(100, first_id=3000)
    )


async def test_legal_guardians_1_and_2_swap_when_the_file_swaps_them(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(1)
    await _import(sessionmaker, principal, world, files)
    mother, father, *rest = files.responsibilities
    files.responsibilities = [father, mother, *rest]
    _, guardians = await _import(sessionmaker, principal, world, files)
    assert guardians.counts()[Entity.GUARDIAN_LINK] == Counts(updated=2, unchanged=2)
    async with sessionmaker() as session:
        ranks = dict(
            (
                await session.execute(
                    select(Guardian.siecle_id, GuardianLink.legal_rank)
                    .join(Guardian, Guardian.id == GuardianLink.guardian_id)
                    .join(Student, Student.id == GuardianLink.student_id)
                    .where(Student.siecle_id == "1000")
                )
            ).all()
        )
    assert ranks == {"P1000F": 1, "P1000M": 2}
