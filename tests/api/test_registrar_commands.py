"""The registrar's commands over GraphQL (issue 12, point 8): MEF and régime changes, a
departure counted from its date and undone, divisions and groups deleted only when empty;
the certificat de scolarité read back from its PDF."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from api.resolvers.enrollments import division_certificates, enrollment_certificate
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment, ExitReason
from db.nomenclatures import Mef
from db.structures import Division, DivisionMef
from tests.world import uai

TESTS = AuditActor(kind="system", id=None, label="tests")

CHANGE_MEF = """
mutation($id: Int!, $mef: Int!, $division: Int) {
  changeMef(enrollmentId: $id, mefId: $mef, divisionId: $division) {
    enrollment { mef { shortLabel } division { code } } errors { field code message }
  }
}
"""

CHANGE_REGIME = """
mutation($id: Int!, $regime: Regime!) {
  changeRegime(enrollmentId: $id, regime: $regime) {
    enrollment { regime } errors { field code message }
  }
}
"""

DEPART = """
mutation($id: Int!, $date: Date!, $reason: ExitReason!) {
  recordDeparture(enrollmentId: $id, exitDate: $date, exitReason: $reason) {
    enrollment { exitDate } errors { field code message }
  }
}
"""

CANCEL = """
mutation($id: Int!) {
  cancelDeparture(enrollmentId: $id) { enrollment { exitDate exitReason } errors { field code } }
}
"""

HEADCOUNT = "query($id: Int!) { division(id: $id) { headcount } }"

DELETE_DIVISION = (
    "mutation($id: Int!) { deleteDivision(id: $id) { deletedId errors { field code message } } }"
)
DELETE_GROUP = (
    "mutation($id: Int!) { deleteGroup(id: $id) { deletedId errors { field code message } } }"
)


async def test_change_mef_needs_a_division_that_takes_it(gql, world, sessionmaker):
    args = {"id": world.enrollments["noah"], "mef": world.mef_5, "division": world.division_a2}
    body = await gql("registrar_a", CHANGE_MEF, args)
    [error] = body["data"]["changeMef"]["errors"]
    assert (error["field"], error["code"]) == ("divisionId", "MEF_MISMATCH")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, TESTS)
        division = Division(
            school_id=world.school_a, school_year_id=world.year_id, code="5A", label="5e A"
        )
        session.add(division)
        await session.flush()
        session.add(DivisionMef(division_id=division.id, mef_id=world.mef_5))
        division_5a = division.id
    body = await gql("registrar_a", CHANGE_MEF, args | {"division": division_5a})
    assert body["data"]["changeMef"] == {
        "enrollment": {"mef": {"shortLabel": "5EME"}, "division": {"code": "5A"}},
        "errors": [],
    }
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, TESTS)
        other = Mef(code="20010012110", short_label="2NDE", long_label="SECONDE")
        session.add(other)
        await session.flush()
        other_id = other.id
    body = await gql("registrar_a", CHANGE_MEF, args | {"mef": other_id, "division": None})
    assert body["data"]["changeMef"]["errors"][0]["code"] == "NOT_PROFILED"


async def test_change_regime_keeps_its_siecle_code_consistent(gql, world, sessionmaker):
    body = await gql(
        "registrar_a", CHANGE_REGIME, {"id": world.enrollments["noah"], "regime": "INTERNE"}
    )
    assert body["data"]["changeRegime"] == {"enrollment": {"regime": "INTERNE"}, "errors": []}
    async with sessionmaker() as session:
        enrollment = await session.get(Enrollment, world.enrollments["noah"])
        assert enrollment is not None and enrollment.regime_code == "3"
    body = await gql("cpe_a", CHANGE_REGIME, {"id": world.enrollments["noah"], "regime": "EXTERNE"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_departure_counts_from_its_date_and_can_be_undone(gql, world, sessionmaker):
    noah = world.enrollments["noah"]
    body = await gql("registrar_a", DEPART, {"id": noah, "date": "2027-09-01", "reason": "MOVE"})
    assert body["data"]["recordDeparture"]["errors"][0]["field"] == "exitDate"
    # Today is 2 December 2026 (tests/conftest.py): a departure on the 18th is still to come.
    body = await gql("registrar_a", DEPART, {"id": noah, "date": "2026-12-18", "reason": "MOVE"})
    assert body["data"]["recordDeparture"]["errors"] == []
    assert (await gql("registrar_a", HEADCOUNT, {"id": world.division_a2}))["data"]["division"] == {
        "headcount": 1
    }
    body = await gql("registrar_a", CANCEL, {"id": noah})
    assert body["data"]["cancelDeparture"] == {
        "enrollment": {"exitDate": None, "exitReason": None},
        "errors": [],
    }
    body = await gql("registrar_a", CANCEL, {"id": noah})
    assert body["data"]["cancelDeparture"]["errors"][0]["code"] == "NOT_LEFT"
    body = await gql("registrar_a", DEPART, {"id": noah, "date": "2026-12-01", "reason": "MOVE"})
    assert (await gql("registrar_a", HEADCOUNT, {"id": world.division_a2}))["data"]["division"] == {
        "headcount": 0
    }
    async with sessionmaker() as session:
        changes = list(
            await session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.entity == "enrollments",
                    AuditEntry.entity_id == noah,
                    AuditEntry.action == "update",
                )
                .order_by(AuditEntry.id)
            )
        )
    # Recorded, undone, recorded again: each with its before and after.
    assert [c.after.get("exit_date") for c in changes] == ["2026-12-18", None, "2026-12-01"]
    assert changes[1].before["exit_date"] == "2026-12-18"


async def test_a_division_keeps_the_mefs_its_students_follow(gql, world):
    body = await gql(
        "registrar_a",
        """mutation($id: Int!, $input: DivisionPatch!) {
          updateDivision(id: $id, input: $input) { division { id } errors { field code message } }
        }""",
        {"id": world.division_a1, "input": {"mefIds": [world.mef_5]}},
    )
    [error] = body["data"]["updateDivision"]["errors"]
    assert (error["field"], error["code"]) == ("mefIds", "MEF_IN_USE")
    assert "6EME" in error["message"]


async def test_a_division_or_group_is_deleted_only_when_empty(gql, world):
    body = await gql("registrar_a", DELETE_DIVISION, {"id": world.division_a2})
    [error] = body["data"]["deleteDivision"]["errors"]
    assert error["code"] == "NOT_EMPTY" and "1 élève" in error["message"]
    body = await gql("registrar_a", DELETE_GROUP, {"id": world.group_a})
    assert body["data"]["deleteGroup"]["errors"][0]["code"] == "NOT_EMPTY"
    created = await gql(
        "registrar_a",
        """mutation($input: DivisionInput!) { createDivision(input: $input) { division { id } } }""",
        {"input": {"schoolId": world.school_a, "code": "6C", "mefIds": [world.mef_6]}},
    )
    new_id = created["data"]["createDivision"]["division"]["id"]
    body = await gql("principal_b", DELETE_DIVISION, {"id": new_id})
    assert body["data"]["deleteDivision"]["errors"][0]["code"] == "NOT_FOUND"
    body = await gql("registrar_a", DELETE_DIVISION, {"id": new_id})
    assert body["data"]["deleteDivision"] == {"deletedId": new_id, "errors": []}
    assert (await gql("registrar_a", HEADCOUNT, {"id": new_id}))["data"]["division"] is None


async def test_certificates_read_back(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    async with sessionmaker() as session:
        one = await enrollment_certificate(
            session, principal, world.students["lina"], world.school_a, world.year_id
        )
        many = await division_certificates(session, principal, world.division_a1)
        await session.commit()
    text = PdfReader(io.BytesIO(one)).pages[0].extract_text()
    for expected in (
        "CERTIFICAT DE SCOLARITÉ",
        "Collège Jean Moulin",
        f"UAI {uai('0930001')}",
        "MARTIN Lina, née le 14/03/2015 à Montreuil",
        "inscrite en 6EME, division 6A",
        "2026-2027",
        "Fait à Montreuil, le 2 décembre 2026",
    ):
        assert expected in " ".join(text.split()), (expected, text)
    pages = PdfReader(io.BytesIO(many)).pages
    assert len(pages) == 2  # Lina and Éloïse, one page each
    assert "ÉLAN Éloïse" in pages[0].extract_text()
    assert "MARTIN Lina" in pages[1].extract_text()
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, TESTS)
        noah = await session.get(Enrollment, world.enrollments["noah"])
        assert noah is not None
        noah.exit_date, noah.exit_reason = date(2026, 11, 20), ExitReason.MOVE
    async with sessionmaker() as session:
        left = await enrollment_certificate(
            session, principal, world.students["noah"], world.school_a, world.year_id
        )
    text = " ".join(PdfReader(io.BytesIO(left)).pages[0].extract_text().split())
    assert "MARTIN Noah, né le 02/11/2015 à Montreuil, a été inscrit en 6EME" in text, text
    assert "du 01/09/2026 au 20/11/2026" in text, text
    async with sessionmaker() as session:
        exports = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "export", AuditEntry.entity == "divisions"
            )
        )
    assert exports is not None and exports.after["students"] == 2
