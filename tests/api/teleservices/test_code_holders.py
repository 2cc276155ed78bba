"""Who may hold an activation code: a legal guardian (1 or 2) of a student enrolled in the
school today, this year. Another guardian, a student who has left, and last year's enrolments
(kept open in the history) never get one, on the mass screens nor on the individual one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from api.resolvers.teleservices.codes import (
    Population,
    generate_codes,
    list_accesses,
    regenerate_code,
)
from api.resolvers.teleservices.services import set_service
from core.errors import NotFound, ValidationFailed
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, Regime
from db.guardians import GuardianLink, Relationship
from db.teleservices import CodeKind, Teleservice
from tests.conftest import TEST_SECRET_KEY
from tests.world import build_world

CAR, CAE = CodeKind.CAR, CodeKind.CAE


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    world.principal_a = principal  # type: ignore[attr-defined]
    return world


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


def _writing(sessionmaker):
    """A session writing the world's changes as the tests' own audit actor."""
    session = sessionmaker()
    set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
    return session


async def _pairs(world, sessionmaker, kind=CAR):
    lines = await _run(
        sessionmaker, list_accesses, world.principal_a, kind, Population(world.school_a)
    )
    return [(line.student_id, line.guardian_id) for line in lines]


async def _last_year(world, sessionmaker, student: str, exit_date: date | None) -> None:
    async with _writing(sessionmaker) as session, session.begin():
        session.add(
            Enrollment(
                student_id=world.students[student],
                school_id=world.school_a,
                school_year_id=world.closed_year_id,
                mef_id=world.mef_6,
                division_id=world.division_a1,
                regime=Regime.EXTERNE,
                entry_date=date(2025, 9, 1),
                exit_date=exit_date,
            )
        )


async def test_a_guardian_who_is_not_legal_gets_no_code(world, sessionmaker):
    lina, elan = world.students["lina"], world.guardians["elan"]
    async with _writing(sessionmaker) as session, session.begin():
        # Sophie Élan looks after Lina too, without parental authority.
        session.add(
            GuardianLink(
                student_id=lina,
                guardian_id=elan,
                legal_rank=None,
                relationship=Relationship.OTHER_FAMILY_MEMBER,
            )
        )
    assert (lina, elan) not in await _pairs(world, sessionmaker)
    report = await _run(
        sessionmaker,
        generate_codes,
        world.principal_a,
        CAR,
        Population(world.school_a),
        TEST_SECRET_KEY,
        chosen=[(lina, elan), (lina, world.guardians["mother"])],
    )
    assert report.created == 1
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker,
            regenerate_code,
            world.principal_a,
            world.school_a,
            lina,
            elan,
            TEST_SECRET_KEY,
        )
    assert refused.value.errors[0].code == "NOT_LEGAL_GUARDIAN"


@pytest.mark.parametrize("open_last_year", [False, True], ids=["alone", "open_last_year"])
async def test_a_student_who_has_left_gets_no_code(world, sessionmaker, open_last_year):
    noah = world.students["noah"]
    if open_last_year:
        # Last year's enrolment, never closed: it says nothing of today.
        await _last_year(world, sessionmaker, "noah", None)
    async with _writing(sessionmaker) as session, session.begin():
        await session.execute(
            update(Enrollment)
            .where(Enrollment.id == world.enrollments["noah"])
            .values(exit_date=date(2026, 11, 30))
        )
    for kind in (CAR, CAE):
        assert noah not in {student for student, _ in await _pairs(world, sessionmaker, kind)}
        report = await _run(
            sessionmaker,
            generate_codes,
            world.principal_a,
            kind,
            Population(world.school_a),
            TEST_SECRET_KEY,
        )
        assert report.created == (3 if kind is CAR else 2)
    for guardian in (world.guardians["mother"], None):
        with pytest.raises(NotFound):
            await _run(
                sessionmaker,
                regenerate_code,
                world.principal_a,
                world.school_a,
                noah,
                guardian,
                TEST_SECRET_KEY,
            )


async def test_last_years_enrolments_neither_add_nor_double_students(world, sessionmaker):
    # Lina was already here last year (closed); Jade's family was here last year only, and
    # that enrolment was never closed.
    await _last_year(world, sessionmaker, "lina", date(2026, 7, 4))
    await _last_year(world, sessionmaker, "jade", None)
    async with _writing(sessionmaker) as session, session.begin():
        session.add(
            GuardianLink(
                student_id=world.students["jade"],
                guardian_id=world.guardians["elan"],
                legal_rank=2,
                relationship=Relationship.MOTHER,
            )
        )
    students = [student for student, _ in await _pairs(world, sessionmaker, CAE)]
    assert sorted(students) == sorted(world.students[k] for k in ("lina", "noah", "eloise"))
    assert len(await _pairs(world, sessionmaker, CAR)) == 4
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            regenerate_code,
            world.principal_a,
            world.school_a,
            world.students["jade"],
            world.guardians["elan"],
            TEST_SECRET_KEY,
        )
