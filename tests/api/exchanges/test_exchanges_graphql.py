"""Exchanges through the GraphQL API over HTTP (issue 12, point 7): an import previewed then
applied, the history, an export produced with its file, and what is refused."""

from __future__ import annotations

import base64
import io
import zipfile

from tests.api.exchanges.siecle.files import students_zip
from tests.world import World, uai

RUN_FIELDS = """
  id state direction fileName errorCount refusal fileBase64
  counts { kind created updated unchanged refused written }
  problems { element recordId field message line }
"""
PREVIEW = f"""
mutation($school: Int, $name: String!, $content: String!) {{
  previewImport(format: STUDENTS, schoolId: $school, fileName: $name, contentBase64: $content) {{
    run {{ {RUN_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""
APPLY = f"""
mutation($run: Int!) {{
  applyImport(runId: $run) {{ run {{ {RUN_FIELDS} }} errors {{ field code message }} }}
}}"""
EXPORT = f"""
mutation($kind: ExportKind!, $school: Int!, $year: Int!) {{
  exportFile(kind: $kind, schoolId: $school, schoolYearId: $year) {{
    run {{ {RUN_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""
HISTORY = """
query($school: Int) { exchangeRuns(schoolId: $school) { id direction state fileName } }
"""


def _encoded(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


async def test_preview_apply_and_history(gql, world: World) -> None:
    name, content = students_zip(uai("0930001"), 2, unknown_mef_for="1001")
    body = await gql(
        "registrar_a",
        PREVIEW,
        {"school": world.school_a, "name": name, "content": _encoded(content)},
    )
    assert body.get("data"), body
    payload = body["data"]["previewImport"]
    assert payload["errors"] == []
    run = payload["run"]
    assert run["state"] == "PREVIEWED" and run["errorCount"] == 1
    students = next(c for c in run["counts"] if c["kind"] == "student")
    assert students["created"] == 3 and students["refused"] == 1
    assert run["problems"][0]["recordId"] == "1001"
    assert run["problems"][0]["field"] == "CODE_MEF"
    # The file waiting to be applied is the one sent.
    assert base64.b64decode(run["fileBase64"]) == content

    body = await gql("registrar_a", APPLY, {"run": run["id"]})
    applied = body["data"]["applyImport"]["run"]
    assert applied["state"] == "APPLIED" and applied["fileBase64"] is None
    again = await gql("registrar_a", APPLY, {"run": run["id"]})
    assert again["data"]["applyImport"]["errors"][0]["field"] == "runId"

    history = await gql("registrar_a", HISTORY, {"school": world.school_a})
    assert history["data"]["exchangeRuns"][0] == {
        "id": run["id"],
        "direction": "IMPORT",
        "state": "APPLIED",
        "fileName": name,
    }
    # Another school's staff sees neither the history nor the run.
    refused = await gql("principal_b", HISTORY, {"school": world.school_a})
    assert refused["errors"] and refused["data"] is None


async def test_another_schools_file_and_bad_base64_are_refused(gql, world: World) -> None:
    name, content = students_zip(uai("0930002"), 1)
    body = await gql(
        "registrar_a",
        PREVIEW,
        {"school": world.school_a, "name": name, "content": _encoded(content)},
    )
    run = body["data"]["previewImport"]["run"]
    assert run["state"] == "REFUSED" and uai("0930002") in run["refusal"]
    assert run["fileBase64"] is None

    body = await gql(
        "registrar_a",
        PREVIEW,
        {"school": world.school_a, "name": name, "content": "pas du base64 !"},
    )
    payload = body["data"]["previewImport"]
    assert payload["run"] is None
    assert payload["errors"] == [
        {
            "field": "contentBase64",
            "code": "INVALID",
            "message": "Le contenu n'est pas du base64 valide.",
        }
    ]


async def test_export_file_with_its_zip(gql, world: World) -> None:
    body = await gql(
        "registrar_a",
        EXPORT,
        {"kind": "STUDENTS", "school": world.school_a, "year": world.year_id},
    )
    payload = body["data"]["exportFile"]
    assert payload["errors"] == []
    run = payload["run"]
    assert run["state"] == "WRITTEN" and run["direction"] == "EXPORT"
    assert run["fileName"] == "ElevesSansAdresses.zip"
    written = next(c for c in run["counts"] if c["kind"] == "students")["written"]
    assert written > 0
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(run["fileBase64"]))) as archive:
        xml = archive.read("ElevesSansAdresses.xml")
    assert xml.count(b"<ELEVE ") == written

    # Another school's export: not this registrar's.
    body = await gql(
        "registrar_a",
        EXPORT,
        {"kind": "STRUCTURES", "school": world.school_b, "year": world.year_id},
    )
    assert body["errors"] and body["data"] is None
    # A teacher exports nothing.
    body = await gql(
        "teacher_a", EXPORT, {"kind": "STUDENTS", "school": world.school_a, "year": world.year_id}
    )
    assert body["errors"] and body["data"] is None
