"""INE immatriculation: the INE's one shape, the students sent to the académie base, the
immatriculations imported with their acknowledgement (twice changes nothing), the probable
duplicates the rectorat settles, and the liaisons' dashboard."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from lxml import etree
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.resolvers import immatriculation
from api.resolvers.exchanges.exports import ExportKind, export_file
from api.resolvers.exchanges.runs import apply_import, get_run, preview_import, stored_file
from api.resolvers.work import Work
from core.errors import ValidationFailed
from core.ine import ine_problem, is_ine
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment, Regime
from db.exchanges import ExchangeFormat, ExchangeState
from db.immatriculation import ImmatriculationOutcome, IneRequest, ProbableDuplicate
from db.schools import School, SchoolKind, SchoolYear, SchoolYearState
from db.students import IneConflict, Sex, Student
from exchanges import bea_files
from exchanges.records import FileHeader, IneReturnRecord
from tests.api.test_students import UPDATE
from tests.world import World, uai


@pytest.mark.parametrize(
    "value", ["1234567890A", "123456789AB", "1234A56789Z", "0000000000Z", "060446577EA"]
)
def test_the_three_shapes_of_the_ine(value: str) -> None:
    assert is_ine(value) and ine_problem(value) is None


@pytest.mark.parametrize(
    "value", ["12345678901", "123456789A1", "1234B56789Z", "1234567890", "A234567890B", ""]
)
def test_anything_else_is_refused_naming_the_field(value: str) -> None:
    message = ine_problem(value)
    assert message is not None and message.startswith("L'INE n'est pas valide")
    assert "apprenti" in message


async def test_the_student_record_takes_every_shape_and_refuses_others(gql, world: World) -> None:
    done = await gql(
        "registrar_a", UPDATE, {"id": world.students["noah"], "input": {"ine": "1234 a56789 z"}}
    )
    assert done["data"]["updateStudent"]["errors"] == []
    refused = await gql(
        "registrar_a", UPDATE, {"id": world.students["eloise"], "input": {"ine": "12345678901"}}
    )
    [error] = refused["data"]["updateStudent"]["errors"]
    assert (error["field"], error["code"]) == ("ine", "INVALID")
    assert "L'INE" in error["message"]


def _xml(content: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (name,) = archive.namelist()
        return etree.fromstring(archive.read(name))


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


async def _send(sessionmaker, world: World, login: str = "registrar_a") -> tuple[int, bytes]:
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        run = await transaction.run(
            export_file, ExportKind.INE_REQUESTS, world.school_a, world.year_id
        )
    async with Work(sessionmaker, principal) as work:
        _name, content = await work.read(stored_file, run.id)
    return run.id, content


def _returns(world: World, answers: list[IneReturnRecord]) -> bytes:
    header = FileHeader("", None, uai("0930001"), 2026, date(2026, 10, 1))
    return _zip("Immatriculations.xml", bea_files.returns_bytes(header, answers))


async def _import(sessionmaker, world: World, content: bytes, login: str = "registrar_a"):
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        run = await transaction.run(
            preview_import, ExchangeFormat.INE_RETURNS, world.school_a, "Retour.zip", content
        )
    assert run.state == ExchangeState.PREVIEWED, run.report
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        return await transaction.run(apply_import, run.id)


async def _twin_in_school_b(sessionmaker, world: World) -> int:
    """Another Noah Martin born the same day in Montreuil, enrolled in school B."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        twin = Student(
            family_name="MARTIN",
            first_name="Noah",
            sex=Sex.M,
            birth_date=date(2015, 11, 2),
            birth_commune_code="93048",
            birth_city="Montreuil",
        )
        session.add(twin)
        await session.flush()
        session.add(
            Enrollment(
                student_id=twin.id,
                school_id=world.school_b,
                school_year_id=world.year_id,
                mef_id=world.mef_6,
                division_id=world.division_b1,
                regime=Regime.EXTERNE,
                entry_date=date(2026, 9, 1),
            )
        )
        return twin.id


async def test_students_without_ine_are_sent_once_with_what_identifies_them(
    sessionmaker, world: World
) -> None:
    twin = await _twin_in_school_b(sessionmaker, world)
    run_id, content = await _send(sessionmaker, world)
    root = _xml(content)
    assert root.tag == "BEE_DEMANDES_INE"
    assert root.findtext("PARAMETRES/UAJ") == uai("0930001")
    assert root.findtext("PARAMETRES/ANNEE_SCOLAIRE") == "2026"
    sent = {e.findtext("PRENOM"): e for e in root.iterfind("DONNEES/DEMANDES/DEMANDE")}
    # Lina has an INE: only Noah and Éloïse are sent.
    assert set(sent) == {"Noah", "Éloïse"}
    noah = sent["Noah"]
    assert noah.findtext("DATE_NAISS") == "02/11/2015" and noah.findtext("CODE_SEXE") == "1"
    assert noah.findtext("CODE_COMMUNE_INSEE_NAISS") == "93048"
    assert noah.findtext("CODE_MEF") == "10010012110"
    async with sessionmaker() as session:
        requests = (await session.scalars(select(IneRequest).order_by(IneRequest.id))).all()
        assert {r.student_id for r in requests} == {
            world.students["noah"],
            world.students["eloise"],
        }
        assert {r.sent_run_id for r in requests} == {run_id}
        assert {str(r.id) for r in requests} == {e.get("DEMANDE_ID") for e in sent.values()}
        # The twin of school B is reported to the rectorat, not merged.
        [duplicate] = (await session.scalars(select(ProbableDuplicate))).all()
        assert (duplicate.student_id, duplicate.other_student_id) == (
            world.students["noah"],
            twin,
        )
    # A request waits: nobody is sent twice.
    with pytest.raises(ValidationFailed) as refused:
        await _send(sessionmaker, world)
    assert refused.value.errors[0].code == "NOTHING_TO_SEND"


async def test_a_school_without_the_right_cannot_send(sessionmaker, world: World) -> None:
    with pytest.raises(PermissionDenied):
        await _send(sessionmaker, world, "teacher_a")


async def test_returns_are_imported_acknowledged_and_idempotent(sessionmaker, world: World) -> None:
    await _send(sessionmaker, world)
    async with sessionmaker() as session:
        ids = {r.student_id: str(r.id) for r in (await session.scalars(select(IneRequest))).all()}
    noah, eloise = ids[world.students["noah"]], ids[world.students["eloise"]]
    content = _returns(
        world,
        [
            IneReturnRecord(noah, bea_files.ASSIGNED, "123456789ab", None),
            IneReturnRecord(eloise, bea_files.REJECTED, None, "Date de naissance à vérifier"),
            IneReturnRecord("999999", bea_files.ASSIGNED, "1234567890Z", None),
        ],
    )
    run = await _import(sessionmaker, world, content)
    assert run.state == ExchangeState.APPLIED
    assert run.counts["ine_request"] == {"updated": 2, "unchanged": 0, "refused": 1}
    assert run.counts["ine"] == {"created": 1}
    [problem] = run.report["problems"]
    assert problem["record_id"] == "999999" and problem["field"] == "DEMANDE_ID"
    async with sessionmaker() as session:
        student = await session.get(Student, world.students["noah"])
        assert student is not None and student.ine == "123456789AB"
        requests = {r.student_id: r for r in (await session.scalars(select(IneRequest))).all()}
        assert requests[world.students["noah"]].outcome == ImmatriculationOutcome.ASSIGNED
        rejected = requests[world.students["eloise"]]
        assert rejected.outcome == ImmatriculationOutcome.REJECTED
        assert rejected.message == "Date de naissance à vérifier"
        assert {r.answered_run_id for r in requests.values()} == {run.id}
        # The INE's write is in the audit log, attributed to the school.
        logged = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "students",
                    AuditEntry.entity_id == world.students["noah"],
                )
            )
        ).all()
        assert any(
            (entry.after or {}).get("ine") == "123456789AB" and entry.school_id == world.school_a
            for entry in logged
        )
    principal = await world.principal(sessionmaker, "registrar_a")
    acknowledgement_id = run.report["acknowledgement_run_id"]
    async with Work(sessionmaker, principal) as work:
        acknowledgement = await work.read(get_run, acknowledgement_id)
        _name, acknowledged = await work.read(stored_file, acknowledgement_id)
    assert acknowledgement.format == ExchangeFormat.INE_ACKNOWLEDGEMENTS
    root = _xml(acknowledged)
    assert root.tag == "BEE_ACCUSES_INE"
    states = {e.get("DEMANDE_ID"): e.findtext("ETAT") for e in root.iter("ACCUSE")}
    assert states == {noah: "PRIS_EN_COMPTE", eloise: "PRIS_EN_COMPTE", "999999": "REFUSE"}

    # The same file again changes nothing, and needs no second acknowledgement... but its
    # unknown request is still refused, so it is told once more.
    again = await _import(sessionmaker, world, content)
    assert again.counts["ine_request"] == {"updated": 0, "unchanged": 2, "refused": 1}
    async with sessionmaker() as session:
        requests = {r.student_id: r for r in (await session.scalars(select(IneRequest))).all()}
        assert {r.answered_run_id for r in requests.values()} == {run.id}
    known_only = _returns(world, [IneReturnRecord(noah, bea_files.ASSIGNED, "123456789AB", None)])
    third = await _import(sessionmaker, world, known_only)
    assert third.counts["ine_request"] == {"updated": 0, "unchanged": 1, "refused": 0}
    assert "acknowledgement_run_id" not in third.report


async def test_a_bad_or_conflicting_ine_is_refused_and_an_ine_held_elsewhere_is_flagged(
    sessionmaker, world: World
) -> None:
    await _send(sessionmaker, world)
    async with sessionmaker() as session:
        ids = {r.student_id: str(r.id) for r in (await session.scalars(select(IneRequest))).all()}
    noah, eloise = ids[world.students["noah"]], ids[world.students["eloise"]]
    bad = await _import(
        sessionmaker,
        world,
        _returns(
            world,
            [
                IneReturnRecord(noah, bea_files.ASSIGNED, "12345678901", None),
                # Lina's, a student of the school: refused as for a record entered by hand.
                IneReturnRecord(eloise, bea_files.ASSIGNED, "1234567890A", None),
            ],
        ),
    )
    messages = {p["record_id"]: p["message"] for p in bad.report["problems"]}
    assert messages[noah].startswith("L'INE attribué (ID_NATIONAL) n'est pas valide")
    assert messages[eloise] == "Cet INE est déjà attribué à un autre élève."
    # Jade's INE (school B, out of reach): taken, and flagged for the rectorat, never told.
    taken = await _import(
        sessionmaker,
        world,
        _returns(world, [IneReturnRecord(eloise, bea_files.ASSIGNED, "0987654321B", None)]),
    )
    assert taken.report["problems"] == []
    async with sessionmaker() as session:
        [conflict] = (await session.scalars(select(IneConflict))).all()
        assert (conflict.student_id, conflict.other_student_id) == (
            world.students["eloise"],
            world.students["jade"],
        )


async def test_already_known_reports_a_duplicate_the_rectorat_settles(
    sessionmaker, world: World
) -> None:
    await _send(sessionmaker, world)
    twin = await _twin_in_school_b(sessionmaker, world)
    async with sessionmaker() as session:
        ids = {r.student_id: str(r.id) for r in (await session.scalars(select(IneRequest))).all()}
        assert (await session.scalars(select(ProbableDuplicate))).all() == []
    await _import(
        sessionmaker,
        world,
        _returns(
            world, [IneReturnRecord(ids[world.students["noah"]], bea_files.ALREADY_KNOWN, None, "")]
        ),
    )
    school = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(PermissionDenied):
        async with Work(sessionmaker, school) as work:
            await work.read(immatriculation.probable_duplicates)
    rectorat = await world.principal(sessionmaker, "rectorat")
    async with Work(sessionmaker, rectorat) as work:
        [pending] = await work.read(immatriculation.probable_duplicates)
        board = await work.read(immatriculation.liaison_dashboard, None)
    assert [s.student_id for s in pending.students] == [world.students["noah"], twin]
    assert [s.school_uai for s in pending.students] == [uai("0930001"), uai("0940002")]
    assert board.duplicates_pending == 1
    async with Work(sessionmaker, rectorat).writing(None) as transaction:
        with pytest.raises(ValidationFailed):
            await transaction.run(
                immatriculation.settle_probable_duplicate, pending.id, "peut-être"
            )
    async with Work(sessionmaker, rectorat).writing(None) as transaction:
        settled = await transaction.run(
            immatriculation.settle_probable_duplicate, pending.id, "distinct"
        )
    assert settled.resolution == "distinct" and settled.settled_by_label
    async with Work(sessionmaker, rectorat) as work:
        assert await work.read(immatriculation.probable_duplicates) == []
        [done] = await work.read(immatriculation.probable_duplicates, settled=True)
    assert done.resolution == "distinct" and done.settled_at is not None
    async with Work(sessionmaker, rectorat).writing(None) as transaction:
        with pytest.raises(ValidationFailed):
            await transaction.run(immatriculation.settle_probable_duplicate, pending.id, "same")


async def test_the_liaisons_dashboard(sessionmaker, world: World) -> None:
    registrar = await world.principal(sessionmaker, "registrar_a")
    async with Work(sessionmaker, registrar) as work:
        before = await work.read(immatriculation.liaison_dashboard, world.school_a)
    assert (before.to_send, before.sent, before.waiting) == (2, [], [])
    sent_id, _content = await _send(sessionmaker, world)
    async with Work(sessionmaker, registrar) as work:
        sent = await work.read(immatriculation.liaison_dashboard, world.school_a)
    assert sent.to_send == 0
    assert [(f.run_id, f.count) for f in sent.sent] == [(sent_id, 2)]
    assert sorted(r.student_name for r in sent.waiting) == ["MARTIN Noah", "ÉLAN Éloïse"]
    async with sessionmaker() as session:
        ids = {r.student_id: str(r.id) for r in (await session.scalars(select(IneRequest))).all()}
    returned = await _import(
        sessionmaker,
        world,
        _returns(
            world,
            [IneReturnRecord(ids[world.students["eloise"]], bea_files.REJECTED, None, "Inconnue")],
        ),
    )
    async with Work(sessionmaker, registrar) as work:
        after = await work.read(immatriculation.liaison_dashboard, world.school_a)
    assert [r.student_name for r in after.waiting] == ["MARTIN Noah"]
    assert [(r.student_name, r.message) for r in after.refused] == [("ÉLAN Éloïse", "Inconnue")]
    [received] = after.received
    assert (received.run_id, received.answered, received.refused) == (returned.id, 1, 0)
    assert received.acknowledgement_run_id == returned.report["acknowledgement_run_id"]
    # Another school's staff sees nothing of it.
    other = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(PermissionDenied):
        async with Work(sessionmaker, other) as work:
            await work.read(immatriculation.liaison_dashboard, world.school_a)


DASHBOARD = """
query($s: Int) {
  liaisonDashboard(schoolId: $s) {
    toSend duplicatesPending sent { runId count } waiting { studentName daysWaiting }
  }
}
"""
DUPLICATES = """
query { probableDuplicates { id students { studentId schoolUai } } }
"""
SETTLE = """
mutation($id: Int!, $r: DuplicateResolution!) {
  settleProbableDuplicate(id: $id, resolution: $r) {
    duplicate { id resolution settledByLabel } errors { field code message }
  }
}
"""
EXPORT = """
mutation($s: Int!, $y: Int!) {
  exportFile(kind: INE_REQUESTS, schoolId: $s, schoolYearId: $y) {
    run { id format fileName } errors { field code message }
  }
}
"""


async def test_graphql_sends_shows_and_settles(gql, world: World, sessionmaker) -> None:
    await _twin_in_school_b(sessionmaker, world)
    sent = await gql("registrar_a", EXPORT, {"s": world.school_a, "y": world.year_id})
    run = sent["data"]["exportFile"]["run"]
    assert run["format"] == "INE_REQUESTS" and run["fileName"].startswith("DemandesINE_")
    again = await gql("registrar_a", EXPORT, {"s": world.school_a, "y": world.year_id})
    assert again["data"]["exportFile"]["errors"][0]["code"] == "NOTHING_TO_SEND"
    # The CPE exports students but does not send them for an INE.
    refused = await gql("cpe_a", EXPORT, {"s": world.school_a, "y": world.year_id})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    board = (await gql("registrar_a", DASHBOARD, {"s": world.school_a}))["data"]
    assert board["liaisonDashboard"]["toSend"] == 0
    assert board["liaisonDashboard"]["duplicatesPending"] == 1
    assert len(board["liaisonDashboard"]["waiting"]) == 2
    # The académie's board is the rectorat's.
    forbidden = await gql("registrar_a", DASHBOARD, {"s": None})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    academy = (await gql("rectorat", DASHBOARD, {"s": None}))["data"]["liaisonDashboard"]
    assert len(academy["waiting"]) == 2
    [duplicate] = (await gql("rectorat", DUPLICATES))["data"]["probableDuplicates"]
    assert (await gql("principal_a", DUPLICATES))["errors"][0]["extensions"]["code"] == (
        "FORBIDDEN"
    )
    settled = await gql("rectorat", SETTLE, {"id": duplicate["id"], "r": "SAME"})
    assert settled["data"]["settleProbableDuplicate"]["duplicate"]["resolution"] == "same"
    twice = await gql("rectorat", SETTLE, {"id": duplicate["id"], "r": "DISTINCT"})
    [error] = twice["data"]["settleProbableDuplicate"]["errors"]
    assert (error["field"], error["code"]) == ("resolution", "ALREADY_SETTLED")


async def _schools_with_a_student_to_send(
    sessionmaker, world: World, count: int, first: int
) -> None:
    """``count`` more collèges, each with one present student without an INE; the last has
    switched to the year in preparation (its own current year), where he is enrolled, beside
    a student of last year's lists who is not counted."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        preparing = SchoolYear(
            academy_id=world.academy_id, start_year=2027, state=SchoolYearState.IN_PREPARATION
        )
        session.add(preparing)
        await session.flush()
        for n in range(count):
            switched = n == count - 1
            school = School(
                academy_id=world.academy_id,
                uai=uai(f"0{first + n}"),
                kind=SchoolKind.COLLEGE,
                name=f"Collège {n}",
                current_year_id=preparing.id if switched else None,
            )
            session.add(school)
            await session.flush()
            years = [preparing.id, world.year_id] if switched else [world.year_id]
            for year_id in years:
                student = Student(
                    family_name=f"ÉLÈVE{n}",
                    first_name=f"Année{year_id}",
                    sex=Sex.F,
                    birth_date=date(2015, 3, 1),
                )
                session.add(student)
                await session.flush()
                session.add(
                    Enrollment(
                        student_id=student.id,
                        school_id=school.id,
                        school_year_id=year_id,
                        mef_id=world.mef_6,
                        regime=Regime.EXTERNE,
                        entry_date=date((year_id == preparing.id and 2027) or 2026, 9, 1),
                    )
                )


async def test_the_academy_dashboard_counts_each_school_in_its_year_in_bounded_statements(
    gql, world: World, sessionmaker, count_statements
) -> None:
    await gql("rectorat", DASHBOARD, {"s": None})  # the first request loads the session
    with count_statements() as counter:
        before = (await gql("rectorat", DASHBOARD, {"s": None}))["data"]["liaisonDashboard"]
    statements = counter.count
    await _schools_with_a_student_to_send(sessionmaker, world, 12, 600001)
    with count_statements() as counter:
        after = (await gql("rectorat", DASHBOARD, {"s": None}))["data"]["liaisonDashboard"]
    # One more per new school: the twelfth counts its student of its own (switched) year only.
    assert after["toSend"] == before["toSend"] + 12
    assert counter.count == statements
