"""Guardian links, enrolment moves and departures over GraphQL."""

from __future__ import annotations

from sqlalchemy import select

from db.audit import AuditEntry

LINK = """
mutation($student: Int!, $link: GuardianLinkInput!, $guardian: Int, $new: GuardianInput) {
  linkGuardian(studentId: $student, link: $link, guardianId: $guardian, newGuardian: $new) {
    link { id responsibility relationship guardian { id familyName email } }
    errors { field code message }
  }
}
"""

UPDATE_LINK = """
mutation($id: Int!, $input: GuardianLinkPatch!) {
  updateGuardianLink(id: $id, input: $input) { link { responsibility paysFees } errors { field code } }
}
"""

UNLINK = "mutation($id: Int!) { unlinkGuardian(id: $id) { studentId errors { field code } } }"

UPDATE_GUARDIAN = """
mutation($id: Int!, $input: GuardianPatch!, $version: Int) {
  updateGuardian(id: $id, input: $input, expectedVersion: $version) {
    guardian { id email phoneMobile version } errors { field code message }
  }
}
"""

MOVE = """
mutation($id: Int!, $division: Int, $groups: [Int!]) {
  moveStudent(enrollmentId: $id, divisionId: $division, groupIds: $groups) {
    enrollment { division { code } groups { code } } errors { field code message }
  }
}
"""

DEPART = """
mutation($id: Int!, $date: Date!, $reason: ExitReason!) {
  recordDeparture(enrollmentId: $id, exitDate: $date, exitReason: $reason) {
    enrollment { exitDate exitReason } errors { field code message }
  }
}
"""


async def test_link_an_existing_guardian_of_a_sibling(gql, world):
    body = await gql(
        "registrar_a",
        LINK,
        {
            "student": world.students["noah"],
            "guardian": world.guardians["father"],
            "link": {"responsibility": "LEGAL_2", "relationship": "FATHER"},
        },
    )
    result = body["data"]["linkGuardian"]
    assert result["errors"] == []
    assert result["link"]["guardian"]["familyName"] == "Martin"
    assert result["link"]["responsibility"] == "LEGAL_2"


async def test_a_student_has_one_legal_guardian_1(gql, world):
    body = await gql(
        "registrar_a",
        LINK,
        {
            "student": world.students["lina"],
            "link": {"responsibility": "LEGAL_1", "relationship": "TUTOR"},
            "new": {"civility": "M", "familyName": "Roux", "firstName": "Marc"},
        },
    )
    assert body["data"]["linkGuardian"]["errors"][0]["field"] == "responsibility"


async def test_new_guardian_errors_name_fields(gql, world):
    body = await gql(
        "registrar_a",
        LINK,
        {
            "student": world.students["eloise"],
            "link": {"responsibility": "OTHER", "relationship": "OTHER_FAMILY_MEMBER"},
            "new": {
                "civility": "MME",
                "familyName": "Roux",
                "firstName": "",
                "email": "pas-un-mail",
                "phoneMobile": "123",
            },
        },
    )
    fields = {e["field"] for e in body["data"]["linkGuardian"]["errors"]}
    assert fields == {"firstName", "email", "phoneMobile"}


async def test_cannot_link_a_guardian_seen_only_in_another_school(gql, world):
    # Jade's guardian Paul Martin is also Lina's: school B may link him (it sees Jade).
    body = await gql(
        "principal_b",
        LINK,
        {
            "student": world.students["jade"],
            "guardian": world.guardians["elan"],
            "link": {"responsibility": "LEGAL_2", "relationship": "MOTHER"},
        },
    )
    assert body["data"]["linkGuardian"]["errors"][0]["code"] == "NOT_FOUND"


async def test_update_and_unlink(gql, world, sessionmaker):
    body = await gql(
        "registrar_a", UPDATE_LINK, {"id": world.links["lina_father"], "input": {"paysFees": True}}
    )
    assert body["data"]["updateGuardianLink"]["link"] == {
        "responsibility": "LEGAL_2",
        "paysFees": True,
    }
    body = await gql("registrar_a", UNLINK, {"id": world.links["lina_father"]})
    assert body["data"]["unlinkGuardian"] == {"studentId": world.students["lina"], "errors": []}
    async with sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity == "guardian_links", AuditEntry.action == "delete"
            )
        )
    assert entry is not None and entry.before["legal_rank"] == 2


async def test_update_guardian_contacts(gql, world):
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {
            "id": world.guardians["mother"],
            "input": {"email": "Claire@Example.FR", "phoneMobile": "07 00 00 00 01"},
            "version": 1,
        },
    )
    result = body["data"]["updateGuardian"]
    assert result["errors"] == []
    assert result["guardian"]["email"] == "claire@example.fr" and result["guardian"]["version"] == 2
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {
            "id": world.guardians["mother"],
            "input": {"address": {"line1": "1 rue Lamarck", "postalCode": "ABC", "city": "Paris"}},
        },
    )
    assert body["data"]["updateGuardian"]["errors"][0]["field"] == "address.postalCode"


async def test_move_student_to_another_division_and_groups(gql, world):
    body = await gql(
        "registrar_a",
        MOVE,
        {"id": world.enrollments["noah"], "division": world.division_a1, "groups": [world.group_a]},
    )
    result = body["data"]["moveStudent"]
    assert result["errors"] == []
    assert result["enrollment"] == {"division": {"code": "6A"}, "groups": [{"code": "ESP2"}]}
    body = await gql(
        "registrar_a", MOVE, {"id": world.enrollments["noah"], "division": world.division_b1}
    )
    assert body["data"]["moveStudent"]["errors"][0]["field"] == "divisionId"


async def test_record_departure(gql, world):
    body = await gql(
        "registrar_a",
        DEPART,
        {"id": world.enrollments["noah"], "date": "2026-08-01", "reason": "MOVE"},
    )
    assert body["data"]["recordDeparture"]["errors"][0]["field"] == "exitDate"
    body = await gql(
        "registrar_a",
        DEPART,
        {"id": world.enrollments["noah"], "date": "2026-12-01", "reason": "MOVE"},
    )
    assert body["data"]["recordDeparture"]["enrollment"] == {
        "exitDate": "2026-12-01",
        "exitReason": "MOVE",
    }
    body = await gql(
        "registrar_a",
        DEPART,
        {"id": world.enrollments["noah"], "date": "2026-12-19", "reason": "MOVE"},
    )
    assert body["data"]["recordDeparture"]["errors"][0]["code"] == "ALREADY_LEFT"
    # Left yesterday (tests run on 2 December 2026): off the division's headcount.
    counts = await gql(
        "registrar_a",
        "query($id: Int!) { division(id: $id) { headcount } }",
        {"id": world.division_a2},
    )
    assert counts["data"]["division"]["headcount"] == 0


async def test_sms_consent_aid_and_first_contact(gql, world, sessionmaker):
    from db.guardians import GuardianLink

    guardian = """
    mutation($id: Int!, $input: GuardianPatch!) {
      updateGuardian(id: $id, input: $input) {
        guardian { acceptsSms phoneMobile } errors { field code message }
      }
    }
    """
    # SMS need a mobile phone: refused on the consent when it is cleared.
    body = await gql(
        "registrar_a",
        guardian,
        {"id": world.guardians["mother"], "input": {"acceptsSms": True, "phoneMobile": None}},
    )
    [error] = body["data"]["updateGuardian"]["errors"]
    assert error["field"] == "acceptsSms" and "téléphone portable" in error["message"]
    body = await gql(
        "registrar_a", guardian, {"id": world.guardians["mother"], "input": {"acceptsSms": True}}
    )
    assert body["data"]["updateGuardian"]["guardian"]["acceptsSms"] is True

    link = """
    mutation($id: Int!, $input: GuardianLinkPatch!) {
      updateGuardianLink(id: $id, input: $input) {
        link { responsibility receivesAid contactFirst } errors { field code }
      }
    }
    """
    body = await gql(
        "registrar_a",
        link,
        {
            "id": world.links["lina_father"],
            "input": {"responsibility": "OTHER", "receivesAid": True, "contactFirst": True},
        },
    )
    assert body["data"]["updateGuardianLink"]["link"] == {
        "responsibility": "OTHER",
        "receivesAid": True,
        "contactFirst": True,
    }
    async with sessionmaker() as session:
        stored = await session.get(GuardianLink, world.links["lina_father"])
        # No longer a legal guardian: in charge of the student (SIECLE's level 2).
        assert stored is not None and stored.responsibility_level == 2


async def test_a_stale_guardian_version_is_refused(gql, world):
    body = await gql(
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["mother"], "input": {"email": "c@example.fr"}, "version": 7},
    )
    [error] = body["data"]["updateGuardian"]["errors"]
    assert error["code"] == "STALE" and "rechargez la fiche" in error["message"]
