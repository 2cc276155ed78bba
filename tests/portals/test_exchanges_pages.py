"""The "Échanges" screen over HTTP (issue 12, point 7): who reaches it, an import previewed then
applied, its CSV report, an export produced and downloaded again, and files too big for it."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile

from sqlalchemy import select, update

from api.resolvers.delegations import set_staff_rights
from api.resolvers.exchanges.runs import MAX_FILE_BYTES
from db.delegations import Right
from db.exchanges import ExchangeRun, ExchangeState
from db.students import Student
from tests.api.exchanges.siecle.files import students_zip
from tests.portals.conftest import Portal, csrf_of
from tests.world import World, uai

RUN_URL = re.compile(r"/echanges/(\d+)")


async def _upload(
    portal: Portal, name: str, content: bytes, format: str = "bee_eleves"
) -> tuple[int, str]:
    """Posts the import form; the run's id (0 when the form was refused) and the page."""
    page = await portal.get("/echanges")
    assert page.status_code == 200, page.text
    answer = await portal.http.post(
        "/echanges/import",
        data={"csrf_token": csrf_of(page.text), "format": format},
        files={"fichier": (name, content, "application/zip")},
    )
    if answer.status_code == 303:
        match = RUN_URL.search(answer.headers["location"])
        assert match
        detail = await portal.get(answer.headers["location"])
        return int(match.group(1)), html.unescape(detail.text)
    return 0, html.unescape(answer.text)


async def test_a_teacher_and_a_cpe_without_the_right_are_refused(portal, world, sessionmaker):
    await portal.login("teacher_a")
    assert (await portal.get("/echanges")).status_code == 403
    page = await portal.get("/")
    assert 'href="/echanges"' not in page.text

    # The CPE consults and exports by default: the screen offers the exports, no import.
    principal = await world.principal(sessionmaker, "principal_a")
    portal.http.cookies.clear()
    await portal.login("cpe_a")
    page = await portal.get("/echanges")
    assert page.status_code == 200
    assert 'action="/echanges/export"' in page.text
    assert 'action="/echanges/import"' not in page.text

    # Without "Base élèves — consultation export", the screen is closed to him.
    async with sessionmaker() as session, session.begin():
        await set_staff_rights(
            session,
            principal,
            world.school_a,
            world.users["cpe_a"],
            [Right.STUDENTS_CONSULT, Right.ABSENCES_ENTRY],
        )
    assert (await portal.get("/echanges")).status_code == 403
    forbidden = await portal.http.post(
        "/echanges/export", data={"csrf_token": csrf_of(page.text), "export": "structures"}
    )
    assert forbidden.status_code == 403


async def test_preview_apply_and_the_csv_report(portal, world: World):
    await portal.login("registrar_a")
    name, content = students_zip(uai("0930001"), 2, unknown_mef_for="1001")
    run_id, page = await _upload(portal, name, content)
    assert run_id, page
    assert "En attente d'application" in page
    assert "99999999999" in page  # the refused record, with its MEF code

    report = await portal.get(f"/echanges/{run_id}/rapport.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert f'filename="rapport-echange-{run_id}.csv"' in report.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["rubrique", "élément", "identifiant", "champ", "ligne", "message"]
    refused = [row for row in rows if row[0] == "refusé"]
    assert len(refused) == 1 and refused[0][2] == "1001" and refused[0][4].isdigit()
    assert any(row[0] == "Créé" and row[1] == "student" for row in rows)

    # The file of an import waiting to be applied can be downloaded again.
    stored = await portal.get(f"/echanges/{run_id}/fichier")
    assert stored.status_code == 200 and stored.content == content

    applied = await portal.post_form(f"/echanges/{run_id}", f"/echanges/{run_id}/appliquer", {})
    assert applied.status_code == 303
    page = html.unescape((await portal.get(applied.headers["location"])).text)
    assert "Import appliqué." in page and "Appliqué" in page
    assert f'href="/echanges/{run_id}/fichier"' not in page  # the file is not kept
    again = await portal.post_form(f"/echanges/{run_id}", f"/echanges/{run_id}/appliquer", {})
    assert again.status_code == 400
    assert "n'est pas (ou plus) en attente" in html.unescape(again.text)

    history = (await portal.get("/echanges")).text
    assert f'href="/echanges/{run_id}"' in history and "ElevesAvecAdresses.zip" in history


async def test_another_schools_file_is_refused_whole(portal, world: World):
    await portal.login("registrar_a")
    run_id, page = await _upload(portal, *students_zip(uai("0930002"), 1))
    assert run_id
    assert "Fichier refusé" in page and uai("0930002") in page
    report = await portal.get(f"/echanges/{run_id}/rapport.csv")
    assert "fichier refusé" in report.content.decode("utf-8-sig")


async def test_form_errors_name_their_fields(portal, world: World):
    await portal.login("registrar_a")
    page = await portal.get("/echanges")
    answer = await portal.http.post(
        "/echanges/import", data={"csrf_token": csrf_of(page.text), "format": "bee_eleves"}
    )
    assert answer.status_code == 400
    assert '<a href="#champ-fichier">' in answer.text
    assert 'aria-describedby="aide-fichier erreur-fichier"' in answer.text
    assert answer.text.count("<title>Erreur") == 1

    answer = await portal.http.post(
        "/echanges/export",
        data={"csrf_token": csrf_of(page.text), "export": "inconnu", "school_year_id": "x"},
    )
    assert answer.status_code == 400
    assert '<a href="#champ-export">' in answer.text
    assert '<a href="#champ-school_year_id">' in answer.text


async def test_export_produced_then_downloaded_again(portal, world: World, sessionmaker):
    await portal.login("registrar_a")
    answer = await portal.post_form(
        "/echanges",
        "/echanges/export",
        {"export": "eleves_sans_adresses", "school_year_id": str(world.year_id)},
    )
    assert answer.status_code == 303, answer.text
    run_id = int(RUN_URL.search(answer.headers["location"]).group(1))  # type: ignore[union-attr]
    page = (await portal.get(answer.headers["location"])).text
    assert "Export produit." in page and "Produit" in page and "Écrits" in page
    stored = await portal.get(f"/echanges/{run_id}/fichier")
    assert stored.status_code == 200
    assert stored.headers["content-disposition"] == 'attachment; filename="ElevesSansAdresses.zip"'
    with zipfile.ZipFile(io.BytesIO(stored.content)) as archive:
        (xml_name,) = archive.namelist()
        xml = archive.read(xml_name)
    assert xml.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    assert uai("0930001").encode() in xml

    # A student born in France without an INSEE commune cannot be written: the export is
    # refused, naming him, and nothing is recorded.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Student)
            .where(Student.id == world.students["noah"])
            .values(birth_commune_code=None)
        )
    answer = await portal.post_form(
        "/echanges",
        "/echanges/export",
        {"export": "eleves_sans_adresses", "school_year_id": str(world.year_id)},
    )
    assert answer.status_code == 400
    assert '<a href="#champ-export">' in answer.text and "Martin Noah" in html.unescape(answer.text)
    async with sessionmaker() as session:
        runs = (await session.scalars(select(ExchangeRun))).all()
    assert [r.state for r in runs] == [ExchangeState.WRITTEN]


async def test_too_big_files_are_refused(portal, world: World):
    await portal.login("registrar_a")
    # Past the body limit of the import (33 MiB): refused before it is read.
    page = await portal.get("/echanges")
    answer = await portal.http.post(
        "/echanges/import",
        data={"csrf_token": csrf_of(page.text), "format": "bee_eleves"},
        files={"fichier": ("gros.zip", b"0" * (34 * 1024 * 1024), "application/zip")},
    )
    assert answer.status_code == 413
    # Within the body limit but past the domain's bound (32 MiB): a refused run says so.
    run_id, page_text = await _upload(portal, "gros.zip", b"0" * (MAX_FILE_BYTES + 10))
    assert run_id and "Le fichier dépasse 32 Mo." in page_text


async def test_the_academy_administrator_loads_the_schools_csv(portal, world: World, sessionmaker):
    """The académie's own files (schools, nomenclatures) on the same screen, for its
    administrator, who works without a school."""
    await portal.login("admin")
    page = html.unescape((await portal.get("/echanges")).text)
    assert "Établissements de l'académie (CSV)" in page
    assert "Nomenclatures (BEE_NOMENCLATURES, SIECLE)" in page
    assert "Élèves (BEE_ELEVES, SIECLE)" not in page
    content = (
        "uai;nom;nature;secteur;code_postal;commune;zone\n"
        f"{uai('0750654')};Lycée Condorcet;LGT;public;75009;Paris;C\n"
        "0750655A;Lycée X;LGT;;75009;Paris;\n"
    ).encode("cp1252")
    run_id, page = await _upload(portal, "etablissements.csv", content, "schools_csv")
    assert run_id, page
    assert "En attente d'application" in page and "Colonne uai" in page
    applied = await portal.post_form(f"/echanges/{run_id}", f"/echanges/{run_id}/appliquer", {})
    assert applied.status_code == 303
    assert "Import appliqué." in html.unescape((await portal.get(applied.headers["location"])).text)
    listing = html.unescape((await portal.get("/etablissements")).text)
    assert "Lycée Condorcet" in listing


async def test_an_sts_import_points_to_the_teachers_to_invite(portal, world: World):
    from datetime import date

    from exchanges.records import DivisionRecord, FileHeader, ServiceRecord, TeacherRecord
    from exchanges.sts_writing import structures_bytes
    from exchanges.xml_writing import structures_file_name, zipped

    header = FileHeader("STS_EDT", None, uai("0930001"), 2026, date(2026, 9, 1))
    data = structures_bytes(
        header,
        [
            DivisionRecord(
                "6C",
                "6e C",
                24,
                ("10010012110",),
                (ServiceRecord("030201", ("77",)),),
            )
        ],
        [],
        [TeacherRecord("77", "epp", "Mme", "NGUYEN", "Anh", "anh.nguyen@example.fr")],
    )
    await portal.login("principal_a")
    name, content = zipped(structures_file_name(uai("0930001"), 2026), data)
    run_id, page = await _upload(portal, name, content, "sts_edt")
    assert run_id, page
    applied = await portal.post_form(f"/echanges/{run_id}", f"/echanges/{run_id}/appliquer", {})
    assert applied.status_code == 303, html.unescape(applied.text)[-3000:]
    page = html.unescape((await portal.get(applied.headers["location"])).text)
    assert "1 compte(s) enseignant(s) créé(s) sans mot de passe" in page
    assert 'href="/divisions/services#invitations"' in page


async def test_structures_with_a_refused_record_cannot_be_applied(portal, world: World):
    from datetime import date

    from exchanges.records import DivisionRecord, FileHeader, ServiceRecord
    from exchanges.sts_writing import structures_bytes
    from exchanges.xml_writing import structures_file_name, zipped

    header = FileHeader("STS_EDT", None, uai("0930001"), 2026, date(2026, 9, 1))
    # The service names a teacher the file does not list.
    division = DivisionRecord(
        "6C", "6e C", 24, ("10010012110",), (ServiceRecord("030201", ("9",)),)
    )
    data = structures_bytes(header, [division], [], [])
    await portal.login("principal_a")
    run_id, page = await _upload(
        portal, *zipped(structures_file_name(uai("0930001"), 2026), data), "sts_edt"
    )
    assert run_id, page
    assert "Ce fichier ne peut pas être appliqué" in page
    assert "Appliquer l'import" not in page
