"""Shared addresses over GraphQL: one household, one row.

The rule (``api.resolvers.addresses``): changing a person's address changes it for everyone
who shares it (the family moved); ``movesOut`` gives that person a row of his own; clearing
it detaches only him; a row nobody lives at any more is deleted. In the test world the
Martins (Claire, Paul, Lina, Noah, and Jade who lives with her father) share one row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from api.resolvers.addresses import AddressCard, parse_address, postal_lines
from core.errors import ValidationFailed
from db.addresses import Address
from db.audit import AuditActor, AuditEntry, set_actor
from db.students import Student

HOMES = """
query($lina: Int!, $noah: Int!, $jade: Int!) {
  lina: student(id: $lina) { address { id line1 city }
    guardians { guardian { firstName address { id line1 city } } } }
  noah: student(id: $noah) { address { id line1 city } }
  jade: student(id: $jade) { address { id line1 city } }
}
"""

UPDATE_GUARDIAN = """
mutation($id: Int!, $input: GuardianPatch!) {
  updateGuardian(id: $id, input: $input) {
    guardian { firstName address { id line1 line2 postalCode city foreignCity countryCode } }
    errors { field code message }
  }
}
"""

UPDATE_STUDENT = """
mutation($id: Int!, $input: StudentPatch!) {
  updateStudent(id: $id, input: $input) {
    student { firstName address { id line1 city } } errors { field code message }
  }
}
"""

LINK = """
mutation($student: Int!, $link: GuardianLinkInput!, $new: GuardianInput) {
  linkGuardian(studentId: $student, link: $link, newGuardian: $new) {
    link { guardian { firstName address { id line1 } } } errors { field code message }
  }
}
"""

LEGAL_2_FATHER = {"responsibility": "LEGAL_2", "relationship": "FATHER"}
MOVED = {"line1": "5 allée des Tilleuls", "postalCode": "94200", "city": "Ivry-sur-Seine"}


async def _homes(gql: Any, world: Any) -> dict[str, Any]:
    body = await gql(
        "principal_a",
        HOMES,
        {
            "lina": world.students["lina"],
            "noah": world.students["noah"],
            "jade": world.students["jade"],
        },
    )
    assert "errors" not in body, body
    data = body["data"]
    # Jade is in school B: school A's principal does not reach her.
    assert data["jade"] is None
    parents = {
        g["guardian"]["firstName"]: g["guardian"]["address"] for g in data["lina"]["guardians"]
    }
    return {"lina": data["lina"]["address"], "noah": data["noah"]["address"], **parents}


async def _address_count(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Address)) or 0)


async def test_the_household_shares_one_address(gql, world):
    homes = await _homes(gql, world)
    assert homes["lina"]["id"] == world.addresses["martin"]
    assert {h["id"] for h in homes.values()} == {world.addresses["martin"]}


async def test_changing_ones_address_moves_the_household(gql, world, sessionmaker):
    before = await _address_count(sessionmaker)
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["mother"], "input": {"address": MOVED}},
    )
    result = body["data"]["updateGuardian"]
    assert result["errors"] == []
    assert result["guardian"]["address"]["id"] == world.addresses["martin"]
    homes = await _homes(gql, world)
    assert {(h["id"], h["line1"], h["city"]) for h in homes.values()} == {
        (world.addresses["martin"], "5 allée des Tilleuls", "Ivry-sur-Seine")
    }
    assert await _address_count(sessionmaker) == before
    async with sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity == "addresses", AuditEntry.action == "update"
            )
        )
    assert entry is not None and entry.entity_id == world.addresses["martin"]
    assert entry.before["line1"] == "12 rue de Paris"
    assert entry.after["line1"] == "5 allée des Tilleuls"
    assert entry.school_id == world.school_a


async def test_a_parent_who_moves_out_gets_his_own_address(gql, world, sessionmaker):
    before = await _address_count(sessionmaker)
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["father"], "input": {"address": MOVED, "movesOut": True}},
    )
    result = body["data"]["updateGuardian"]
    assert result["errors"] == []
    own = result["guardian"]["address"]
    assert own["id"] != world.addresses["martin"] and own["line1"] == "5 allée des Tilleuls"
    homes = await _homes(gql, world)
    assert homes["Paul"]["id"] == own["id"]
    assert {homes[k]["id"] for k in ("lina", "noah", "Claire")} == {world.addresses["martin"]}
    assert homes["Claire"]["line1"] == "12 rue de Paris"
    assert await _address_count(sessionmaker) == before + 1


async def test_moving_out_needs_the_new_address(gql, world):
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["father"], "input": {"movesOut": True}},
    )
    [error] = body["data"]["updateGuardian"]["errors"]
    assert error["field"] == "movesOut" and error["code"] == "INVALID"


async def test_clearing_detaches_one_person_and_an_unused_row_goes(gql, world, sessionmaker):
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["father"], "input": {"address": None}},
    )
    assert body["data"]["updateGuardian"] == {
        "guardian": {"firstName": "Paul", "address": None},
        "errors": [],
    }
    homes = await _homes(gql, world)
    assert homes["Paul"] is None and homes["Claire"]["id"] == world.addresses["martin"]
    # Sophie Élan is the only one at her address with her daughter: the student moves out
    # (a foster home), then Sophie's address is cleared: the row nobody uses is deleted.
    eloise, elan = world.students["eloise"], world.guardians["elan"]
    body = await gql(
        "registrar_a", UPDATE_STUDENT, {"id": eloise, "input": {"address": MOVED, "movesOut": True}}
    )
    assert body["data"]["updateStudent"]["errors"] == []
    assert body["data"]["updateStudent"]["student"]["address"]["id"] != world.addresses["elan"]
    body = await gql("registrar_a", UPDATE_GUARDIAN, {"id": elan, "input": {"address": None}})
    assert body["data"]["updateGuardian"]["errors"] == []
    async with sessionmaker() as session:
        assert await session.get(Address, world.addresses["elan"]) is None


async def test_a_new_guardian_typed_with_the_households_address_shares_it(gql, world, sessionmaker):
    """Éloïse's father, typed in with her address written otherwise: the same row."""
    before = await _address_count(sessionmaker)
    body = await gql(
        "registrar_a",
        LINK,
        {
            "student": world.students["eloise"],
            "link": LEGAL_2_FATHER,
            "new": {
                "civility": "M",
                "familyName": "Élan",
                "firstName": "Marc",
                "address": {
                    "line1": "12, RUE DE PARIS",
                    "postalCode": "93100",
                    "city": "montreuil",
                },
            },
        },
    )
    result = body["data"]["linkGuardian"]
    assert result["errors"] == []
    assert result["link"]["guardian"]["address"] == {
        "id": world.addresses["elan"],
        "line1": "12 rue de Paris",
    }
    assert await _address_count(sessionmaker) == before


async def test_a_guardian_living_elsewhere_keeps_his_own_address(gql, world, sessionmaker):
    body = await gql(
        "registrar_a",
        LINK,
        {
            "student": world.students["eloise"],
            "link": {**LEGAL_2_FATHER, "livesWith": False},
            "new": {
                "civility": "M",
                "familyName": "Élan",
                "firstName": "Marc",
                "address": {"line1": "12 rue de Paris", "postalCode": "93100", "city": "Montreuil"},
            },
        },
    )
    result = body["data"]["linkGuardian"]
    assert result["errors"] == []
    assert result["link"]["guardian"]["address"]["id"] != world.addresses["elan"]


async def test_a_student_without_address_takes_the_one_of_the_guardian_he_lives_with(
    gql, world, sessionmaker
):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        student = await session.get(Student, world.students["eloise"])
        assert student is not None
        student.address_id = None
    body = await gql(
        "registrar_a",
        LINK,
        {
            "student": world.students["eloise"],
            "link": LEGAL_2_FATHER,
            "new": {"civility": "M", "familyName": "Élan", "firstName": "Marc", "address": MOVED},
        },
    )
    result = body["data"]["linkGuardian"]
    assert result["errors"] == []
    body = await gql(
        "registrar_a", "query($id: Int!) { student(id: $id) { address { id } } }",
        {"id": world.students["eloise"]},
    )  # fmt: skip
    assert body["data"]["student"]["address"]["id"] == result["link"]["guardian"]["address"]["id"]


async def test_address_errors_name_the_field(gql, world):
    cases = [
        ({"line1": "1 rue Lamarck", "postalCode": "750", "city": "Paris"}, "address.postalCode"),
        ({"line1": "1 rue Lamarck", "city": "Paris"}, "address.postalCode"),
        ({"line1": "Via Roma 1", "countryCode": "127"}, "address.foreignCity"),
        ({"line1": "Via Roma 1", "countryCode": "Italie", "city": "Roma"}, "address.countryCode"),
        ({"line1": "x" * 121, "postalCode": "75018", "city": "Paris"}, "address.line1"),
    ]
    for address, field in cases:
        body = await gql(
            "registrar_a",
            UPDATE_GUARDIAN,
            {"id": world.guardians["mother"], "input": {"address": address}},
        )
        errors = body["data"]["updateGuardian"]["errors"]
        assert field in {e["field"] for e in errors}, (address, errors)
    # Nothing was written.
    homes = await _homes(gql, world)
    assert homes["Claire"]["line1"] == "12 rue de Paris"


async def test_an_address_abroad(gql, world):
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {
            "id": world.guardians["father"],
            "input": {
                "address": {
                    "line1": "Via Roma 1",
                    "postalCode": "00100",
                    "city": "Roma",
                    "countryCode": "127",
                },
                "movesOut": True,
            },
        },
    )
    result = body["data"]["updateGuardian"]
    assert result["errors"] == []
    address = result["guardian"]["address"]
    assert (address["city"], address["foreignCity"], address["countryCode"]) == (
        None,
        "Roma",
        "127",
    )


def test_postal_lines() -> None:
    france = AddressCard(
        id=1, line1="12 rue de Paris", line2="Bât. B", postal_code="93100", city="Montreuil"
    )
    assert postal_lines(france) == ["12 rue de Paris", "Bât. B", "93100 MONTREUIL"]
    abroad = AddressCard(
        id=2, line1="Via Roma 1", postal_code="00100", foreign_city="Roma", country_code="127"
    )
    assert postal_lines(abroad) == ["Via Roma 1", "00100 ROMA", "PAYS 127"]
    assert postal_lines(AddressCard(id=3, line1="12 rue de Paris")) is None
    assert postal_lines(None) is None


def test_an_empty_address_input_is_no_address() -> None:
    assert parse_address({"line1": " ", "city": None}) is None
    try:
        parse_address(
            {"line1": "1 rue X", "postal_code": "75018", "city": "Paris", "foreign_city": "Roma"}
        )
    except ValidationFailed as exc:
        assert [e.field for e in exc.errors] == ["address.foreign_city"]
    else:
        raise AssertionError("a foreign city in France was accepted")
