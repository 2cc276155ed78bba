"""``sconet import`` and ``sconet export`` against the test world's database (issue 12, point
7): a preview changes nothing, --apply imports, a refused file stops the command with its
reason and line, an export writes the zip and is recorded in the history."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from api.cli import main
from db.exchanges import ExchangeDirection, ExchangeRun, ExchangeState
from db.students import Student
from exchanges.xml_writing import zipped
from tests.api.exchanges.siecle.files import students_zip
from tests.api.test_cli import environment
from tests.world import World, uai


async def _sconet(database_urls, tmp_path: Path, *args: str) -> Result:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        list(args),
        env=environment(database_urls, tmp_path),
        catch_exceptions=False,
    )


async def _count(sessionmaker, column) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count(column))) or 0)


async def test_import_previews_then_applies(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    name, content = students_zip(uai("0930001"), 2, unknown_mef_for="1001")
    path = tmp_path / name
    path.write_bytes(content)
    students_before = await _count(sessionmaker, Student.id)

    result = await _sconet(
        database_urls, tmp_path, "import", "eleves", str(path), "--school", uai("0930001")
    )
    assert result.exit_code == 0, result.output
    assert "student : créés 3" in result.output
    assert "refusé : ligne" in result.output and "ELEVE 1001, CODE_MEF" in result.output
    assert "Prévisualisation n°" in result.output
    assert await _count(sessionmaker, Student.id) == students_before

    result = await _sconet(
        database_urls,
        tmp_path,
        "import",
        "eleves",
        str(path),
        "--school",
        uai("0930001"),
        "--apply",
    )
    assert result.exit_code == 0, result.output
    assert "appliqué" in result.output
    assert await _count(sessionmaker, Student.id) == students_before + 3
    async with sessionmaker() as session:
        states = list(await session.scalars(select(ExchangeRun.state).order_by(ExchangeRun.id)))
    # The first preview was replaced by the second, which was applied.
    assert states == [ExchangeState.ABANDONED, ExchangeState.APPLIED]


async def test_a_refused_file_exits_1_with_its_reason_and_line(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "autre.zip"
    path.write_bytes(students_zip(uai("0930002"), 1)[1])
    result = await _sconet(
        database_urls, tmp_path, "import", "eleves", str(path), "--school", uai("0930001")
    )
    assert result.exit_code == 1
    assert f"fichier refusé : Ce fichier est celui de l'établissement {uai('0930002')}" in (
        result.output
    )

    # A malformed XML names its line.
    _name, broken = zipped("ElevesAvecAdresses.xml", b'<?xml version="1.0"?>\n<BEE_ELEVES>\n<')
    path.write_bytes(broken)
    result = await _sconet(
        database_urls, tmp_path, "import", "eleves", str(path), "--school", uai("0930001")
    )
    assert result.exit_code == 1
    assert "fichier refusé" in result.output and "(ligne 3)" in result.output

    # An unknown school is named.
    result = await _sconet(
        database_urls, tmp_path, "import", "eleves", str(path), "--school", uai("0939999")
    )
    assert result.exit_code == 1 and f"Aucun établissement {uai('0939999')}" in result.output
    async with sessionmaker() as session:
        states = list(await session.scalars(select(ExchangeRun.state)))
    assert states == [ExchangeState.REFUSED, ExchangeState.REFUSED]


async def test_export_writes_the_zip_and_records_it(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    output = tmp_path / "export" / "eleves.zip"
    output.parent.mkdir()
    result = await _sconet(
        database_urls,
        tmp_path,
        "export",
        "eleves",
        "--school",
        uai("0930001"),
        "--year",
        "2026",
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    assert f"écrit dans {output}" in result.output
    with zipfile.ZipFile(io.BytesIO(output.read_bytes())) as archive:
        xml = archive.read("ElevesSansAdresses.xml")
    assert f"<UAJ>{uai('0930001')}</UAJ>".encode() in xml
    async with sessionmaker() as session:
        run = await session.scalar(select(ExchangeRun))
    assert run is not None
    assert run.direction == ExchangeDirection.EXPORT and run.state == ExchangeState.WRITTEN
    assert run.actor_label and run.file_name == "ElevesSansAdresses.zip"

    result = await _sconet(
        database_urls,
        tmp_path,
        "export",
        "structures",
        "--school",
        uai("0930001"),
        "--year",
        "1990",
    )
    assert result.exit_code == 1 and "--year" in result.output
