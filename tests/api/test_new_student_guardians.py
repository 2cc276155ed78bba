"""createStudent with the student's address, his guardians (an existing one, a sibling's
parent, and a new one) and his options, in one transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from db.addresses import Address
from db.enrollments import EnrollmentOption
from db.guardians import Guardian, GuardianLink
from db.students import Student

CREATE = """
mutation($input: StudentInput!, $enrollment: EnrollmentInput!, $address: AddressInput,
         $guardians: [NewStudentGuardianInput!]) {
  createStudent(input: $input, enrollment: $enrollment, address: $address, guardians: $guardians) {
    student { id address { id line1 } guardians { responsibility relationship paysFees guardian { id familyName address { id } } } }
    errors { field code message }
  }
}
"""


def _variables(world, guardians, address=None, **enrollment):
    return {
        "input": {
            "familyName": "Martin",
            "firstName": "Léo",
            "sex": "M",
            "birthDate": "2014-02-02",
            "birthCommuneCode": "93048",
        },
        "enrollment": {
            "schoolId": world.school_a,
            "schoolYearId": world.year_id,
            "mefId": world.mef_6,
            "regime": "EXTERNE",
            "entryDate": "2026-11-02",
            "divisionId": world.division_a1,
            **enrollment,
        },
        "address": address,
        "guardians": guardians,
    }


NEW_FATHER = {
    "responsibility": "LEGAL_2",
    "relationship": "FATHER",
    "livesWith": True,
    "paysFees": True,
    "newGuardian": {
        "civility": "M",
        "familyName": "Martin",
        "firstName": "Marc",
        "phoneMobile": "06 11 22 33 44",
        "professionCode": "38",
    },
    "sameAddressAsStudent": True,
}


async def test_a_sibling_is_enrolled_with_his_mothers_link_and_a_new_father(
    gql, world, sessionmaker
):
    variables = _variables(
        world,
        [
            {
                "responsibility": "LEGAL_1",
                "relationship": "MOTHER",
                "guardianId": world.guardians["mother"],
            },
            NEW_FATHER,
        ],
        # The Martins' address, typed in again: shared with the mother, not copied.
        address={"line1": "12, rue de Paris", "postalCode": "93100", "city": "Montreuil"},
        optionIds=[world.subject],
    )
    body = await gql("registrar_a", CREATE, variables)
    result = body["data"]["createStudent"]
    assert result["errors"] == []
    student = result["student"]
    assert student["address"]["id"] == world.addresses["martin"]
    links = student["guardians"]
    assert [(g["responsibility"], g["relationship"]) for g in links] == [
        ("LEGAL_1", "MOTHER"),
        ("LEGAL_2", "FATHER"),
    ]
    assert links[0]["guardian"]["id"] == world.guardians["mother"]
    # "Same address as the student": the new father shares the household's row.
    assert links[1]["guardian"]["address"]["id"] == world.addresses["martin"]
    assert links[1]["paysFees"] is True
    async with sessionmaker() as session:
        marc = await session.scalar(select(Guardian).where(Guardian.first_name == "Marc"))
        assert marc is not None and marc.profession_code == "38"
        [option] = await session.scalars(select(EnrollmentOption))
        assert (option.subject_id, option.rank, option.election_modality) == (
            world.subject,
            1,
            "F",
        )


async def test_a_wrong_guardian_field_names_the_guardian_and_writes_nothing(
    gql, world, sessionmaker
):
    async with sessionmaker() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Student, Guardian, GuardianLink, Address)
        ]
    wrong = {
        **NEW_FATHER,
        "sameAddressAsStudent": False,
        "newGuardian": {
            **NEW_FATHER["newGuardian"],
            "address": {"line1": "1 rue Haute", "postalCode": "931", "city": "Bagnolet"},
        },
    }
    both_legal_2 = {**NEW_FATHER, "responsibility": "LEGAL_2"}
    body = await gql(
        "registrar_a",
        CREATE,
        _variables(
            world,
            [both_legal_2, wrong],
            address={"line1": "3 rue Basse", "postalCode": "93100", "city": "Montreuil"},
        ),
    )
    errors = {e["field"]: e["message"] for e in body["data"]["createStudent"]["errors"]}
    assert errors["guardians.1.address.postalCode"] == (
        "Responsable 2 — Le code postal doit compter 5 chiffres."
    )
    assert errors["guardians.1.responsibility"].startswith("Responsable 2 — ")
    # An unknown guardian, found only when writing: still nothing half-written.
    unknown = {"responsibility": "OTHER", "relationship": "OTHER", "guardianId": 999999}
    home = {"line1": "3 rue Basse", "postalCode": "93100", "city": "Montreuil"}
    body = await gql("registrar_a", CREATE, _variables(world, [NEW_FATHER, unknown], address=home))
    [error] = body["data"]["createStudent"]["errors"]
    assert error["field"] == "guardians.1.guardianId"
    # Same address as a student who has none.
    body = await gql("registrar_a", CREATE, _variables(world, [NEW_FATHER]))
    [error] = body["data"]["createStudent"]["errors"]
    assert error["field"] == "guardians.0.sameAddress"
    # An option neither in the MEF's programme nor taught in the school.
    body = await gql("registrar_a", CREATE, _variables(world, [], optionIds=[999999]))
    [error] = body["data"]["createStudent"]["errors"]
    assert error["field"] == "optionIds"
    async with sessionmaker() as session:
        assert [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Student, Guardian, GuardianLink, Address)
        ] == counts


async def test_a_guardian_of_another_school_cannot_be_linked(gql, world):
    """Jade's guardians are reached through school B only (Paul Martin is also Noah's: use
    a guardian of B alone)."""
    body = await gql(
        "principal_b",
        CREATE,
        _variables(
            world,
            [
                {
                    "responsibility": "LEGAL_1",
                    "relationship": "MOTHER",
                    "guardianId": world.guardians["elan"],
                }
            ],
            schoolId=world.school_b,
            divisionId=world.division_b1,
        ),
    )
    [error] = body["data"]["createStudent"]["errors"]
    assert (error["field"], error["code"]) == ("guardians.0.guardianId", "NOT_FOUND")
