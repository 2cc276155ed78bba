"""Lists and extractions: CSV, XLSX and the PDF class list, over HTTP and at the domain level."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update

from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.exports.class_list import write_class_list
from api.exports.columns import COLUMNS, DEFAULT_COLUMNS
from api.exports.rows import ColumnDenied, ExportRow, ExportTable, Population, export_rows
from api.exports.tabular import write_csv, write_xlsx
from core.errors import NotFound, ValidationFailed
from db.accounts import Role
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.students import Sex
from tests.api.conftest import GraphQLClient, StatementCounter
from tests.world import World, build_world

DEFAULT_HEADER = ["Nom", "Prénom", "Sexe", "Date de naissance", "Division", "MEF", "Régime"]


@pytest.fixture
async def big_world(sessionmaker) -> World:
    """6A with 42 students; Noah (6B) also joins the group ESP2, which then has 2."""
    world = await build_world(sessionmaker, extra_students_a1=40)
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        session.add(
            EnrollmentGroup(enrollment_id=world.enrollments["noah"], group_id=world.group_a)
        )
    return world


@pytest.fixture
async def big_client(app, big_world) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


async def fetch(
    client: GraphQLClient, login: str | None, path: str, **params: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {await client.token(login)}"} if login else {}
    query = {key: str(value) for key, value in params.items()}
    return await client.http.get(f"/exports/{path}", params=query, headers=headers)


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM expected"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def pdf_text(response: httpx.Response) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(response.content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def assert_personal_file_headers(
    response: httpx.Response, content_type: str, filename: str
) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["cache-control"] == "no-store"


# --------------------------------------------------------------------------- CSV


async def test_csv_of_a_division_has_french_headers_and_accents(gql, world):
    response = await fetch(gql, "registrar_a", "students.csv", division=world.division_a1)
    assert_personal_file_headers(response, "text/csv; charset=utf-8", "eleves-6A-2026-2027.csv")
    assert b"\r\n" in response.content
    assert csv_rows(response) == [
        DEFAULT_HEADER,
        ["Élan", "Éloïse", "F", "30/06/2015", "6A", "6EME", "Demi-pensionnaire"],
        ["Martin", "Lina", "F", "14/03/2015", "6A", "6EME", "Demi-pensionnaire"],
    ]


async def test_chosen_columns_are_respected_in_their_order(gql, world):
    columns = (
        "ine,prenom,nom,groupes,responsable1,responsable2,email_responsable1,"
        "telephone_responsable1,lieu_naissance,code_mef,date_entree,prenoms,nom_usage"
    )
    response = await fetch(
        gql, "cpe_a", "students.csv", division=world.division_a1, columns=columns
    )
    header, eloise, lina = csv_rows(response)
    assert header == [
        "INE",
        "Prénom",
        "Nom",
        "Groupes",
        "Responsable légal 1",
        "Responsable légal 2",
        "Courriel du responsable légal 1",
        "Téléphone du responsable légal 1",
        "Lieu de naissance",
        "Code MEF",
        "Date d'entrée",
        "Prénoms",
        "Nom d'usage",
    ]
    assert lina == [
        "1234567890A",
        "Lina",
        "Martin",
        "ESP2",
        "Mme MARTIN Claire",
        "M. MARTIN Paul",
        "claire.martin@example.fr",
        "06 12 34 56 78",
        "Montreuil (93048)",
        "10010012110",
        "01/09/2026",
        "Lina",
        "",
    ]
    assert eloise[:6] == ["", "Éloïse", "Élan", "", "Mme ÉLAN Sophie", ""]
    # Keys are case-insensitive, spaces ignored, repeats dropped.
    response = await fetch(
        gql, "cpe_a", "students.csv", division=world.division_a1, columns=" SEXE, nom ,sexe"
    )
    assert csv_rows(response)[0] == ["Sexe", "Nom"]


async def test_unknown_column_is_a_400_naming_columns(gql, world):
    response = await fetch(
        gql, "registrar_a", "students.csv", division=world.division_a1, columns="nom,age,couleur"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "columns"
    assert error["code"] == "UNKNOWN"
    assert "« age »" in error["message"] and "« couleur »" in error["message"]


async def test_bad_population_parameters_are_400_naming_the_parameter(gql, world):
    response = await fetch(gql, "registrar_a", "students.csv", division="6A")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "division"
    response = await fetch(
        gql, "registrar_a", "students.csv", division=world.division_a1, group=world.group_a
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "group"
    response = await fetch(gql, "registrar_a", "students.csv", mef=world.mef_6)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "school"
    response = await fetch(gql, "registrar_a", "students.csv")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "school"
    # A division belongs to its year: asking it for another year is an error.
    response = await fetch(
        gql, "registrar_a", "students.csv", division=world.division_a1, year=world.closed_year_id
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "year" and "2026-2027" in error["message"]


# --------------------------------------------------------------------------- populations


async def test_group_mef_and_whole_school_populations(gql, world):
    response = await fetch(gql, "principal_a", "students.csv", group=world.group_a)
    assert_personal_file_headers(
        response, "text/csv; charset=utf-8", "eleves-groupe-ESP2-2026-2027.csv"
    )
    assert [row[:2] for row in csv_rows(response)[1:]] == [["Martin", "Lina"]]

    response = await fetch(
        gql, "principal_a", "students.csv", mef=world.mef_6, school=world.school_a
    )
    assert response.headers["content-disposition"].endswith('"eleves-mef-6EME-2026-2027.csv"')
    assert [row[1] for row in csv_rows(response)[1:]] == ["Éloïse", "Lina", "Noah"]

    response = await fetch(
        gql, "principal_a", "students.csv", mef=world.mef_5, school=world.school_a
    )
    assert csv_rows(response) == [DEFAULT_HEADER]

    response = await fetch(
        gql, "principal_a", "students.csv", school=world.school_a, columns="nom,prenom,division"
    )
    assert response.status_code == 200
    assert csv_rows(response)[1:] == [
        ["Élan", "Éloïse", "6A"],
        ["Martin", "Lina", "6A"],
        ["Martin", "Noah", "6B"],
    ]
    # A division given with its own school is fine; the year defaults to the current one.
    response = await fetch(
        gql, "principal_a", "students.csv", division=world.division_a2, school=world.school_a
    )
    assert [row[1] for row in csv_rows(response)[1:]] == ["Noah"]
    # Last year: nobody was enrolled.
    response = await fetch(
        gql, "principal_a", "students.csv", school=world.school_a, year=world.closed_year_id
    )
    assert response.status_code == 200
    assert csv_rows(response) == [DEFAULT_HEADER]
    assert "2025-2026" in response.headers["content-disposition"]


async def test_departed_students_only_on_request(gql, world, sessionmaker):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(
            update(Enrollment)
            .where(Enrollment.id == world.enrollments["lina"])
            .values(exit_date=date(2027, 1, 15))
        )
    response = await fetch(
        gql, "registrar_a", "students.csv", division=world.division_a1, columns="prenom,date_sortie"
    )
    assert csv_rows(response) == [["Prénom", "Date de sortie"], ["Éloïse", ""]]
    response = await fetch(
        gql,
        "registrar_a",
        "students.csv",
        division=world.division_a1,
        columns="prenom,date_sortie",
        include_departed=1,
    )
    assert csv_rows(response)[1:] == [["Éloïse", ""], ["Lina", "15/01/2027"]]


# --------------------------------------------------------------------------- XLSX


async def test_xlsx_has_bold_frozen_header_real_dates_and_a_titled_sheet(gql, world):
    response = await fetch(
        gql,
        "registrar_a",
        "students.xlsx",
        division=world.division_a1,
        columns="nom,prenom,date_naissance,groupes,regime",
    )
    assert_personal_file_headers(
        response,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "eleves-6A-2026-2027.xlsx",
    )
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "Division 6A 2026-2027"
    assert workbook.properties.title == "Division 6A — Collège Jean Moulin — 2026-2027"
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == ["Nom", "Prénom", "Date de naissance", "Groupes", "Régime"]
    assert all(cell.font.bold for cell in sheet[1])
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        ["Élan", "Éloïse", datetime(2015, 6, 30), None, "Demi-pensionnaire"],
        ["Martin", "Lina", datetime(2015, 3, 14), "ESP2", "Demi-pensionnaire"],
    ]
    born = sheet["C2"]
    assert born.is_date and born.number_format == "DD/MM/YYYY"
    assert not sheet["B2"].font.bold
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths["C"] >= len("Date de naissance")
    assert widths["E"] >= len("Demi-pensionnaire")


def hand_made_table(keys: list[str], rows: list[ExportRow]) -> ExportTable:
    return ExportTable(
        kind="division",
        label="Division 6A",
        school_name="Collège Jean Moulin",
        school_uai="0930001W",
        school_city="Montreuil",
        year_label="2026-2027",
        slug="6A",
        columns=[COLUMNS[key] for key in keys],
        rows=rows,
    )


def test_writers_keep_formula_like_text_inert():
    table = hand_made_table(
        ["nom", "email_responsable1", "date_naissance"],
        [ExportRow(("=HYPERLINK(1)", "+33 6", date(2015, 1, 2)), Sex.F)],
    )
    text = write_csv(table).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=HYPERLINK(1);'+33 6;02/01/2015"
    sheet = load_workbook(io.BytesIO(write_xlsx(table))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=HYPERLINK(1)"


def test_pdf_prints_names_beyond_winansi_without_boxes():
    table = hand_made_table(
        ["nom", "prenom"],
        [
            ExportRow(("Œuvray", "Zoë"), Sex.F),
            ExportRow(("Şahin", "Łukasz"), Sex.M),
            ExportRow(("Nguyễn", "Thị <b>"), Sex.F),
        ],
    )
    text = PdfReader(io.BytesIO(write_class_list(table, date(2026, 9, 14)))).pages[0].extract_text()
    assert "Œuvray" in text and "Zoë" in text
    assert "Sahin" in text and "Lukasz" in text and "Nguyen" in text and "Thi <b>" in text
    assert "■" not in text
    assert "Édité le 14/09/2026" in text
    assert "Effectif : 3 élèves — 1 garçon, 2 filles" in text


# --------------------------------------------------------------------------- PDF


async def test_pdf_class_list_of_a_division(gql, world):
    response = await fetch(gql, "principal_a", "class-list.pdf", division=world.division_a1)
    assert_personal_file_headers(response, "application/pdf", "liste-6A-2026-2027.pdf")
    reader, text = pdf_text(response)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    for expected in (
        "Collège Jean Moulin",
        "UAI 0930001",
        "Liste de classe — Division 6A",
        "Année scolaire 2026-2027",
        "Édité le",
        "N°",
        "Né(e) le",
        "Régime",
        "Élan",
        "Éloïse",
        "Martin",
        "Lina",
        "30/06/2015",
        "page 1 / 1",
        "Effectif : 2 élèves — 0 garçon, 2 filles",
    ):
        assert expected in text, expected
    assert "Noah" not in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Division 6A — Collège Jean Moulin — 2026-2027"


async def test_pdf_adds_chosen_columns_and_turns_landscape_when_wide(gql, world):
    response = await fetch(
        gql,
        "principal_a",
        "class-list.pdf",
        group=world.group_a,
        columns="nom,ine,division,responsable1",
    )
    assert response.headers["content-disposition"].endswith('"liste-groupe-ESP2-2026-2027.pdf"')
    reader, text = pdf_text(response)
    assert "Liste de groupe — Groupe ESP2" in text
    assert "1234567890A" in text and "Mme MARTIN Claire" in text
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # 8 columns: landscape
    assert "Effectif : 1 élève — 0 garçon, 1 fille" in text


async def test_pdf_of_many_students_repeats_the_header_and_numbers_pages(big_client, big_world):
    response = await fetch(
        big_client, "principal_a", "class-list.pdf", division=big_world.division_a1
    )
    reader, _text = pdf_text(response)
    assert len(reader.pages) == 2
    pages = [page.extract_text() for page in reader.pages]
    for number, page in enumerate(pages, start=1):
        assert f"page {number} / 2" in page
        assert "Né(e) le" in page and "Collège Jean Moulin" in page
    assert "Effectif : 42 élèves — 20 garçons, 22 filles" in pages[-1]


# --------------------------------------------------------------------------- access


async def test_anonymous_is_401(gql, world):
    for path in ("students.csv", "students.xlsx", "class-list.pdf"):
        response = await fetch(gql, None, path, division=world.division_a1)
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "UNAUTHENTICATED"
        assert response.headers["cache-control"] == "no-store"
    response = await gql.http.get(
        "/exports/students.csv",
        params={"division": world.division_a1},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401


async def test_roles_without_the_export_permission_get_403(gql, world):
    # A teacher reads the 6A taught, but exports nothing; bursar and rectorat neither.
    for login in ("teacher_a", "bursar_a", "rectorat"):
        for path in ("students.csv", "students.xlsx", "class-list.pdf"):
            response = await fetch(gql, login, path, division=world.division_a1)
            assert response.status_code == 403, (login, path)
            [error] = response.json()["errors"]
            assert error["code"] == "FORBIDDEN"
            assert "Martin" not in response.text


async def test_another_schools_ids_behave_like_unknown_ones(gql, world):
    unknown = await fetch(gql, "principal_b", "students.csv", division=999999)
    assert unknown.status_code == 404
    for params in (
        {"division": world.division_a1},
        {"division": world.division_a1, "school": world.school_b},
        {"group": world.group_a},
        {"school": world.school_a},
        {"mef": world.mef_6, "school": world.school_a},
    ):
        for path in ("students.csv", "students.xlsx", "class-list.pdf"):
            response = await fetch(gql, "principal_b", path, **params)
            assert response.status_code == 404, (params, path)
            assert "Martin" not in response.text and "Moulin" not in response.text
            if "division" in params and path == "students.csv":
                assert response.json() == unknown.json()
    # Principal of A cannot reach B's division either, even naming its own school.
    response = await fetch(
        gql, "principal_a", "students.csv", division=world.division_b1, school=world.school_a
    )
    assert response.status_code == 404
    # School B's own list is Jade only.
    response = await fetch(gql, "principal_b", "students.csv", school=world.school_b)
    assert [row[1] for row in csv_rows(response)[1:]] == ["Jade"]


async def test_contact_columns_need_guardian_contacts_in_the_school(gql, world, sessionmaker):
    # No right that exports lacks guardians' contacts: build such a principal by hand.
    exporting = Principal(
        kind="staff",
        id=world.users["cpe_a"],
        label="CPE construit",
        academy_id=world.academy_id,
        grants=frozenset({(world.school_a, Role.CPE)}),
    ).permissions_in(world.school_a)
    principal = Principal(
        kind="staff",
        id=world.users["cpe_a"],
        label="CPE construit",
        academy_id=world.academy_id,
        grants=frozenset({(world.school_a, Role.CPE)}),
        school_permissions={world.school_a: exporting - {Permission.GUARDIAN_CONTACTS_READ}},
    )
    assert principal.has(Permission.STUDENTS_EXPORT)
    assert Permission.GUARDIAN_CONTACTS_READ not in principal.permissions_in(world.school_a)
    population = Population(division_id=world.division_a1)
    async with sessionmaker() as session:
        with pytest.raises(ColumnDenied) as denied:
            await export_rows(session, principal, population, ["nom", "telephone_responsable1"])
        assert denied.value.column.key == "telephone_responsable1"
        assert "« telephone_responsable1 »" in denied.value.message
        # Guardians' names are not contacts.
        table = await export_rows(session, principal, population, ["nom", "responsable1"])
        assert [row.values for row in table.rows] == [
            ("Élan", "Mme ÉLAN Sophie"),
            ("Martin", "Mme MARTIN Claire"),
        ]


# --------------------------------------------------------------------------- domain


async def test_export_rows_at_the_domain_level(world, sessionmaker):
    async with sessionmaker() as session:
        registrar = await world.principal(sessionmaker, "registrar_a")
        table = await export_rows(session, registrar, Population(division_id=world.division_a1), [])
        assert [c.key for c in table.columns] == list(DEFAULT_COLUMNS)
        assert table.title == "Division 6A — Collège Jean Moulin — 2026-2027"
        assert table.filename("eleves", "csv") == "eleves-6A-2026-2027.csv"
        assert (len(table.rows), table.boys, table.girls) == (2, 0, 2)
        assert table.rows[0].values[3] == date(2015, 6, 30)

        whole = await export_rows(session, registrar, Population(school_id=world.school_a), [])
        assert whole.title == "Tous les élèves — Collège Jean Moulin — 2026-2027"

        with pytest.raises(ValidationFailed) as failed:
            await export_rows(
                session, registrar, Population(division_id=world.division_a1), ["nom", "x"]
            )
        assert failed.value.errors[0].field == "columns"

        other = await world.principal(sessionmaker, "principal_b")
        with pytest.raises(NotFound):
            await export_rows(session, other, Population(division_id=world.division_a1), [])
        with pytest.raises(NotFound):
            await export_rows(
                session, other, Population(school_id=world.school_b, school_year_id=999999), []
            )

        teacher = await world.principal(sessionmaker, "teacher_a")
        with pytest.raises(PermissionDenied):
            await export_rows(session, teacher, Population(division_id=world.division_a1), [])


ALL_COLUMNS = ",".join(COLUMNS)


async def test_statements_do_not_grow_with_rows(big_world, sessionmaker, admin_engine):
    principal = await big_world.principal(sessionmaker, "principal_a")
    counts = {}
    sizes = {}
    for name, population in (
        ("6A (42)", Population(division_id=big_world.division_a1)),
        ("6B (1)", Population(division_id=big_world.division_a2)),
        ("ESP2 (2)", Population(group_id=big_world.group_a)),
        ("6EME (43)", Population(mef_id=big_world.mef_6, school_id=big_world.school_a)),
        ("school (43)", Population(school_id=big_world.school_a)),
    ):
        async with sessionmaker() as session:
            with StatementCounter(admin_engine) as counter:
                table = await export_rows(session, principal, population, list(COLUMNS))
        counts[name] = counter.count
        sizes[name] = len(table.rows)
    assert sizes == {"6A (42)": 42, "6B (1)": 1, "ESP2 (2)": 2, "6EME (43)": 43, "school (43)": 43}
    assert counts["6A (42)"] == counts["6B (1)"] == counts["ESP2 (2)"], counts
    # The population itself: one query for a structure; school, year and MEF otherwise.
    assert counts == {"6A (42)": 4, "6B (1)": 4, "ESP2 (2)": 4, "6EME (43)": 6, "school (43)": 5}


async def test_http_statements_do_not_grow_with_rows(big_client, big_world, count_statements):
    async def measure(**params: Any) -> int:
        await fetch(big_client, "registrar_a", "students.xlsx", **params)  # warm-up
        with count_statements() as counter:
            response = await fetch(big_client, "registrar_a", "students.xlsx", **params)
        assert response.status_code == 200
        return counter.count

    many = await measure(division=big_world.division_a1, columns=ALL_COLUMNS)
    two = await measure(group=big_world.group_a, columns=ALL_COLUMNS)
    one = await measure(division=big_world.division_a2, columns=ALL_COLUMNS)
    assert many == two == one
