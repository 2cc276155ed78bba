"""Field-level permissions: declared on the schema's fields, enforced through the school a
student is reached by, the same on the portal; the permissions document is current."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import main
from api.schema import schema
from api.schema.field_permissions import permission_table
from api.schema.permissions_document import DOCUMENT, build
from tests.portals.conftest import Portal, make_client

RECORD = """
query($id: Int!) {
  student(id: $id) {
    familyName birthDate ine birthCity birthCommuneCode birthCountryCode
    guardians { guardian { familyName addressLine1 phoneMobile email } }
  }
}
"""


def test_the_permissions_document_is_current():
    assert DOCUMENT.read_text(encoding="utf-8") == build(), (
        "docs/permissions.md is stale: run `sconet permissions-table`"
    )
    assert CliRunner().invoke(main, ["permissions-table", "--check"]).exit_code == 0


def test_the_declared_fields():
    table = {(t, f): p.value for (t, f), p in permission_table(schema).items()}
    assert table[("Student", "ine")] == "students:identity:read"
    assert table[("Guardian", "phoneMobile")] == "guardians:contacts:read"
    assert ("Student", "familyName") not in table


async def test_a_teacher_sees_no_identity_nor_contacts(gql, world):
    lina = {"id": world.students["lina"]}
    full = (await gql("principal_a", RECORD, lina))["data"]["student"]
    assert full["ine"] and full["birthCountryCode"] == "100"
    assert full["guardians"][0]["guardian"]["phoneMobile"]
    body = await gql("teacher_a", RECORD, lina)
    assert "errors" not in body
    seen = body["data"]["student"]
    assert seen["familyName"] == full["familyName"] and seen["birthDate"] == full["birthDate"]
    assert [seen[f] for f in ("ine", "birthCity", "birthCommuneCode", "birthCountryCode")] == [
        None
    ] * 4
    guardian = seen["guardians"][0]["guardian"]
    assert guardian["familyName"] and guardian["phoneMobile"] is None and guardian["email"] is None


async def test_the_portal_hides_the_same_fields(app, world):
    async with make_client(app) as http:
        portal = Portal(http, world)
        await portal.login("teacher_a")
        page = await portal.get(f"/eleves/{world.students['lina']}")
        assert page.status_code == 200
        assert "INE" not in page.text and "Commune de naissance" not in page.text
        assert "Téléphone portable" not in page.text
    async with make_client(app) as http:
        portal = Portal(http, world)
        await portal.login("principal_a")
        page = await portal.get(f"/eleves/{world.students['lina']}")
        assert "INE" in page.text and "Téléphone portable" in page.text
