"""The constat de rentrée: launched once per school and year, frozen at the finest grain with
its anomalies, read by any dimension, consolidated for the rectorat, compared between years;
the headcounts per structure for STS-WEB and the rentrée evaluation survey (EVA)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select, update

from api.auth.principal import PermissionDenied
from api.cli import main
from api.resolvers.exchanges.exports import ExportKind, export_file
from api.resolvers.exchanges.runs import stored_file
from api.resolvers.headcounts import (
    EVALUATED_LEVELS,
    academy_consolidation,
    constat_document,
    evaluation_survey_students,
    export_evaluation_survey,
    launch_constat,
    school_snapshot,
    snapshot_anomalies,
    snapshot_cross_tab,
    snapshot_totals,
    year_comparison,
)
from api.resolvers.work import Work
from core.errors import NotFound, ValidationFailed
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment
from db.headcounts import HeadcountLine, HeadcountSnapshot
from db.nomenclatures import Mef
from db.structures import Division
from tests.api.test_cli import environment
from tests.world import World

COUNTING_DAY = date(2026, 9, 15)
MEF_6 = "10010012110"


async def _launch(sessionmaker, world: World, login: str = "registrar_a", **kwargs: Any) -> Any:
    principal = await world.principal(sessionmaker, login)
    school_id = kwargs.pop("school_id", world.school_a)
    year_id = kwargs.pop("year_id", world.year_id)
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        return await transaction.run(
            launch_constat, school_id, year_id, kwargs.pop("counted_on", COUNTING_DAY)
        )


async def _read(sessionmaker, world: World, login: str, fn: Any, *args: Any) -> Any:
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal) as work:
        return await work.read(fn, *args)


async def _system_write(sessionmaker, *statements: Any) -> None:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        for statement in statements:
            await session.execute(statement)


async def _lines(sessionmaker, snapshot_id: int) -> list[tuple[Any, ...]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                HeadcountLine.mef_code,
                HeadcountLine.mef_label,
                HeadcountLine.division_code,
                HeadcountLine.sex,
                HeadcountLine.regime_code,
                HeadcountLine.age,
                HeadcountLine.status_code,
                HeadcountLine.count,
            ).where(HeadcountLine.snapshot_id == snapshot_id)
        )
        # NULL sorts first on SQLite, last on PostgreSQL: ordered here.
        return sorted((tuple(r) for r in rows), key=lambda r: (r[2] or "", r[3]))


async def test_the_constat_counts_the_students_present_at_the_finest_grain(
    sessionmaker, world: World
):
    # Noah has no division; a student gone before the day and one arriving after it are not
    # counted.
    await _system_write(
        sessionmaker,
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["noah"])
        .values(division_id=None, regime_code="2", status_code="ST"),
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["eloise"])
        .values(entry_date=date(2026, 9, 20)),
    )
    snapshot = await _launch(sessionmaker, world)
    assert snapshot.counted_on == COUNTING_DAY and snapshot.total == 2
    assert snapshot.actor_label == "Registrar A (registrar_a)"
    # Regime typed by hand (no SIECLE code): its kind's usual code. Age on 31/12/2026.
    assert await _lines(sessionmaker, snapshot.id) == [
        (MEF_6, "6EME", None, "M", "2", 11, "ST", 1),
        (MEF_6, "6EME", "6A", "F", "2", 11, None, 1),
    ]
    anomalies = await _read(sessionmaker, world, "registrar_a", snapshot_anomalies, snapshot.id)
    assert sorted((a.kind, a.label) for a in anomalies) == [
        ("no_division", "Martin Noah"),
        ("no_ine", "Martin Noah"),
    ]
    async with sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "headcount_snapshots")
            )
        )
    assert [(e.action, e.school_id, e.actor_label) for e in entries] == [
        ("create", world.school_a, "Registrar A (registrar_a)")
    ]
    assert entries[0].after is not None and entries[0].after["total"] == 2


async def test_a_student_out_of_the_school_profile_is_an_anomaly(sessionmaker, world: World):
    await _system_write(
        sessionmaker,
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["lina"])
        .values(mef_id=await _new_mef(sessionmaker)),
    )
    snapshot = await _launch(sessionmaker, world)
    anomalies = await _read(sessionmaker, world, "principal_a", snapshot_anomalies, snapshot.id)
    assert [(a.kind, a.label) for a in anomalies if a.kind == "no_mef"] == [
        ("no_mef", "Martin Lina")
    ]


async def _new_mef(sessionmaker) -> int:
    async with sessionmaker() as session, session.begin():
        mef = Mef(code="20010018110", short_label="2NDE", long_label="2NDE GT")
        session.add(mef)
        await session.flush()
        return mef.id


async def test_a_second_launch_is_refused(sessionmaker, world: World):
    await _launch(sessionmaker, world)
    with pytest.raises(ValidationFailed) as refused:
        await _launch(sessionmaker, world, "principal_a", counted_on=date(2026, 10, 1))
    error = refused.value.errors[0]
    assert (error.field, error.code) == ("school_year_id", "ALREADY_FROZEN")
    assert "déjà figé" in error.message and "15/09/2026" in error.message


@pytest.mark.parametrize(
    ("day", "code"),
    [(date(2026, 8, 31), "OUTSIDE_YEAR"), (date(2026, 12, 20), "IN_FUTURE")],
)
async def test_the_counting_day_falls_in_the_year_and_not_after_today(
    sessionmaker, world: World, day: date, code: str
):
    with pytest.raises(ValidationFailed) as refused:
        await _launch(sessionmaker, world, counted_on=day)
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == ("counted_on", code)
    async with sessionmaker() as session:
        assert await session.scalar(select(HeadcountSnapshot.id)) is None


async def test_the_counting_day_defaults_to_today(sessionmaker, world: World):
    principal = await world.principal(sessionmaker, "principal_a")
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        snapshot = await transaction.run(launch_constat, world.school_a, world.year_id)
    assert snapshot.counted_on == date(2026, 12, 2)


async def test_a_closed_year_is_not_counted(sessionmaker, world: World):
    with pytest.raises(ValidationFailed) as refused:
        await _launch(
            sessionmaker, world, year_id=world.closed_year_id, counted_on=date(2025, 9, 15)
        )
    assert refused.value.errors[0].code == "YEAR_CLOSED"


async def test_the_snapshot_never_moves(sessionmaker, world: World):
    snapshot = await _launch(sessionmaker, world)
    before = await _lines(sessionmaker, snapshot.id)
    by_division = await _read(
        sessionmaker, world, "principal_a", snapshot_totals, snapshot.id, "division"
    )
    # The MEF and a division renamed, a student moved, another gone.
    await _system_write(
        sessionmaker,
        update(Mef).where(Mef.id == world.mef_6).values(short_label="SIXIEME"),
        update(Division).where(Division.id == world.division_a1).values(code="6Z"),
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["noah"])
        .values(division_id=world.division_a1, mef_id=world.mef_5),
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["lina"])
        .values(exit_date=date(2026, 10, 1)),
    )
    assert await _lines(sessionmaker, snapshot.id) == before
    assert (
        await _read(sessionmaker, world, "principal_a", snapshot_totals, snapshot.id, "division")
        == by_division
    )
    assert [(t.key, t.total) for t in by_division] == [("6A", 2), ("6B", 1)]


async def test_totals_by_any_dimension_and_cross_tabs(sessionmaker, world: World):
    snapshot = await _launch(sessionmaker, world)

    async def totals(dimension: str) -> list[tuple[str, str, int, int, int]]:
        rows = await _read(sessionmaker, world, "rectorat", snapshot_totals, snapshot.id, dimension)
        return [(r.key, r.label, r.boys, r.girls, r.total) for r in rows]

    assert await totals("mef") == [(MEF_6, "6EME", 1, 2, 3)]
    assert await totals("sex") == [("F", "Filles", 0, 2, 2), ("M", "Garçons", 1, 0, 1)]
    assert await totals("regime") == [("2", "2 (demi-pensionnaire)", 1, 2, 3)]
    assert await totals("age") == [("11", "11 ans", 1, 2, 3)]
    assert await totals("status") == [("", "Non renseigné", 1, 2, 3)]
    cross = await _read(
        sessionmaker, world, "principal_a", snapshot_cross_tab, snapshot.id, "mef", "sex"
    )
    assert cross.column_labels == ["Filles", "Garçons"]
    assert [(r.label, r.cells, r.total) for r in cross.rows] == [("6EME", [2, 1], 3)]
    assert cross.column_totals == [2, 1] and cross.total == 3
    by_age = await _read(
        sessionmaker, world, "principal_a", snapshot_cross_tab, snapshot.id, "mef", "age"
    )
    assert by_age.column_labels == ["11 ans"] and by_age.rows[0].cells == [3]


async def test_who_launches_and_who_reads(sessionmaker, world: World):
    for login in ("cpe_a", "teacher_a", "rectorat", "bursar_a"):
        with pytest.raises(PermissionDenied):
            await _launch(sessionmaker, world, login)
    with pytest.raises(NotFound):
        await _launch(sessionmaker, world, "principal_b")
    snapshot = await _launch(sessionmaker, world, "principal_a")
    assert (
        await _read(sessionmaker, world, "rectorat", school_snapshot, world.school_a, world.year_id)
    ).id == snapshot.id
    for login in ("principal_b",):
        with pytest.raises(NotFound):
            await _read(sessionmaker, world, login, snapshot_totals, snapshot.id, "mef")
        with pytest.raises(NotFound):
            await _read(sessionmaker, world, login, school_snapshot, world.school_a, world.year_id)
    for login in ("teacher_a", "cpe_a"):
        with pytest.raises(PermissionDenied):
            await _read(sessionmaker, world, login, snapshot_totals, snapshot.id, "mef")
    with pytest.raises(PermissionDenied):
        await _read(sessionmaker, world, "principal_a", academy_consolidation, world.year_id)


async def test_the_rectorat_consolidates_the_academy(sessionmaker, world: World):
    await _launch(sessionmaker, world)
    consolidation = await _read(
        sessionmaker, world, "rectorat", academy_consolidation, world.year_id
    )
    assert [(t.key, t.total) for t in consolidation.by_mef] == [(MEF_6, 3)]
    assert [s.school_id for s in consolidation.frozen] == [world.school_a]
    assert [s.school_id for s in consolidation.missing] == [world.school_b]
    await _launch(sessionmaker, world, "principal_b", school_id=world.school_b)
    consolidation = await _read(
        sessionmaker, world, "rectorat", academy_consolidation, world.year_id
    )
    assert [(t.key, t.boys, t.girls, t.total) for t in consolidation.by_mef] == [(MEF_6, 1, 3, 4)]
    assert consolidation.missing == [] and consolidation.total == 4


async def _last_years_constat(sessionmaker, world: World) -> None:
    """2025-2027's constat of school A, as frozen last year: 2 in 6EME, 4 in 5EME."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        snapshot = HeadcountSnapshot(
            school_id=world.school_a,
            school_year_id=world.closed_year_id,
            counted_on=date(2025, 9, 15),
            actor_label="tests",
            total=6,
        )
        session.add(snapshot)
        await session.flush()
        for code, label, sex, count in (
            (MEF_6, "6EME", "F", 2),
            ("10110001110", "5EME", "M", 4),
        ):
            session.add(
                HeadcountLine(
                    snapshot_id=snapshot.id,
                    mef_code=code,
                    mef_label=label,
                    division_code="6A",
                    sex=sex,
                    regime_code="2",
                    age=11,
                    status_code=None,
                    count=count,
                )
            )


async def test_a_school_and_the_academy_compare_two_years(sessionmaker, world: World):
    await _last_years_constat(sessionmaker, world)
    await _launch(sessionmaker, world)
    comparison = await _read(
        sessionmaker, world, "principal_a", year_comparison, world.year_id, world.school_a
    )
    assert comparison.previous_year_id == world.closed_year_id
    assert comparison.current_frozen and comparison.previous_frozen
    assert [(r.key, r.label, r.previous, r.current, r.difference) for r in comparison.rows] == [
        (MEF_6, "6EME", 2, 3, 1),
        ("10110001110", "5EME", 4, 0, -4),
    ]
    assert (comparison.previous_total, comparison.current_total, comparison.difference) == (
        6,
        3,
        -3,
    )
    academy = await _read(sessionmaker, world, "rectorat", year_comparison, world.year_id)
    assert [(r.key, r.previous, r.current) for r in academy.rows] == [
        (MEF_6, 2, 3),
        ("10110001110", 4, 0),
    ]
    with pytest.raises(PermissionDenied):
        await _read(sessionmaker, world, "principal_a", year_comparison, world.year_id)
    with pytest.raises(NotFound):
        await _read(
            sessionmaker, world, "principal_b", year_comparison, world.year_id, world.school_a
        )


async def test_the_constat_as_a_pdf(sessionmaker, world: World):
    await _system_write(
        sessionmaker,
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["noah"])
        .values(division_id=None),
    )
    snapshot = await _launch(sessionmaker, world)
    name, content = await _read(sessionmaker, world, "rectorat", constat_document, snapshot.id)
    assert name == f"constat-de-rentree-{world_uai_a()}-2026.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Constat de rentrée 2026-2027" in text
    assert "Élèves présents le 15/09/2026 : 3" in text
    assert "Par âge (au 31 décembre 2026)" in text
    assert "Sans division" in text and "Martin Noah" in text and "Sans INE" in text


def world_uai_a() -> str:
    from tests.world import uai

    return uai("0930001")


async def _export(sessionmaker, world: World, fn: Any, *args: Any) -> tuple[Any, str, bytes]:
    principal = await world.principal(sessionmaker, "registrar_a")
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        run = await transaction.run(fn, *args)
    async with Work(sessionmaker, principal) as work:
        name, content = await work.read(stored_file, run.id)
    return run, name, content


async def test_the_headcounts_per_structure_for_sts_web(sessionmaker, world: World):
    run, name, content = await _export(
        sessionmaker, world, export_file, ExportKind.HEADCOUNTS, world.school_a, world.year_id
    )
    assert run.format.value == "sts_effectifs"
    assert run.counts == {"divisions": {"written": 2}, "groups": {"written": 1}}
    assert name == f"sts_effectifs_{world_uai_a()}_2026.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (member,) = archive.namelist()
        root = etree.fromstring(archive.read(member))
    assert member == f"sts_effectifs_{world_uai_a()}_2026.xml"
    assert root.tag == "STS_EFFECTIFS"
    assert root.find("PARAMETRES/UAJ").get("CODE") == world_uai_a()
    divisions = {
        d.get("CODE"): (
            d.findtext("EFFECTIF_CALCULE"),
            [
                (m.get("CODE"), m.findtext("EFFECTIF_CALCULE"))
                for m in d.iterfind("MEFS_APPARTENANCE/MEF_APPARTENANCE")
            ],
        )
        for d in root.iterfind("DONNEES/STRUCTURE/DIVISIONS/DIVISION")
    }
    assert divisions == {"6A": ("2", [(MEF_6, "2")]), "6B": ("1", [(MEF_6, "1")])}
    (group,) = root.iterfind("DONNEES/STRUCTURE/GROUPES/GROUPE")
    assert group.get("CODE") == "ESP2" and group.findtext("EFFECTIF_CALCULE") == "1"
    assert [d.get("CODE") for d in group.iterfind("DIVISIONS_APPARTENANCE/*")] == ["6A", "6B"]


async def test_the_rentree_evaluation_survey(sessionmaker, world: World):
    assert "100" in EVALUATED_LEVELS  # sixième: the world's MEF 6EME
    # A student of 5EME is not evaluated.
    await _system_write(
        sessionmaker,
        update(Enrollment)
        .where(Enrollment.id == world.enrollments["eloise"])
        .values(mef_id=world.mef_5),
    )
    students = await _read(
        sessionmaker,
        world,
        "registrar_a",
        evaluation_survey_students,
        world.school_a,
        world.year_id,
    )
    assert [(s.family_name, s.first_name, s.ine) for s in students] == [
        ("Martin", "Lina", "1234567890A"),
        ("Martin", "Noah", None),
    ]
    run, name, content = await _export(
        sessionmaker, world, export_evaluation_survey, world.school_a, world.year_id
    )
    assert name == f"EVA_{world_uai_a()}_2026.csv"
    assert run.format.value == "eva" and run.report == {"without_ine": 1}
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["UAI", "INE", "NOM", "PRENOM", "SEXE", "DATE_NAISSANCE", "CODE_MEF", "DIVISION"],
        [world_uai_a(), "1234567890A", "Martin", "Lina", "F", "14/03/2015", MEF_6, "6A"],
        [world_uai_a(), "", "Martin", "Noah", "M", "02/11/2015", MEF_6, "6B"],
    ]
    principal = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
            await transaction.run(export_evaluation_survey, world.school_a, world.year_id)


# --------------------------------------------------------------------------- GraphQL

LAUNCH = """
mutation($school: Int!, $year: Int!, $day: Date) {
  launchConstat(schoolId: $school, schoolYearId: $year, countedOn: $day) {
    snapshot { id total countedOn }
    errors { field code message }
  }
}
"""

READ = """
query($school: Int!, $year: Int!) {
  headcountSnapshot(schoolId: $school, schoolYearId: $year) {
    total countedOn actorLabel
    byMef: totals(by: MEF) { key label boys girls total }
    mefBySex: crossTab(rows: MEF, columns: SEX) { columnLabels rows { label cells total } total }
    anomalies { kind kindLabel label }
  }
}
"""


async def test_graphql_launch_and_read(gql, world: World):
    body = await gql(
        "registrar_a",
        LAUNCH,
        {"school": world.school_a, "year": world.year_id, "day": "2026-09-15"},
    )
    launched = body["data"]["launchConstat"]
    assert launched["errors"] == [] and launched["snapshot"]["total"] == 3
    again = await gql(
        "principal_a", LAUNCH, {"school": world.school_a, "year": world.year_id, "day": None}
    )
    assert again["data"]["launchConstat"]["errors"][0]["field"] == "schoolYearId"
    read = await gql("rectorat", READ, {"school": world.school_a, "year": world.year_id})
    snapshot = read["data"]["headcountSnapshot"]
    assert (
        snapshot["countedOn"] == "2026-09-15"
        and snapshot["actorLabel"] == "Registrar A (registrar_a)"
    )
    assert snapshot["byMef"] == [{"key": MEF_6, "label": "6EME", "boys": 1, "girls": 2, "total": 3}]
    assert snapshot["mefBySex"]["rows"] == [{"label": "6EME", "cells": [2, 1], "total": 3}]
    assert {a["kind"] for a in snapshot["anomalies"]} == {"no_ine"}
    consolidation = await gql(
        "rectorat",
        "query($y: Int!) { headcountConsolidation(schoolYearId: $y) "
        "{ total byMef { key total } missing { uai } } }",
        {"y": world.year_id},
    )
    assert consolidation["data"]["headcountConsolidation"]["total"] == 3
    assert len(consolidation["data"]["headcountConsolidation"]["missing"]) == 1
    refused = await gql(
        "principal_a",
        "query($y: Int!) { headcountConsolidation(schoolYearId: $y) { total } }",
        {"y": world.year_id},
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --------------------------------------------------------------------------- the command


async def _sconet(database_urls, tmp_path, *args: str) -> Any:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        list(args),
        env=environment(database_urls, tmp_path),
        catch_exceptions=False,
    )


async def test_the_command_launches_shows_and_writes_the_eva_file(
    database_urls, sessionmaker, world: World, tmp_path
):
    school = world_uai_a()
    late = await _sconet(database_urls, tmp_path, "constat", "show", "--school", school)
    assert late.exit_code == 1 and "n'est pas lancé" in late.output
    outside = await _sconet(
        database_urls, tmp_path, "constat", "launch", "--school", school, "--date", "2026-08-01"
    )
    assert outside.exit_code == 1 and "counted_on : Le jour du constat" in outside.output
    launched = await _sconet(
        database_urls, tmp_path, "constat", "launch", "--school", school, "--date", "15/09/2026"
    )
    assert launched.exit_code == 0, launched.output
    assert "Constat de rentrée 2026-2027 figé : 3 élèves présents le 15/09/2026." in (
        launched.output
    )
    again = await _sconet(database_urls, tmp_path, "constat", "launch", "--school", school)
    assert again.exit_code == 1 and "déjà figé" in again.output
    shown = await _sconet(
        database_urls, tmp_path, "constat", "show", "--school", school, "--by", "sex"
    )
    assert shown.exit_code == 0, shown.output
    assert re.search(r"Filles\s+0\s+2\s+2", shown.output)
    assert "Anomalies : 2" in shown.output and "Sans INE : Martin Noah" in shown.output
    target = tmp_path / "eva.csv"
    eva = await _sconet(
        database_urls, tmp_path, "constat", "eva", "--school", school, "--output", str(target)
    )
    assert eva.exit_code == 0, eva.output
    assert "3 élèves, dont 2 sans INE" in eva.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbfUAI;INE;NOM")
    sts = await _sconet(
        database_urls,
        tmp_path,
        "export", "effectifs", "--school", school, "--output", str(tmp_path / "e.zip"),
    )  # fmt: skip
    assert sts.exit_code == 0, sts.output
    assert zipfile.is_zipfile(tmp_path / "e.zip")


async def test_graphql_comparison(gql, sessionmaker, world: World):
    await _last_years_constat(sessionmaker, world)
    await _launch(sessionmaker, world)
    body = await gql(
        "principal_a",
        "query($y: Int!, $s: Int!) { headcountComparison(schoolYearId: $y, schoolId: $s) "
        "{ previousTotal currentTotal difference previousFrozen "
        "rows { key previous current difference } } }",
        {"y": world.year_id, "s": world.school_a},
    )
    comparison = body["data"]["headcountComparison"]
    assert comparison["previousTotal"] == 6 and comparison["currentTotal"] == 3
    assert comparison["difference"] == -3 and comparison["previousFrozen"] is True
    assert comparison["rows"][0] == {"key": MEF_6, "previous": 2, "current": 3, "difference": 1}
