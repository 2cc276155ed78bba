"""SIECLE's files through the exchanges, end to end: written in the real format, previewed,
applied, recorded; and the school's own export imported back into an empty school gives the
same students and guardians (the round trip of issue 12)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from sqlalchemy import func, select, update

from api.auth.principal import Principal
from api.resolvers.exchanges.exports import ExportKind, export_file
from api.resolvers.exchanges.runs import apply_import, preview_import, stored_file
from api.resolvers.exchanges.school_records import guardians_records, students_records
from api.resolvers.work import Work
from db.accounts import Role
from db.audit import AuditActor, set_actor
from db.exchanges import ExchangeFormat, ExchangeState
from db.schools import School, SchoolKind
from db.structures import Division, DivisionMef, Group, GroupDivision
from db.students import Student
from exchanges.records import FileHeader
from exchanges.siecle_writing import guardians_bytes, students_bytes
from exchanges.xml_writing import zipped
from tests.api.exchanges.siecle.files import school_files
from tests.world import World, uai

HEADER = FileHeader("BEE_ELEVES", "3.0", uai("0930001"), 2026, date(2026, 9, 10))


async def _preview_and_apply(sessionmaker, principal, school_id, format, name, content):
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        run = await transaction.run(preview_import, format, school_id, name, content)
    assert run.state == ExchangeState.PREVIEWED, run.report
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        return await transaction.run(apply_import, run.id)


async def test_siecle_zips_previewed_then_applied(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(3)
    students_zip = zipped(
        "ElevesAvecAdresses.xml",
        students_bytes(HEADER, files.students, files.options, files.structures, files.addresses),
    )
    guardians_zip = zipped(
        "ResponsablesAvecAdresses.xml",
        guardians_bytes(HEADER, files.persons, files.responsibilities, files.addresses),
    )
    run = await _preview_and_apply(
        sessionmaker, principal, world.school_a, ExchangeFormat.STUDENTS, *students_zip
    )
    assert run.state == ExchangeState.APPLIED
    assert run.counts["student"]["created"] == 6 and run.error_count == 0
    run = await _preview_and_apply(
        sessionmaker, principal, world.school_a, ExchangeFormat.GUARDIANS, *guardians_zip
    )
    assert run.counts["guardian"]["created"] == 6
    assert run.counts["guardian_link"]["created"] == 12
    # The same file again: nothing changes.
    again = await _preview_and_apply(
        sessionmaker, principal, world.school_a, ExchangeFormat.STUDENTS, *students_zip
    )
    assert again.counts["student"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 6,
        "removed": 0,
        "refused": 0,
    }


async def _empty_school_like_a(sessionmaker, world: World) -> int:
    """A new collège with school A's divisions and group (its structures, as STS-WEB would
    give them), no student."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        school = School(
            academy_id=world.academy_id,
            uai=uai("0931234"),
            kind=SchoolKind.COLLEGE,
            name="Collège Neuf",
        )
        session.add(school)
        await session.flush()
        divisions = [
            Division(school_id=school.id, school_year_id=world.year_id, code=code, label=code)
            for code in ("6A", "6B")
        ]
        session.add_all(divisions)
        group = Group(
            school_id=school.id,
            school_year_id=world.year_id,
            code="ESP2",
            label="Espagnol",
            subject_id=world.subject,
        )
        session.add(group)
        await session.flush()
        session.add_all(DivisionMef(division_id=d.id, mef_id=world.mef_6) for d in divisions)
        session.add_all(GroupDivision(group_id=group.id, division_id=d.id) for d in divisions)
        return school.id


def _comparable_students(records) -> list[tuple]:
    rows = [
        (
            s.ine,
            s.family_name,
            s.first_name,
            s.sex,
            s.birth_date,
            s.birth_commune_code,
            s.mef_code,
            s.regime_code,
            s.entry_date,
            s.exit_date,
        )
        for s in records.students
    ]
    return sorted(rows, key=repr)


async def test_the_export_read_back_into_an_empty_school_gives_the_same_data(
    sessionmaker, world: World
) -> None:
    registrar = await world.principal(sessionmaker, "registrar_a")
    files = school_files(4)
    header = HEADER
    await _preview_and_apply(
        sessionmaker,
        registrar,
        world.school_a,
        ExchangeFormat.STUDENTS,
        *zipped(
            "ElevesAvecAdresses.xml",
            students_bytes(
                header, files.students, files.options, files.structures, files.addresses
            ),
        ),
    )
    await _preview_and_apply(
        sessionmaker,
        registrar,
        world.school_a,
        ExchangeFormat.GUARDIANS,
        *zipped(
            "ResponsablesAvecAdresses.xml",
            guardians_bytes(header, files.persons, files.responsibilities, files.addresses),
        ),
    )
    exported = {}
    for kind in (ExportKind.STUDENTS_WITH_ADDRESSES, ExportKind.GUARDIANS):
        async with Work(sessionmaker, registrar).writing(world.school_a) as transaction:
            run = await transaction.run(export_file, kind, world.school_a, world.year_id)
        async with Work(sessionmaker, registrar) as work:
            exported[kind] = await work.read(stored_file, run.id)

    new_school = await _empty_school_like_a(sessionmaker, world)
    new_registrar = Principal(
        kind="staff",
        id=None,
        label="secrétariat du collège neuf",
        academy_id=world.academy_id,
        grants=frozenset({(new_school, Role.REGISTRAR)}),
    )
    for kind, format in (
        (ExportKind.STUDENTS_WITH_ADDRESSES, ExchangeFormat.STUDENTS),
        (ExportKind.GUARDIANS, ExchangeFormat.GUARDIANS),
    ):
        name, content = exported[kind]
        await _import_renamed(sessionmaker, new_registrar, new_school, format, name, content)

    async with Work(sessionmaker, registrar) as work:
        before = await work.read(students_records, world.school_a, world.year_id)
        guardians_before = await work.read(guardians_records, world.school_a, world.year_id)
    async with Work(sessionmaker, new_registrar) as work:
        after = await work.read(students_records, new_school, world.year_id)
        guardians_after = await work.read(guardians_records, new_school, world.year_id)
    # Every student of school A (the test world's and the file's) with the same identity,
    # schooling and régime; every guardian with the same contacts.
    assert _comparable_students(after) == _comparable_students(before)
    assert len(after.students) == 3 + len(files.students)
    assert sorted(
        (p.family_name, p.first_name, p.email, p.phone_mobile) for p in guardians_after.persons
    ) == sorted(
        (p.family_name, p.first_name, p.email, p.phone_mobile) for p in guardians_before.persons
    )
    assert len(guardians_after.responsibilities) == len(guardians_before.responsibilities)
    async with sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(Student))
    # The new school's students are rows of their own, beside the test world's four.
    assert total == 4 + len(files.students) + len(after.students)


async def _import_renamed(sessionmaker, principal, school_id, format, name, content) -> None:
    """The export names school A: the new school receives it with its own UAJ in PARAMETRES,
    as SIECLE would serve the same students to it."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (member,) = archive.namelist()
        xml = archive.read(member)
    target_uai = uai("0931234").encode()
    xml = xml.replace(b"<UAJ>" + uai("0930001").encode(), b"<UAJ>" + target_uai)
    renamed = zipped(member, xml)
    run = await _preview_and_apply(sessionmaker, principal, school_id, format, *renamed)
    assert run.error_count == 0, run.report["problems"]


async def test_the_private_import_written_then_read_into_an_empty_school(
    sessionmaker, world: World
) -> None:
    registrar = await world.principal(sessionmaker, "registrar_a")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(update(Student).values(nationality_code="100"))
    async with Work(sessionmaker, registrar).writing(world.school_a) as transaction:
        run = await transaction.run(
            export_file, ExportKind.PRIVATE_IMPORT, world.school_a, world.year_id
        )
    async with Work(sessionmaker, registrar) as work:
        name, content = await work.read(stored_file, run.id)
        before = await work.read(students_records, world.school_a, world.year_id)
        guardians_before = await work.read(guardians_records, world.school_a, world.year_id)
    new_school = await _empty_school_like_a(sessionmaker, world)
    new_registrar = Principal(
        kind="staff",
        id=None,
        label="secrétariat du collège neuf",
        academy_id=world.academy_id,
        grants=frozenset({(new_school, Role.REGISTRAR)}),
    )
    await _import_renamed(
        sessionmaker, new_registrar, new_school, ExchangeFormat.PRIVATE_IMPORT, name, content
    )
    async with Work(sessionmaker, new_registrar) as work:
        after = await work.read(students_records, new_school, world.year_id)
        guardians_after = await work.read(guardians_records, new_school, world.year_id)
    assert _comparable_students(after) == _comparable_students(before)
    assert sorted((p.family_name, p.first_name) for p in guardians_after.persons) == sorted(
        (p.family_name, p.first_name) for p in guardians_before.persons
    )
    assert len(guardians_after.responsibilities) == len(guardians_before.responsibilities)


async def test_the_import_reports_its_progress_in_bytes_of_the_file(
    sessionmaker, world: World
) -> None:
    principal = await world.principal(sessionmaker, "registrar_a")
    files = school_files(60)
    data = students_bytes(HEADER, files.students, files.options, files.structures, files.addresses)
    seen: list[tuple[int, int | None]] = []
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        await transaction.run(
            preview_import,
            ExchangeFormat.STUDENTS,
            world.school_a,
            *zipped("ElevesAvecAdresses.xml", data),
            lambda done, total: seen.append((done, total)),
        )
    assert seen, "no progress reported"
    assert {total for _done, total in seen} == {len(data)}
    done = [d for d, _total in seen]
    assert done == sorted(done) and 0 < done[-1] <= len(data)
