"""The school's exports: written from its data, zipped, recorded with their file, and
refused (nothing recorded) when a record cannot be written as the clients read it."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from sqlalchemy import update

from api.auth.principal import PermissionDenied
from api.resolvers.exchanges.exports import ExportKind, export_file
from api.resolvers.exchanges.runs import stored_file
from api.resolvers.work import Work
from core.errors import ValidationFailed
from db.audit import AuditActor, set_actor
from db.exchanges import ExchangeState
from db.students import Student
from tests.world import World, uai


async def _export(sessionmaker, world: World, login: str, kind: ExportKind) -> tuple[str, bytes]:
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        run = await transaction.run(export_file, kind, world.school_a, world.year_id)
    assert run.state == ExchangeState.WRITTEN
    async with Work(sessionmaker, principal) as work:
        return await work.read(stored_file, run.id)


def _xml(content: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (name,) = archive.namelist()
        return etree.fromstring(archive.read(name))


async def test_students_export_follows_the_clients_rules(sessionmaker, world: World) -> None:
    name, content = await _export(sessionmaker, world, "registrar_a", ExportKind.STUDENTS)
    assert name == "ElevesSansAdresses.zip"
    root = _xml(content)
    assert root.tag == "BEE_ELEVES" and root.findtext("PARAMETRES/UAJ") == uai("0930001")
    assert root.findtext("PARAMETRES/ANNEE_SCOLAIRE") == "2026"
    students = {e.findtext("PRENOM"): e for e in root.iterfind("DONNEES/ELEVES/ELEVE")}
    assert set(students) == {"Lina", "Noah", "Éloïse"}
    lina = students["Lina"]
    assert lina.findtext("ID_NATIONAL") == "1234567890A"
    assert lina.findtext("DATE_NAISS") == "14/03/2015" and lina.findtext("CODE_SEXE") == "2"
    assert lina.findtext("CODE_COMMUNE_INSEE_NAISS") == "93048"
    assert lina.find("DATE_SORTIE") is not None and not lina.findtext("DATE_SORTIE")
    divisions = {
        s.get("ELEVE_ID"): [
            (x.findtext("CODE_STRUCTURE"), x.findtext("TYPE_STRUCTURE"))
            for x in s.iter("STRUCTURE")
        ]
        for s in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE")
    }
    assert divisions[lina.get("ELEVE_ID")] == [("6A", "D"), ("ESP2", "G")]


async def _set_students(sessionmaker, **values: object) -> None:
    async with sessionmaker() as session:
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(update(Student).values(**values))
        await session.commit()


async def test_every_export_is_written_and_kept(sessionmaker, world: World) -> None:
    # The import privé needs each student's nationality.
    await _set_students(sessionmaker, nationality_code="100")
    roots = {}
    for kind in ExportKind:
        _name, content = await _export(sessionmaker, world, "principal_a", kind)
        roots[kind] = _xml(content).tag
    assert roots == {
        ExportKind.STUDENTS: "BEE_ELEVES",
        ExportKind.STUDENTS_WITH_ADDRESSES: "BEE_ELEVES",
        ExportKind.GUARDIANS: "BEE_RESPONSABLES",
        ExportKind.NOMENCLATURES: "BEE_NOMENCLATURES",
        ExportKind.STRUCTURES: "STS_EDT",
        ExportKind.PRIVATE_IMPORT: "IMPORT_ELEVES",
        ExportKind.INE_REQUESTS: "BEE_DEMANDES_INE",
        ExportKind.HEADCOUNTS: "STS_EFFECTIFS",
    }


async def test_a_student_born_in_france_without_commune_stops_the_export(
    sessionmaker, world: World
) -> None:
    async with sessionmaker() as session:
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(
            update(Student)
            .where(Student.id == world.students["noah"])
            .values(birth_commune_code=None)
        )
        await session.commit()
    principal = await world.principal(sessionmaker, "registrar_a")
    with pytest.raises(ValidationFailed) as refused:
        async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
            await transaction.run(export_file, ExportKind.STUDENTS, world.school_a, world.year_id)
    assert "CODE_COMMUNE_INSEE_NAISS" in refused.value.errors[0].message


async def test_the_private_import_needs_the_nationality(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "registrar_a")
    with pytest.raises(ValidationFailed) as refused:
        async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
            await transaction.run(
                export_file, ExportKind.PRIVATE_IMPORT, world.school_a, world.year_id
            )
    assert "nationalité" in refused.value.errors[0].message


async def test_a_teacher_may_not_export(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
            await transaction.run(export_file, ExportKind.STUDENTS, world.school_a, world.year_id)
