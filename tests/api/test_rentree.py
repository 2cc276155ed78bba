"""The rentrée switch: a school's year in preparation becomes current; last year closes with
its exit reasons, leavers' families lose their access, nothing of last year is lost; refused
with its reasons, harmless when run again, all or nothing; the académie's switch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, text

from api.auth.principal import PermissionDenied
from api.resolvers import rentree
from api.resolvers.absences.records import student_absence_record
from api.resolvers.absences.settings import school_setup
from api.resolvers.audit import AuditFilter, audit_trail
from api.resolvers.enrollments import schooling_history
from api.resolvers.grades import (
    AssessmentInput,
    MarkInput,
    assessment_marks,
    create_assessment,
    enter_marks,
)
from api.resolvers.rentree import (
    SchoolSwitch,
    rentree_state,
    switch_academy_rentree,
    switch_rentree,
)
from api.resolvers.schools import check_year_writable, current_year_of
from api.resolvers.teleservices.codes import Population, generate_codes
from api.resolvers.teleservices.services import set_service
from api.resolvers.work import Work
from core.errors import NotFound, ValidationFailed
from db.audit import AuditEntry, set_actor
from db.enrollments import Enrollment, ExitReason
from db.grades import MarkStatus
from db.passage import PassageDecision
from db.reference import load_absence_references
from db.rentree import Rentree
from db.schools import SchoolYear, SchoolYearState
from db.teleservices import ActivationCode, CodeKind, Teleservice
from tests.api.absences.conftest import Desk
from tests.api.absences.scenario import november
from tests.api.rentree_scenario import (
    ACTOR,
    LAST_DAY,
    decide_for_jade,
    enrollment_of,
    prepare_next_year,
)
from tests.conftest import TEST_SECRET_KEY
from tests.world import build_world

# What a switch may touch, read back row by row.
TABLES = ("enrollments", "activation_codes", "schools", "rentrees", "school_years", "audit_entries")


async def _run(sessionmaker, fn, principal, *args):
    async with sessionmaker() as session, session.begin():
        return await fn(session, principal, *args)


async def give_codes(sessionmaker, world) -> None:
    principal = await world.principal(sessionmaker, "principal_a")
    for service in Teleservice:
        await _run(sessionmaker, set_service, principal, world.school_a, service, True)
    for kind in CodeKind:
        await _run(
            sessionmaker,
            generate_codes,
            principal,
            kind,
            Population(world.school_a),
            TEST_SECRET_KEY,
        )


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    await give_codes(sessionmaker, world)
    return world


async def dump(sessionmaker) -> dict[str, list[tuple]]:
    found = {}
    async with sessionmaker() as session:
        for table in TABLES:
            rows = await session.execute(text(f"SELECT * FROM {table} ORDER BY 1"))
            found[table] = [tuple(row) for row in rows]
    return found


async def valid_codes(sessionmaker, student_id: int) -> set[tuple[str, int | None]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ActivationCode.kind, ActivationCode.guardian_id).where(
                ActivationCode.student_id == student_id, ActivationCode.is_valid.is_(True)
            )
        )
        return {(kind.value, guardian) for kind, guardian in rows}


async def test_refused_before_the_academie_opens_the_next_year(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    before = await dump(sessionmaker)
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, switch_rentree, principal, world.school_a)
    error, undecided = refused.value.errors
    assert (error.field, error.code) == ("school_id", "NO_YEAR_IN_PREPARATION")
    assert undecided.code == "STUDENTS_WITHOUT_DECISION"
    assert "l'académie doit d'abord ouvrir l'année 2027-2028" in error.message
    assert await dump(sessionmaker) == before


async def test_refused_while_a_student_has_no_decision_and_they_are_listed(world, sessionmaker):
    await prepare_next_year(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(PassageDecision).where(
                PassageDecision.enrollment_id == world.enrollments["eloise"]
            )
        )
    principal = await world.principal(sessionmaker, "principal_a")
    state = await _run(sessionmaker, rentree_state, principal, world.school_a)
    assert [line.name for line in state.without_decision] == ["ÉLAN Éloïse"]
    # Tom left in February: no decision is asked for him.
    assert [line.name for line in state.leavers] == ["MARTIN Noah"]
    assert (state.continuing, state.planned) == (1, 2)
    before = await dump(sessionmaker)
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, switch_rentree, principal, world.school_a)
    [error] = refused.value.errors
    assert error.code == "STUDENTS_WITHOUT_DECISION"
    assert error.message.startswith("1 élève de l'année en cours sans décision de passage")
    assert "ÉLAN Éloïse" in error.message and "refusée" in error.message
    assert await dump(sessionmaker) == before


async def test_a_leaver_enrolled_next_year_is_refused(world, sessionmaker):
    prepared = await prepare_next_year(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        lina_next = await session.get(Enrollment, prepared.planned["lina"])
        session.add(
            Enrollment(
                student_id=world.students["noah"],
                school_id=world.school_a,
                school_year_id=prepared.next_year_id,
                mef_id=world.mef_5,
                division_id=prepared.division_5a,
                regime=lina_next.regime,
                entry_date=date(2027, 9, 1),
            )
        )
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, switch_rentree, principal, world.school_a)
    assert [e.code for e in refused.value.errors] == ["LEAVER_ENROLLED_NEXT_YEAR"]
    assert "MARTIN Noah" in refused.value.errors[0].message


async def test_the_switch_closes_last_year_and_makes_the_next_one_current(world, sessionmaker):
    prepared = await prepare_next_year(sessionmaker, world)
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session:
        audited_before = await session.scalar(select(func.max(AuditEntry.id)))
    outcome = await _run(sessionmaker, switch_rentree, principal, world.school_a)
    assert outcome.switched
    row = outcome.rentree
    assert (row.school_year_id, row.previous_year_id) == (prepared.next_year_id, world.year_id)
    assert (row.closed_enrollments, row.leavers, row.ended_accesses) == (3, 1, 2)
    assert row.actor_label == principal.label
    async with sessionmaker() as session:
        assert (await current_year_of(session, world.school_a)).id == prepared.next_year_id
        # School B has not switched: it still works on the académie's current year.
        assert (await current_year_of(session, world.school_b)).id == world.year_id
        # The académie's years stay as they were until every school has switched.
        states = dict(
            (await session.execute(select(SchoolYear.start_year, SchoolYear.state))).all()
        )
        assert states[2026] is SchoolYearState.CURRENT
        assert states[2027] is SchoolYearState.IN_PREPARATION

    lina = await enrollment_of(sessionmaker, world.enrollments["lina"])
    assert (lina.exit_date, lina.exit_reason, lina.exit_motive_code) == (
        LAST_DAY,
        ExitReason.END_OF_YEAR,
        None,
    )
    eloise = await enrollment_of(sessionmaker, world.enrollments["eloise"])
    assert (eloise.exit_date, eloise.exit_reason) == (LAST_DAY, ExitReason.END_OF_YEAR)
    noah = await enrollment_of(sessionmaker, world.enrollments["noah"])
    assert (noah.exit_date, noah.exit_reason, noah.exit_motive_code) == (
        LAST_DAY,
        ExitReason.CHANGE_OF_SCHOOL,
        "11",
    )
    # Left in February: kept as it was.
    tom = await enrollment_of(sessionmaker, world.enrollments["tom"])
    assert (tom.exit_date, tom.exit_reason) == (date(2027, 2, 10), ExitReason.MOVE)
    # The planned enrolments are untouched: they are the current ones now.
    for enrollment_id in prepared.planned.values():
        planned = await enrollment_of(sessionmaker, enrollment_id)
        assert (planned.exit_date, planned.exit_reason, planned.version) == (None, None, 1)
    # School B's enrolment is not its business.
    jade = await enrollment_of(sessionmaker, world.enrollments["jade"])
    assert jade.exit_date is None

    # Noah's own account ends; his mother's code stays valid because it is also the way her
    # account reaches Lina (her code for Noah may be the one she signed up with), but Noah,
    # no longer a current student of the school, is out of what families see.
    assert await valid_codes(sessionmaker, world.students["noah"]) == {
        ("car", world.guardians["mother"])
    }
    assert await valid_codes(sessionmaker, world.students["lina"]) == {
        ("cae", None),
        ("car", world.guardians["mother"]),
        ("car", world.guardians["father"]),
    }

    # Last year is read-only for school A, still open for school B.
    async with sessionmaker() as session:
        last_year = await session.get(SchoolYear, world.year_id)
        with pytest.raises(ValidationFailed) as closed:
            await check_year_writable(session, world.school_a, last_year)
        assert closed.value.errors[0].code == "YEAR_CLOSED"
        await check_year_writable(session, world.school_b, last_year)
        await check_year_writable(
            session, world.school_a, await session.get(SchoolYear, prepared.next_year_id)
        )

    # Every step is in the audit trail, attributed to the school.
    async with sessionmaker() as session:
        entries = (
            await session.execute(
                select(AuditEntry.school_id, AuditEntry.entity, AuditEntry.action, func.count())
                .where(AuditEntry.id > audited_before)
                .group_by(AuditEntry.school_id, AuditEntry.entity, AuditEntry.action)
            )
        ).all()
    assert {school for school, *_ in entries} == {world.school_a}
    assert sorted((e, a, n) for _school, e, a, n in entries) == [
        ("activation_codes", "update", 1),
        ("enrollments", "update", 3),
        ("rentrees", "create", 1),
    ]


async def test_a_guardian_with_no_child_staying_loses_the_code(world, sessionmaker):
    """Lina is not placed for next year yet: her mother's code for Noah carries nothing."""
    prepared = await prepare_next_year(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        await session.delete(await session.get(Enrollment, prepared.planned["lina"]))
    principal = await world.principal(sessionmaker, "principal_a")
    outcome = await _run(sessionmaker, switch_rentree, principal, world.school_a)
    assert outcome.rentree.ended_accesses == 2
    assert await valid_codes(sessionmaker, world.students["noah"]) == set()


async def test_running_it_again_changes_nothing(world, sessionmaker):
    await prepare_next_year(sessionmaker, world)
    principal = await world.principal(sessionmaker, "principal_a")
    first = await _run(sessionmaker, switch_rentree, principal, world.school_a)
    before = await dump(sessionmaker)
    again = await _run(sessionmaker, switch_rentree, principal, world.school_a)
    assert not again.switched and again.rentree.id == first.rentree.id
    assert await dump(sessionmaker) == before
    state = await _run(sessionmaker, rentree_state, principal, world.school_a)
    assert state.already_switched and state.refusals == []


STEPS = ("_close_enrolments", "_end_leavers_accesses", "_make_current", "_record_rentree")


@pytest.mark.parametrize("step", STEPS)
async def test_a_failure_at_any_step_leaves_the_school_as_it_was(
    world, sessionmaker, monkeypatch, step
):
    await prepare_next_year(sessionmaker, world)
    principal = await world.principal(sessionmaker, "principal_a")
    before = await dump(sessionmaker)
    original = getattr(rentree, step)

    async def failing(*args, **kwargs):
        # The step does its writes, then the switch dies.
        await original(*args, **kwargs)
        raise RuntimeError(f"injected after {step}")

    monkeypatch.setattr(rentree, step, failing)
    with pytest.raises(RuntimeError, match="injected"):
        await _run(sessionmaker, switch_rentree, principal, world.school_a)
    assert await dump(sessionmaker) == before
    monkeypatch.setattr(rentree, step, original)
    # And the next attempt goes through.
    assert (await _run(sessionmaker, switch_rentree, principal, world.school_a)).switched


async def test_nothing_of_last_year_is_lost(world, sessionmaker):
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _run(sessionmaker, school_setup, cpe, world.school_a)
    await november(world, Desk(sessionmaker, cpe, world.school_a, setup))
    teacher = await world.principal(sessionmaker, "teacher_a")
    test = await _run(
        sessionmaker,
        create_assessment,
        teacher,
        AssessmentInput(
            title="Contrôle",
            subject_id=world.subject,
            day=date(2026, 11, 16),
            scale=Decimal(20),
            coefficient=Decimal(1),
            published_on=date(2026, 11, 20),
            division_id=world.division_a1,
        ),
    )
    await _run(
        sessionmaker,
        enter_marks,
        teacher,
        test.id,
        [MarkInput(world.students["lina"], MarkStatus.GRADED, Decimal("14.5"))],
    )
    noah = world.students["noah"]
    absences_before = await _run(sessionmaker, student_absence_record, cpe, noah)
    assert absences_before.events
    await prepare_next_year(sessionmaker, world)
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, switch_rentree, principal, world.school_a)

    history = await _run(sessionmaker, schooling_history, principal, noah)
    assert [(v.year_label, v.division_code, v.enrollment.exit_reason) for v in history] == [
        ("2026-2027", "6B", ExitReason.CHANGE_OF_SCHOOL)
    ]
    lina_history = await _run(sessionmaker, schooling_history, principal, world.students["lina"])
    assert [(v.year_label, v.division_code) for v in lina_history] == [
        ("2027-2028", "5A"),
        ("2026-2027", "6A"),
    ]
    record = await _run(sessionmaker, student_absence_record, cpe, noah)
    assert [e.id for e in record.events] == [e.id for e in absences_before.events]
    assert (record.half_days, record.unjustified_half_days) == (3, 2)
    _assessment, marks = await _run(sessionmaker, assessment_marks, teacher, test.id)
    assert [m.value for m in marks] == [Decimal("14.5")]
    trail = await _run(
        sessionmaker,
        audit_trail,
        principal,
        AuditFilter(school_id=world.school_a, entity="absence_events"),
    )
    assert len(trail.entries) >= 5
    # Read, not written: an absence of last year is refused once the school has switched.
    desk = Desk(sessionmaker, cpe, world.school_a, setup)
    with pytest.raises(ValidationFailed) as refused:
        await desk.absence(world.students["lina"], date(2027, 6, 14), "M1", date(2027, 6, 14), "M2")
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
        "startDate",
        "YEAR_CLOSED",
    )


async def test_who_may_switch(world, sessionmaker):
    await prepare_next_year(sessionmaker, world)
    registrar = await world.principal(sessionmaker, "registrar_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, switch_rentree, registrar, world.school_a)
    other = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(sessionmaker, switch_rentree, other, world.school_a)
    principal_a = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(PermissionDenied):
        await switch_academy_rentree(Work(sessionmaker, principal_a))
    # The rectorat may switch one school.
    rectorat = await world.principal(sessionmaker, "rectorat")
    assert (await _run(sessionmaker, switch_rentree, rectorat, world.school_a)).switched


async def test_the_academie_switches_every_school_then_its_years(world, sessionmaker):
    prepared = await prepare_next_year(sessionmaker, world)
    rectorat = await world.principal(sessionmaker, "rectorat")
    report = await switch_academy_rentree(Work(sessionmaker, rectorat))
    outcomes = {s.school_id: s for s in report.schools}
    assert outcomes[world.school_a].outcome is SchoolSwitch.SWITCHED
    refused = outcomes[world.school_b]
    assert refused.outcome is SchoolSwitch.REFUSED and refused.rentree is None
    assert any("BERNARD Jade" in reason for reason in refused.reasons)
    assert report.new_current_year is None
    async with sessionmaker() as session:
        assert (await session.get(SchoolYear, world.year_id)).state is SchoolYearState.CURRENT

    await decide_for_jade(sessionmaker, world, prepared)
    report = await switch_academy_rentree(Work(sessionmaker, rectorat))
    outcomes = {s.school_id: s for s in report.schools}
    assert outcomes[world.school_a].outcome is SchoolSwitch.ALREADY_SWITCHED
    assert outcomes[world.school_b].outcome is SchoolSwitch.SWITCHED
    assert report.new_current_year.id == prepared.next_year_id
    async with sessionmaker() as session:
        assert (await session.get(SchoolYear, world.year_id)).state is SchoolYearState.CLOSED
        assert (
            await session.get(SchoolYear, prepared.next_year_id)
        ).state is SchoolYearState.CURRENT
        assert await session.scalar(select(func.count()).select_from(Rentree)) == 2
        changes = list(
            await session.scalars(
                select(AuditEntry.after)
                .where(AuditEntry.entity == "school_years", AuditEntry.action == "update")
                .order_by(AuditEntry.id)
            )
        )
        assert sorted(change["state"] for change in changes) == ["closed", "current"]
    # Once more: every school already switched, nothing changes.
    report = await switch_academy_rentree(Work(sessionmaker, rectorat))
    assert {s.outcome for s in report.schools} == {SchoolSwitch.ALREADY_SWITCHED}


STATE = """query($s: Int!) { rentreeState(schoolId: $s) {
  currentYearId nextYearId alreadySwitched plannedEnrollments continuing
  studentsWithoutDecision { name divisionCode } leavers { name }
  refusals { field code message } lastSwitch { id } } }"""
SWITCH = """mutation($s: Int!) { switchRentree(schoolId: $s) {
  rentree { closedEnrollments leavers endedAccesses } alreadySwitched
  errors { field code message } } }"""
ACADEMY = """mutation { switchAcademyRentree {
  schools { uai outcome reasons rentree { closedEnrollments } } newCurrentYearId } }"""


async def test_graphql(gql, world, sessionmaker):
    prepared = await prepare_next_year(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(PassageDecision).where(
                PassageDecision.enrollment_id == world.enrollments["eloise"]
            )
        )
    state = (await gql("principal_a", STATE, {"s": world.school_a}))["data"]["rentreeState"]
    assert state["nextYearId"] == prepared.next_year_id and not state["alreadySwitched"]
    assert state["studentsWithoutDecision"] == [{"name": "ÉLAN Éloïse", "divisionCode": "6A"}]
    assert [r["code"] for r in state["refusals"]] == ["STUDENTS_WITHOUT_DECISION"]
    refused = (await gql("principal_a", SWITCH, {"s": world.school_a}))["data"]["switchRentree"]
    assert refused["rentree"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("schoolId", "STUDENTS_WITHOUT_DECISION")
    ]
    denied = await gql("registrar_a", SWITCH, {"s": world.school_a})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    denied = await gql("principal_a", ACADEMY)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        session.add(
            PassageDecision(
                enrollment_id=world.enrollments["eloise"],
                outcome="repeating",
                next_mef_id=world.mef_6,
            )
        )
    done = (await gql("principal_a", SWITCH, {"s": world.school_a}))["data"]["switchRentree"]
    assert done == {
        "rentree": {"closedEnrollments": 3, "leavers": 1, "endedAccesses": 2},
        "alreadySwitched": False,
        "errors": [],
    }
    again = (await gql("principal_a", SWITCH, {"s": world.school_a}))["data"]["switchRentree"]
    assert again["alreadySwitched"] is True
    academy = (await gql("admin", ACADEMY))["data"]["switchAcademyRentree"]
    assert [(s["outcome"], s["rentree"]) for s in academy["schools"]] == [
        ("ALREADY_SWITCHED", {"closedEnrollments": 3}),
        ("REFUSED", None),
    ]
    assert "BERNARD Jade" in academy["schools"][1]["reasons"][0]
    assert academy["newCurrentYearId"] is None
