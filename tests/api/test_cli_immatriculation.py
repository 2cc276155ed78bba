"""``sconet export ine`` and ``sconet import ine`` against the test world's database: the
students without an INE are sent (one request each, named in the file), the base's answers
are previewed, then applied with --apply (the INE set, the requests answered) and the
acknowledgement is recorded and written."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select

from db.exchanges import ExchangeFile, ExchangeFormat, ExchangeRun, ExchangeState
from db.immatriculation import ImmatriculationOutcome, IneRequest
from db.students import Student
from exchanges import bea_files
from exchanges.records import FileHeader, IneReturnRecord
from tests.api.test_cli_transfers import _sconet
from tests.world import World, uai

SCHOOL = uai("0930001")


def _xml(content: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (name,) = archive.namelist()
        return etree.fromstring(archive.read(name))


def _returns(answers: list[IneReturnRecord]) -> bytes:
    header = FileHeader("", None, SCHOOL, 2026, date(2026, 10, 1))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Immatriculations.xml", bea_files.returns_bytes(header, answers))
    return buffer.getvalue()


async def _requests(sessionmaker) -> dict[int, IneRequest]:
    async with sessionmaker() as session:
        return {r.student_id: r for r in (await session.scalars(select(IneRequest))).all()}


async def test_export_then_import_with_acknowledgement(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    sent_file = tmp_path / "demandes.zip"
    sent = await _sconet(
        database_urls, tmp_path, "export", "ine", "--school", SCHOOL, "--output", str(sent_file)
    )
    assert sent.exit_code == 0, sent.output
    assert "students : " in sent.output and "écrits 2" in sent.output
    requests = await _requests(sessionmaker)
    noah, eloise = world.students["noah"], world.students["eloise"]
    # Lina has an INE: Noah and Éloïse only, each named by his request in the file.
    assert set(requests) == {noah, eloise}
    async with sessionmaker() as session:
        export = await session.scalar(
            select(ExchangeRun).where(ExchangeRun.format == ExchangeFormat.INE_REQUESTS)
        )
    assert export is not None and f"Export n° {export.id} écrit dans {sent_file}" in sent.output
    assert {r.sent_run_id for r in requests.values()} == {export.id}
    assert all(r.answered_at is None for r in requests.values())
    demands = {
        e.get("DEMANDE_ID"): e.findtext("PRENOM")
        for e in _xml(sent_file.read_bytes()).iterfind("DONNEES/DEMANDES/DEMANDE")
    }
    assert demands == {str(requests[noah].id): "Noah", str(requests[eloise].id): "Éloïse"}
    # Everyone is waiting: nothing more to send, the command says why.
    again = await _sconet(database_urls, tmp_path, "export", "ine", "--school", SCHOOL)
    assert again.exit_code == 1 and "export : Aucun élève à signaler" in again.output

    returned = tmp_path / "Immatriculations.zip"
    returned.write_bytes(
        _returns(
            [
                IneReturnRecord(str(requests[noah].id), bea_files.ASSIGNED, "123456789ab", None),
                IneReturnRecord(
                    str(requests[eloise].id), bea_files.REJECTED, None, "Lieu de naissance"
                ),
                IneReturnRecord("999999", bea_files.ASSIGNED, "1234567890Z", None),
            ]
        )
    )
    preview = await _sconet(
        database_urls, tmp_path, "import", "ine", str(returned), "--school", SCHOOL
    )
    assert preview.exit_code == 0, preview.output
    assert "ine_request : créés 0, modifiés 2, inchangés 0, retirés 0, refusés 1" in preview.output
    assert "DEMANDE_ID : La demande 999999 n'est pas une demande de l'établissement" in (
        preview.output
    )
    assert "Prévisualisation n°" in preview.output
    async with sessionmaker() as session:
        assert (await session.get(Student, noah)).ine is None  # type: ignore[union-attr]
    assert all(r.answered_at is None for r in (await _requests(sessionmaker)).values())

    acknowledgement_file = tmp_path / "accuse.zip"
    applied = await _sconet(
        database_urls,
        tmp_path,
        *["import", "ine", str(returned), "--school", SCHOOL, "--apply"],
        *["--acknowledgement", str(acknowledgement_file)],
    )
    assert applied.exit_code == 0, applied.output
    assert "appliqué" in applied.output
    async with sessionmaker() as session:
        student = await session.get(Student, noah)
        assert student is not None and student.ine == "123456789AB"
        imported = await session.scalar(
            select(ExchangeRun).where(
                ExchangeRun.format == ExchangeFormat.INE_RETURNS,
                ExchangeRun.state == ExchangeState.APPLIED,
            )
        )
        assert imported is not None
        acknowledgement = await session.get(ExchangeRun, imported.report["acknowledgement_run_id"])
        assert acknowledgement is not None
        assert acknowledgement.format == ExchangeFormat.INE_ACKNOWLEDGEMENTS
        stored = await session.get(ExchangeFile, acknowledgement.id)
        assert stored is not None
    requests = await _requests(sessionmaker)
    assert (requests[noah].outcome, requests[noah].ine) == (
        ImmatriculationOutcome.ASSIGNED,
        "123456789AB",
    )
    assert (requests[eloise].outcome, requests[eloise].message) == (
        ImmatriculationOutcome.REJECTED,
        "Lieu de naissance",
    )
    assert {r.answered_run_id for r in requests.values()} == {imported.id}
    assert f"Accusé de réception n° {acknowledgement.id}" in applied.output
    assert f"écrit dans {acknowledgement_file}" in applied.output
    # The file written is the one recorded with the run.
    assert acknowledgement_file.read_bytes() == stored.content
    states = {
        e.get("DEMANDE_ID"): e.findtext("ETAT")
        for e in _xml(acknowledgement_file.read_bytes()).iter("ACCUSE")
    }
    assert states == {
        str(requests[noah].id): bea_files.TAKEN,
        str(requests[eloise].id): bea_files.TAKEN,
        "999999": bea_files.REFUSED,
    }

    # The same file again answers nothing new: the requests keep their first answer.
    known_only = tmp_path / "Immatriculations-2.zip"
    known_only.write_bytes(
        _returns([IneReturnRecord(str(requests[noah].id), bea_files.ASSIGNED, "123456789AB", None)])
    )
    twice = await _sconet(
        database_urls, tmp_path, "import", "ine", str(known_only), "--school", SCHOOL, "--apply"
    )
    assert twice.exit_code == 0, twice.output
    assert "inchangés 1" in twice.output and "Accusé de réception" not in twice.output
    assert {r.answered_run_id for r in (await _requests(sessionmaker)).values()} == {imported.id}
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count(ExchangeRun.id)).where(
                ExchangeRun.format == ExchangeFormat.INE_ACKNOWLEDGEMENTS
            )
        )
    assert count == 1
