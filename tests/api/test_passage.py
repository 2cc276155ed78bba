"""Passage: decisions per student and per division, planned enrolments of the year in
preparation, newcomers by hand and from the académie's assignments file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from api.resolvers import passage
from api.resolvers.exchanges.runs import apply_import, preview_import
from api.resolvers.schools import copy_school_profile
from core.errors import NotFound, ValidationFailed
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment, EnrollmentGroup, ExitReason
from db.exchanges import ExchangeFormat, ExchangeState
from db.nomenclatures import NomenclatureEntry, NomenclatureList
from db.passage import PassageDecision, PassageOutcome
from db.schools import SchoolYear, SchoolYearState
from db.structures import Division, DivisionMef, Group
from db.students import Student
from tests.world import World, uai

FILES = Path(__file__).parent.parent / "exchanges" / "files"


@dataclass
class NextYear:
    year_id: int
    division_5a: int  # 5EME
    division_6c: int  # 6EME (for repeaters)
    group: int


async def prepare_next_year(sessionmaker, world: World) -> NextYear:
    """The académie opens 2027-2028; school A has 5A (5EME), 6C (6EME) and a group for it;
    the exit motives of the nomenclature; Éloïse is in 5EME (a MEF with no next one here)."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        year = SchoolYear(
            academy_id=world.academy_id, start_year=2027, state=SchoolYearState.IN_PREPARATION
        )
        session.add(year)
        await session.flush()
        # As the académie's opening of the year does (open_next_year).
        for school_id in (world.school_a, world.school_b):
            await copy_school_profile(session, school_id, world.year_id, year.id)
        five = Division(school_id=world.school_a, school_year_id=year.id, code="5A", label="5e A")
        six = Division(school_id=world.school_a, school_year_id=year.id, code="6C", label="6e C")
        session.add_all([five, six])
        await session.flush()
        session.add_all(
            [
                DivisionMef(division_id=five.id, mef_id=world.mef_5),
                DivisionMef(division_id=six.id, mef_id=world.mef_6),
            ]
        )
        group = Group(
            school_id=world.school_a,
            school_year_id=year.id,
            code="LAT",
            label="Latin",
            subject_id=world.subject,
        )
        session.add(group)
        session.add_all(
            NomenclatureEntry(
                list=NomenclatureList.EXIT_MOTIVE,
                year=2026,
                code=code,
                short_label=label[:40],
                long_label=label,
            )
            for code, label in (
                ("11", "Passage dans un autre établissement public"),
                ("39", "Fin de scolarité"),
            )
        )
        eloise = await session.get(Enrollment, world.enrollments["eloise"])
        assert eloise is not None
        eloise.mef_id = world.mef_5
        eloise.regime_code = "2"
        eloise.status_code = "ST"
        await session.flush()
        return NextYear(year.id, five.id, six.id, group.id)


@pytest.fixture
async def next_year(sessionmaker, world) -> NextYear:
    return await prepare_next_year(sessionmaker, world)


async def _run(sessionmaker, world, login, fn, *args, **kwargs):
    principal = await world.principal(sessionmaker, login)
    async with sessionmaker() as session, session.begin():
        return await fn(session, principal, *args, **kwargs)


async def _decision(sessionmaker, enrollment_id) -> PassageDecision | None:
    async with sessionmaker() as session:
        return await session.scalar(
            select(PassageDecision).where(PassageDecision.enrollment_id == enrollment_id)
        )


async def _planned(sessionmaker, world, next_year, key) -> Enrollment | None:
    async with sessionmaker() as session:
        return await session.scalar(
            select(Enrollment).where(
                Enrollment.student_id == world.students[key],
                Enrollment.school_year_id == next_year.year_id,
            )
        )


async def test_a_decision_per_student_follows_the_profile(sessionmaker, world, next_year):
    lina = world.enrollments["lina"]
    decision = await _run(
        sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "promoted"}
    )
    assert decision.outcome is PassageOutcome.PROMOTED and decision.next_mef_id == world.mef_5
    # Repeating: his own MEF; another one is refused.
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker,
            world,
            "registrar_a",
            passage.decide,
            lina,
            {"outcome": "repeating", "next_mef_id": world.mef_5},
        )
    assert refused.value.errors[0].field == "next_mef_id"
    decision = await _run(
        sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "repeating"}, 1
    )
    assert decision.next_mef_id == world.mef_6 and decision.version == 2
    # A stale version is refused.
    with pytest.raises(ValidationFailed) as stale:
        await _run(
            sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "promoted"}, 1
        )
    assert stale.value.errors[0].code == "STALE"
    async with sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "passage_decisions")
            )
        )
    assert [e.action for e in entries] == ["create", "update"]
    assert {e.school_id for e in entries} == {world.school_a}
    assert entries[0].actor_id == world.users["registrar_a"]


async def test_no_next_mef_says_so_and_an_explicit_one_is_taken(sessionmaker, world, next_year):
    eloise = world.enrollments["eloise"]
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker, world, "principal_a", passage.decide, eloise, {"outcome": "promoted"}
        )
    [error] = refused.value.errors
    assert error.field == "next_mef_id" and error.code == "NO_NEXT_MEF"
    assert "5EME n'a pas de MEF suivant" in error.message and "départ" in error.message
    decision = await _run(
        sessionmaker,
        world,
        "principal_a",
        passage.decide,
        eloise,
        {"outcome": "promoted", "next_mef_id": world.mef_6},
    )
    assert decision.next_mef_id == world.mef_6


async def test_a_leaver_has_a_motive_of_the_list_and_a_checked_destination(
    sessionmaker, world, next_year
):
    noah = world.enrollments["noah"]
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker,
            world,
            "registrar_a",
            passage.decide,
            noah,
            {"outcome": "leaving", "exit_motive_code": "99", "destination_uai": "0930001B"},
        )
    assert {e.field for e in refused.value.errors} == {"exit_motive_code", "destination_uai"}
    decision = await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.decide,
        noah,
        {
            "outcome": "leaving",
            "exit_motive_code": "11",
            "destination_uai": uai("0940002").lower(),
            "destination_name": "Collège Louise Michel",
        },
    )
    assert decision.exit_reason is ExitReason.CHANGE_OF_SCHOOL
    assert decision.destination_uai == uai("0940002") and decision.next_mef_id is None


async def test_a_division_in_mass_with_exceptions(sessionmaker, world, next_year):
    lina, eloise = world.enrollments["lina"], world.enrollments["eloise"]
    without = await _run(sessionmaker, world, "registrar_a", passage.school_passage, world.school_a)
    assert {c.division_code: c.without_decision for c in without.counts()} == {"6A": 2, "6B": 1}
    # Éloïse (5EME) has no next MEF: the whole mass decision is refused, naming her.
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker,
            world,
            "registrar_a",
            passage.decide_division,
            world.division_a1,
            {"outcome": "promoted"},
        )
    [error] = refused.value.errors
    assert error.field == f"{eloise}.next_mef_id" and error.message.startswith("ÉLAN Éloïse :")
    assert await _decision(sessionmaker, lina) is None
    counts = await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.decide_division,
        world.division_a1,
        {"outcome": "promoted"},
        {eloise: {"outcome": "repeating"}},
    )
    assert (counts.created, counts.updated, counts.unchanged) == (2, 0, 0)
    assert (await _decision(sessionmaker, lina)).outcome is PassageOutcome.PROMOTED
    assert (await _decision(sessionmaker, eloise)).outcome is PassageOutcome.REPEATING
    # Again: students already decided keep their decision.
    counts = await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.decide_division,
        world.division_a1,
        {"outcome": "repeating"},
    )
    assert (counts.created, counts.unchanged) == (0, 2)
    without = await _run(sessionmaker, world, "registrar_a", passage.school_passage, world.school_a)
    assert [r.student.first_name for r in without.without_decision()] == ["Noah"]
    # Another school's division is out of reach.
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            world,
            "principal_b",
            passage.decide_division,
            world.division_a1,
            {"outcome": "promoted"},
        )


async def test_placing_creates_planned_enrolments_that_follow_the_decision(
    sessionmaker, world, next_year
):
    lina, eloise, noah = (world.enrollments[k] for k in ("lina", "eloise", "noah"))
    await _run(sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "promoted"})
    await _run(sessionmaker, world, "registrar_a", passage.decide, eloise, {"outcome": "repeating"})
    await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.decide,
        noah,
        {"outcome": "leaving", "exit_motive_code": "39"},
    )
    # The 5A division takes 5EME only: Éloïse (repeating 5EME) fits, Lina's 5EME too.
    placed = await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.place,
        [lina, eloise],
        next_year.division_5a,
        [next_year.group],
    )
    assert len(placed) == 2
    planned = await _planned(sessionmaker, world, next_year, "eloise")
    assert planned is not None and planned.division_id == next_year.division_5a
    assert planned.repeating and planned.regime_code == "2" and planned.status_code == "ST"
    assert planned.previous_school_uai == uai("0930001")
    assert (planned.previous_mef_code, planned.previous_division_code) == ("10110001110", "6A")
    assert planned.entry_date.isoformat() == "2027-09-01"
    # A leaver is never placed; a division that does not take the MEF is refused.
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, world, "registrar_a", passage.place, [noah], next_year.division_5a)
    assert refused.value.errors[0].code == "LEAVING"
    await _run(
        sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "repeating"}, 1
    )
    planned = await _planned(sessionmaker, world, next_year, "lina")
    # Lina repeats 6EME now: out of 5A (5EME only), still planned, his groups kept.
    assert planned is not None and planned.mef_id == world.mef_6 and planned.division_id is None
    assert planned.repeating
    state = await _run(sessionmaker, world, "registrar_a", passage.school_passage, world.school_a)
    assert [r.student.first_name for r in state.unplaced()] == ["Lina"]
    with pytest.raises(ValidationFailed) as mismatch:
        await _run(sessionmaker, world, "registrar_a", passage.place, [lina], next_year.division_5a)
    assert mismatch.value.errors[0].code == "MEF_MISMATCH"
    await _run(sessionmaker, world, "registrar_a", passage.place, [lina], next_year.division_6c)
    # Leaving after being placed, or losing the decision: the planned enrolment goes.
    await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.decide,
        lina,
        {"outcome": "leaving", "exit_reason": "move", "exit_motive_code": "11"},
    )
    assert await _planned(sessionmaker, world, next_year, "lina") is None
    await _run(sessionmaker, world, "registrar_a", passage.remove_decision, eloise)
    assert await _planned(sessionmaker, world, next_year, "eloise") is None
    async with sessionmaker() as session:
        assert list(await session.scalars(select(EnrollmentGroup.group_id))) == [world.group_a]


async def test_placing_needs_a_year_in_preparation(sessionmaker, world):
    lina = world.enrollments["lina"]
    await _run(sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "promoted"})
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, world, "registrar_a", passage.place, [lina], None)
    assert refused.value.errors[0].code == "NO_YEAR_IN_PREPARATION"


async def test_a_teacher_may_not_decide(sessionmaker, world, next_year):
    from api.auth.principal import PermissionDenied

    with pytest.raises(PermissionDenied):
        await _run(
            sessionmaker,
            world,
            "teacher_a",
            passage.decide,
            world.enrollments["lina"],
            {"outcome": "promoted"},
        )


NEWCOMER = {
    "family_name": "Nouveau",
    "first_name": "Sami",
    "sex": "M",
    "birth_date": "2014-05-02",
    "birth_commune_code": "93048",
    "ine": "1112223334K",
}


async def test_a_newcomer_by_hand_and_a_known_ine_is_not_duplicated(sessionmaker, world, next_year):
    added = await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.add_newcomer,
        world.school_a,
        NEWCOMER,
        {"mef_id": world.mef_5, "division_id": next_year.division_5a, "regime": "externe"},
    )
    assert added.created and added.enrollment.school_year_id == next_year.year_id
    assert added.enrollment.division_id == next_year.division_5a
    # Jade (school B) is known by her INE: enrolled here, not created again.
    jade = {**NEWCOMER, "ine": "0987654321B", "birth_date": "2015-01-20"}
    known = await _run(
        sessionmaker,
        world,
        "registrar_a",
        passage.add_newcomer,
        world.school_a,
        jade,
        {"mef_id": world.mef_5},
    )
    assert not known.created and known.student.id == world.students["jade"]
    with pytest.raises(ValidationFailed) as mismatch:
        await _run(
            sessionmaker,
            world,
            "registrar_a",
            passage.add_newcomer,
            world.school_a,
            {**jade, "ine": "1234567890A"},
            {"mef_id": world.mef_5},
        )
    assert mismatch.value.errors[0].field == "ine"
    async with sessionmaker() as session:
        assert len(list(await session.scalars(select(Student)))) == 5


def assignments_file(world: World) -> bytes:
    return (FILES / "affectations.csv").read_bytes()


async def test_the_assignments_file_preview_apply_and_twice(sessionmaker, world, next_year):
    content = assignments_file(world)
    run = await _run(
        sessionmaker,
        world,
        "registrar_a",
        preview_import,
        ExchangeFormat.ASSIGNMENTS,
        world.school_a,
        "affectations.csv",
        content,
    )
    assert run.state == ExchangeState.PREVIEWED, run.report
    problems = {(p["line"], p["field"]) for p in run.report["problems"]}
    assert problems == {
        (5, "UAI d'accueil"),
        (6, "date de naissance"),
        (7, "code MEF"),
        (8, None),
    }
    assert run.counts["student"]["created"] == 2
    assert run.counts["enrollment"]["created"] == 3  # Jade, known by her INE
    applied = await _run(sessionmaker, world, "registrar_a", apply_import, run.id)
    assert applied.state == ExchangeState.APPLIED
    async with sessionmaker() as session:
        planned = list(
            await session.scalars(
                select(Enrollment).where(Enrollment.school_year_id == next_year.year_id)
            )
        )
        assert len(planned) == 3
        assert len(list(await session.scalars(select(Student)))) == 6
    again = await _run(
        sessionmaker,
        world,
        "registrar_a",
        preview_import,
        ExchangeFormat.ASSIGNMENTS,
        world.school_a,
        "affectations.csv",
        content,
    )
    assert again.counts["student"]["created"] == 0
    assert again.counts["enrollment"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "refused": 4,
    }


async def test_an_assignments_file_in_windows_1252_and_a_bad_header(sessionmaker, world, next_year):
    text = (FILES / "affectations.csv").read_text(encoding="utf-8")
    run = await _run(
        sessionmaker,
        world,
        "registrar_a",
        preview_import,
        ExchangeFormat.ASSIGNMENTS,
        world.school_a,
        "affectations.csv",
        text.encode("cp1252"),
    )
    assert run.state == ExchangeState.PREVIEWED and run.counts["student"]["created"] == 2
    bad = await _run(
        sessionmaker,
        world,
        "registrar_a",
        preview_import,
        ExchangeFormat.ASSIGNMENTS,
        world.school_a,
        "x.csv",
        b"INE;nom;classe\n",
    )
    assert bad.state == ExchangeState.REFUSED
    assert "classe" in bad.report["refusal"]["message"]


DECIDE_DIVISION = """
mutation($d: Int!, $e: Int!) {
  decideDivision(divisionId: $d, default: {outcome: PROMOTED},
                 exceptions: [{enrollmentId: $e, outcome: REPEATING}]) {
    counts { created updated removed unchanged }
    errors { field code message }
  }
}
"""
PASSAGE = """
query($s: Int!) {
  schoolPassage(schoolId: $s) {
    nextSchoolYearId
    counts { divisionCode students withoutDecision }
    withoutDecision { firstName }
    unplaced { firstName proposedNextMef { shortLabel } }
    rows { firstName decision { outcome version nextMef { shortLabel } }
           plannedEnrollment { division { code } } placed }
  }
}
"""
DECIDE = """
mutation($e: Int!, $v: Int) {
  decide(enrollmentId: $e, input: {outcome: LEAVING, exitMotiveCode: "39"}, version: $v) {
    decision { outcome exitReason version }
    errors { field code message }
  }
}
"""
PLACE = """
mutation($ids: [Int!]!, $d: Int) {
  place(enrollmentIds: $ids, divisionId: $d) { enrollments { id } errors { field code message } }
}
"""
NEWCOMER_MUTATION = """
mutation($s: Int!, $m: Int!) {
  addNewcomer(schoolId: $s, input: {familyName: "Nouveau", firstName: "Sami", sex: M,
      birthDate: "2014-05-02", birthCommuneCode: "93048", mefId: $m, regime: EXTERNE}) {
    enrollment { mef { shortLabel } schoolYear { startYear } }
    created
    errors { field code message }
  }
}
"""


async def test_passage_through_graphql(gql, world, next_year):
    lina, eloise = world.enrollments["lina"], world.enrollments["eloise"]
    body = await gql("registrar_a", DECIDE_DIVISION, {"d": world.division_a1, "e": eloise})
    assert body["data"]["decideDivision"] == {
        "counts": {"created": 2, "updated": 0, "removed": 0, "unchanged": 0},
        "errors": [],
    }, body
    body = await gql("registrar_a", PLACE, {"ids": [lina, eloise], "d": next_year.division_5a})
    assert body["data"]["place"]["errors"] == [], body
    body = await gql("registrar_a", DECIDE, {"e": lina, "v": 7})
    assert body["data"]["decide"]["errors"][0]["code"] == "STALE"
    body = await gql("registrar_a", DECIDE, {"e": lina, "v": 1})
    assert body["data"]["decide"]["decision"] == {
        "outcome": "LEAVING",
        "exitReason": "END_OF_CYCLE",
        "version": 2,
    }
    body = await gql("registrar_a", NEWCOMER_MUTATION, {"s": world.school_a, "m": world.mef_5})
    assert body["data"]["addNewcomer"] == {
        "enrollment": {"mef": {"shortLabel": "5EME"}, "schoolYear": {"startYear": 2027}},
        "created": True,
        "errors": [],
    }
    body = await gql("teacher_a", PASSAGE, {"s": world.school_a})
    # A teacher reads the passage of the classes taught (6A) only.
    assert {r["firstName"] for r in body["data"]["schoolPassage"]["rows"]} == {"Lina", "Éloïse"}
    body = await gql("principal_a", PASSAGE, {"s": world.school_a})
    passage_state = body["data"]["schoolPassage"]
    assert passage_state["nextSchoolYearId"] == next_year.year_id
    assert passage_state["counts"] == [
        {"divisionCode": "6A", "students": 2, "withoutDecision": 0},
        {"divisionCode": "6B", "students": 1, "withoutDecision": 1},
    ]
    assert passage_state["withoutDecision"] == [{"firstName": "Noah"}]
    assert passage_state["unplaced"] == []
    eloise_row = next(r for r in passage_state["rows"] if r["firstName"] == "Éloïse")
    assert eloise_row["placed"] and eloise_row["plannedEnrollment"]["division"]["code"] == "5A"
    assert eloise_row["decision"]["nextMef"]["shortLabel"] == "5EME"


PREVIEW_ASSIGNMENTS = """
mutation($s: Int!, $c: String!) {
  previewImport(format: ASSIGNMENTS, schoolId: $s, fileName: "affectations.csv",
                contentBase64: $c) {
    run { id state counts { kind created unchanged refused } problems { line field } }
    errors { field code message }
  }
}
"""


async def test_the_assignments_file_through_graphql(gql, world, next_year):
    import base64

    content = base64.b64encode(assignments_file(world)).decode("ascii")
    body = await gql("registrar_a", PREVIEW_ASSIGNMENTS, {"s": world.school_a, "c": content})
    run = body["data"]["previewImport"]["run"]
    assert run["state"] == "PREVIEWED", body
    assert {"kind": "student", "created": 2, "unchanged": 1, "refused": 4} in run["counts"]
    body = await gql(
        "registrar_a",
        "mutation($r: Int!) { applyImport(runId: $r) { run { state } errors { code } } }",
        {"r": run["id"]},
    )
    assert body["data"]["applyImport"] == {"run": {"state": "APPLIED"}, "errors": []}
    # A school without the right to write students may not import it.
    body = await gql("teacher_a", PREVIEW_ASSIGNMENTS, {"s": world.school_a, "c": content})
    assert body.get("errors") or body["data"]["previewImport"]["run"] is None


async def test_the_command_line(database_urls, sessionmaker, world, next_year, tmp_path):
    import asyncio

    from click.testing import CliRunner

    from api.cli import main
    from tests.api.test_cli import environment

    async def sconet(*args: str):
        return await asyncio.to_thread(
            CliRunner().invoke,
            main,
            list(args),
            env=environment(database_urls, tmp_path),
            catch_exceptions=False,
        )

    school = uai("0930001")
    refused = await sconet("passage", "division", "6A", "--school", school, "--decision", "passage")
    assert refused.exit_code != 0 and "5EME n'a pas de MEF suivant" in refused.output
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        eloise = await session.get(Student, world.students["eloise"])
        assert eloise is not None
        eloise.ine = "5556667778P"
    done = await sconet(
        "passage",
        "division",
        "6A",
        "--school",
        school,
        "--decision",
        "passage",
        "--redoublement",
        "5556667778P",
    )
    assert done.exit_code == 0, done.output
    assert "créées 2" in done.output
    path = tmp_path / "affectations.csv"
    path.write_bytes(assignments_file(world))
    preview = await sconet("passage", "affectations", str(path), "--school", school)
    assert preview.exit_code == 0, preview.output
    assert "student : créés 2" in preview.output and "UAI d'accueil" in preview.output
    applied = await sconet("import", "affectations", str(path), "--school", school, "--apply")
    assert applied.exit_code == 0 and "appliqué" in applied.output


async def test_placing_carries_the_options_still_taught_in_the_next_mef(
    sessionmaker, world, next_year
):
    """5EME's programme has the world's subject but not Greek: Lina (6EME promoted to 5EME)
    keeps the first with 5EME's modality; Noah repeats 6EME, which has no programme loaded:
    he keeps both as they were."""
    from db.enrollments import EnrollmentOption
    from db.nomenclatures import MefSubject, Subject

    lina, noah = world.enrollments["lina"], world.enrollments["noah"]
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        greek = Subject(
            code="030602", management_code="GREC", short_label="GREC", long_label="Grec"
        )
        session.add(greek)
        await session.flush()
        session.add(MefSubject(mef_id=world.mef_5, subject_id=world.subject, election_modality="O"))
        for enrollment_id in (lina, noah):
            session.add_all(
                [
                    EnrollmentOption(
                        enrollment_id=enrollment_id,
                        subject_id=greek.id,
                        rank=1,
                        election_modality="F",
                    ),
                    EnrollmentOption(
                        enrollment_id=enrollment_id,
                        subject_id=world.subject,
                        rank=2,
                        election_modality="F",
                    ),
                ]
            )
        greek_id = greek.id
    await _run(sessionmaker, world, "registrar_a", passage.decide, lina, {"outcome": "promoted"})
    await _run(sessionmaker, world, "registrar_a", passage.decide, noah, {"outcome": "repeating"})
    await _run(sessionmaker, world, "registrar_a", passage.place, [lina], next_year.division_5a)
    await _run(sessionmaker, world, "registrar_a", passage.place, [noah], next_year.division_6c)

    async def options(key: str) -> list[tuple[int, int, str]]:
        planned = await _planned(sessionmaker, world, next_year, key)
        assert planned is not None
        async with sessionmaker() as session:
            return [
                (o.subject_id, o.rank, o.election_modality)
                for o in await session.scalars(
                    select(EnrollmentOption)
                    .where(EnrollmentOption.enrollment_id == planned.id)
                    .order_by(EnrollmentOption.rank)
                )
            ]

    assert await options("lina") == [(world.subject, 1, "O")]
    assert await options("noah") == [(greek_id, 1, "F"), (world.subject, 2, "F")]
    # Placed again (moved), his options stay as they are.
    await _run(sessionmaker, world, "registrar_a", passage.place, [lina], None)
    assert await options("lina") == [(world.subject, 1, "O")]


async def _petit_leon_in_school_b(sessionmaker, world, count: int) -> list[int]:
    """``count`` students named Léon Petit, born 3 July 2015 (as the file's line 3, which has
    no INE), enrolled in school B this year."""
    from db.enrollments import Regime
    from db.students import Sex

    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        people = [
            Student(family_name="PETIT", first_name="Léon", sex=Sex.M, birth_date=date(2015, 7, 3))
            for _ in range(count)
        ]
        session.add_all(people)
        await session.flush()
        division = await session.scalar(
            select(Division.id).where(Division.school_id == world.school_b)
        )
        session.add_all(
            Enrollment(
                student_id=s.id,
                school_id=world.school_b,
                school_year_id=world.year_id,
                mef_id=world.mef_6,
                division_id=division,
                regime=Regime.EXTERNE,
                entry_date=date(2026, 9, 1),
            )
            for s in people
        )
        return [s.id for s in people]


async def _preview_and_apply(sessionmaker, world):
    run = await _run(
        sessionmaker,
        world,
        "registrar_a",
        preview_import,
        ExchangeFormat.ASSIGNMENTS,
        world.school_a,
        "affectations.csv",
        assignments_file(world),
    )
    applied = await _run(sessionmaker, world, "registrar_a", apply_import, run.id)
    return run, applied


async def test_a_line_without_ine_finds_the_student_of_another_school(
    sessionmaker, world, next_year
):
    [leon] = await _petit_leon_in_school_b(sessionmaker, world, 1)
    run, applied = await _preview_and_apply(sessionmaker, world)
    # Léon is not created again: his planned enrolment here is his own.
    assert run.counts["student"]["created"] == 1  # Zoé only
    assert run.counts["enrollment"]["created"] == 3
    [change] = [c for c in run.report["changes"] if c["id"] == "ligne 3"]
    assert change["kind"] == "enrollment"
    assert "reconnu par son nom et sa date de naissance (Collège Louise Michel)" in change["label"]
    # The assignments' run is for the year in preparation.
    assert run.school_year_id == applied.school_year_id == next_year.year_id
    async with sessionmaker() as session:
        planned = await session.scalar(
            select(Enrollment.student_id).where(
                Enrollment.school_year_id == next_year.year_id,
                Enrollment.school_id == world.school_a,
                Enrollment.student_id == leon,
            )
        )
        assert planned == leon
        leons = list(await session.scalars(select(Student).where(Student.first_name == "Léon")))
        assert [s.id for s in leons] == [leon]


async def test_a_line_without_ine_like_several_students_is_a_probable_duplicate(
    sessionmaker, world, next_year
):
    from api.resolvers.immatriculation import probable_duplicates
    from db.immatriculation import ProbableDuplicate

    alike = await _petit_leon_in_school_b(sessionmaker, world, 2)
    run, _applied = await _preview_and_apply(sessionmaker, world)
    assert run.counts["student"]["created"] == 2  # Zoé, and Léon: which one is he?
    [change] = [c for c in run.report["changes"] if c["id"] == "ligne 3"]
    assert "doublon probable de 2 élèves" in change["label"] and "rectorat" in change["label"]
    async with sessionmaker() as session:
        pairs = list(
            await session.execute(
                select(ProbableDuplicate.student_id, ProbableDuplicate.other_student_id)
            )
        )
        created = await session.scalar(
            select(Student.id).where(Student.first_name == "Léon", Student.id.not_in(alike))
        )
    assert sorted(pairs) == [(created, alike[0]), (created, alike[1])]
    # The rectorat sees them to settle.
    reported = await _run(sessionmaker, world, "rectorat", probable_duplicates)
    assert len(reported) == 2
