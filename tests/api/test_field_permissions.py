"""Field-level permissions: declared on the schema's fields, enforced through the school a
student is reached by, the same on the portal; the permissions document is current."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import main
from api.schema import schema
from api.schema.field_permissions import permission_table
from api.schema.permissions_document import DOCUMENT, build
from db.accounts import Role, RoleGrant
from db.audit import AuditActor, set_actor
from tests.portals.conftest import Portal, make_client

RECORD = """
query($id: Int!) {
  student(id: $id) {
    familyName birthDate ine birthCity birthCommuneCode birthCountryCode address { id line1 }
    guardians { guardian { familyName address { id line1 } phoneMobile email } }
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
    # The household's address: Lina's is her mother's row, read by those who may.
    assert full["address"] == full["guardians"][0]["guardian"]["address"]
    assert full["address"]["line1"] == "12 rue de Paris"
    body = await gql("teacher_a", RECORD, lina)
    assert "errors" not in body
    seen = body["data"]["student"]
    assert seen["familyName"] == full["familyName"] and seen["birthDate"] == full["birthDate"]
    assert [seen[f] for f in ("ine", "birthCity", "birthCommuneCode", "birthCountryCode")] == [
        None
    ] * 4
    guardian = seen["guardians"][0]["guardian"]
    assert guardian["familyName"] and guardian["phoneMobile"] is None and guardian["email"] is None
    # The student's address is his guardians': hidden from those who may not read theirs.
    assert guardian["address"] is None and seen["address"] is None


async def test_the_portal_hides_the_same_fields(app, world):
    async with make_client(app) as http:
        portal = Portal(http, world)
        await portal.login("teacher_a")
        page = await portal.get(f"/eleves/{world.students['lina']}")
        assert page.status_code == 200
        assert "INE" not in page.text and "Commune de naissance" not in page.text
        assert "Téléphone portable" not in page.text
        assert "12 rue de Paris" not in page.text
    async with make_client(app) as http:
        portal = Portal(http, world)
        await portal.login("principal_a")
        page = await portal.get(f"/eleves/{world.students['lina']}")
        assert "INE" in page.text and "Téléphone portable" in page.text
        assert "12 rue de Paris" in page.text and "Même adresse que l'élève" in page.text


LIST = """
{ students(first: 50) { nodes { familyName firstName ine birthCity address { city }
    guardians { guardian { firstName phoneMobile address { city } } } } } }
"""


async def test_one_list_shows_each_student_as_his_school_allows(gql, world, sessionmaker):
    """A teacher in school A who is also principal of school B: in one list, identity and
    contacts show for B's students (principal there) and not for A's (teacher there); the
    same guardian (Paul Martin, father of Lina in A and of Jade in B) shows his phone only
    through Jade."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        session.add(
            RoleGrant(
                user_id=world.users["teacher_a"], school_id=world.school_b, role=Role.PRINCIPAL
            )
        )
    body = await gql("teacher_a", LIST)
    assert "errors" not in body
    seen = {s["firstName"]: s for s in body["data"]["students"]["nodes"]}
    assert seen["Jade"]["ine"] == "0987654321B" and seen["Jade"]["birthCity"] == "Montreuil"
    assert seen["Lina"]["ine"] is None and seen["Lina"]["birthCity"] is None
    assert seen["Jade"]["address"] == {"city": "Montreuil"} and seen["Lina"]["address"] is None
    [jade_father] = [g["guardian"] for g in seen["Jade"]["guardians"]]
    assert jade_father == {
        "firstName": "Paul",
        "phoneMobile": "06 12 34 56 78",
        "address": {"city": "Montreuil"},
    }
    lina_father = next(
        g["guardian"] for g in seen["Lina"]["guardians"] if g["guardian"]["firstName"] == "Paul"
    )
    assert lina_father == {"firstName": "Paul", "phoneMobile": None, "address": None}
