"""Replication: what reaches the télé-services database, incrementally, with deletions, with
time-based publication, crash-safe at every batch, one run at a time, and code uses back."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from api.resolvers.absences.settings import school_setup
from api.resolvers.grades import AssessmentInput, MarkInput, create_assessment, enter_marks
from api.resolvers.teleservices.codes import (
    Population,
    code_history,
    generate_codes,
    regenerate_code,
)
from api.resolvers.teleservices.services import (
    add_deadline,
    grades_publication,
    set_grades_publication,
    set_service,
)
from db.absences import AbsenceEvent
from db.audit import set_actor
from db.grades import MarkStatus
from db.reference import load_absence_references
from db.students import Student
from db.teleservices import ActivationCode, CodeKind, GradesPublication, Teleservice
from replication import run as replication_run
from replication.lock import replication_lock
from replication.run import ACTOR, InjectedFailure, ReplicationBusy, replicate
from tests.api.absences.conftest import Desk
from tests.api.absences.scenario import november
from tests.conftest import TEST_SECRET_KEY
from tests.world import build_world
from tsdb.activation_codes import code_matches
from tsdb.models import (
    FamilyAccount,
    FamilyCodeUse,
    ReplicationRun,
    ReplicationState,
    TsAbsence,
    TsCode,
    TsMark,
    TsSchool,
    TsStudent,
)

TODAY = date(2026, 11, 25)
REPLICATED = (TsSchool, TsStudent, TsAbsence, TsMark, TsCode)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    principal = await world.principal(sessionmaker, "principal_a")
    for service in Teleservice:
        await _run(sessionmaker, set_service, principal, world.school_a, service, True)
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _run(sessionmaker, school_setup, cpe, world.school_a)
    await november(world, Desk(sessionmaker, cpe, world.school_a, setup))
    for kind in CodeKind:
        await _run(
            sessionmaker,
            generate_codes,
            principal,
            kind,
            Population(world.school_a),
            TEST_SECRET_KEY,
        )
    teacher = await world.principal(sessionmaker, "teacher_a")
    for title, published in (("Contrôle", date(2026, 11, 20)), ("Devoir", date(2026, 11, 27))):
        test = await _run(
            sessionmaker,
            create_assessment,
            teacher,
            AssessmentInput(
                title=title,
                subject_id=world.subject,
                day=date(2026, 11, 16),
                scale=Decimal(20),
                coefficient=Decimal(1),
                published_on=published,
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
    world.principal_a = principal  # type: ignore[attr-defined]
    return world


async def _dump(ts_sessionmaker) -> dict[str, list[tuple]]:
    dump = {}
    async with ts_sessionmaker() as ts:
        for model in REPLICATED:
            columns = [c for c in model.__table__.columns if c.name != "code_hash"]
            rows = (await ts.execute(select(*columns).order_by(model.id))).all()
            dump[model.__tablename__] = [tuple(row) for row in rows]
    return dump


async def _reset(ts_sessionmaker) -> None:
    async with ts_sessionmaker() as ts, ts.begin():
        for model in (*REPLICATED, ReplicationState):
            await ts.execute(delete(model))


async def test_full_replication_copies_what_families_may_see(world, sessionmaker, ts_sessionmaker):
    summary = await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    dump = await _dump(ts_sessionmaker)
    # School B opened nothing: it is not there, nor its student.
    assert [row[1] for row in dump["ts_schools"]] == [
        (await _school_uai(sessionmaker, world.school_a))
    ]
    assert {row[4] for row in dump["ts_students"]} == {"Lina", "Noah", "Éloïse"}
    assert len(dump["ts_absences"]) == 6
    # Only the mark published on the 20th; the other waits for the 27th.
    assert [(row[4], row[6]) for row in dump["ts_marks"]] == [("Contrôle", "graded")]
    assert len(dump["ts_codes"]) == 4 + 3
    assert summary.copied == sum(len(rows) for rows in dump.values())
    history = await _run(
        sessionmaker,
        code_history,
        world.principal_a,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        TEST_SECRET_KEY,
    )
    async with ts_sessionmaker() as ts:
        held = await ts.get(TsCode, history[0].row.id)
    assert held.birth_date == date(2015, 3, 14) and code_matches(held.code_hash, history[0].code)
    assert history[0].code not in held.code_hash


async def _school_uai(sessionmaker, school_id):
    from db.schools import School

    async with sessionmaker() as session:
        return (await session.get(School, school_id)).uai


async def test_incremental_runs_copy_changes_and_deletions(world, sessionmaker, ts_sessionmaker):
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    principal = world.principal_a
    lina, mother = world.students["lina"], world.guardians["mother"]
    async with sessionmaker() as session:
        old = await session.scalar(
            select(ActivationCode.id).where(
                ActivationCode.student_id == lina,
                ActivationCode.guardian_id == mother,
                ActivationCode.is_valid.is_(True),
            )
        )
    new = await _run(
        sessionmaker, regenerate_code, principal, world.school_a, lina, mother, TEST_SECRET_KEY
    )
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        (await session.get(Student, lina)).first_name = "Lina-Rose"
        event = await session.scalar(
            select(AbsenceEvent).where(AbsenceEvent.student_id == lina).limit(1)
        )
        await session.delete(event)
    summary = await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    async with ts_sessionmaker() as ts:
        assert await ts.get(TsCode, old) is None and await ts.get(TsCode, new.id) is not None
        names = set(await ts.scalars(select(TsStudent.first_name)))
        assert "Lina-Rose" in names and "Lina" not in names
        assert await ts.get(TsAbsence, event.id) is None
    # Proportional to the change: a handful of rows, not the whole school.
    assert summary.copied <= 6
    after = await _dump(ts_sessionmaker)
    await _reset(ts_sessionmaker)
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    assert await _dump(ts_sessionmaker) == after


async def test_closing_a_service_and_time_publish_or_withdraw(world, sessionmaker, ts_sessionmaker):
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await replicate(sessionmaker, ts_sessionmaker, today=date(2026, 11, 28))
    async with ts_sessionmaker() as ts:
        assert set(await ts.scalars(select(TsMark.title))) == {"Contrôle", "Devoir"}
    await _run(
        sessionmaker, set_service, world.principal_a, world.school_a, Teleservice.ABSENCES, False
    )
    await replicate(sessionmaker, ts_sessionmaker, today=date(2026, 11, 28))
    async with ts_sessionmaker() as ts:
        assert list(await ts.scalars(select(TsAbsence.id))) == []
        assert list(await ts.scalars(select(TsSchool.services))) == ["grades"]


async def test_a_crash_at_any_batch_ends_as_an_uninterrupted_run(
    world, sessionmaker, ts_sessionmaker, monkeypatch
):
    monkeypatch.setattr(replication_run, "BATCH", 2)
    reference_summary = await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    reference = await _dump(ts_sessionmaker)
    assert reference_summary.batches >= 8
    for failing_at in range(1, reference_summary.batches):
        await _reset(ts_sessionmaker)
        with pytest.raises(InjectedFailure):
            await replicate(
                sessionmaker, ts_sessionmaker, full=True, today=TODAY, fail_after_batches=failing_at
            )
        await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
        assert await _dump(ts_sessionmaker) == reference, failing_at
    # An incremental run that dies leaves the cursor where it was: the next one catches up.
    await _run(
        sessionmaker,
        regenerate_code,
        world.principal_a,
        world.school_a,
        world.students["noah"],
        None,
        TEST_SECRET_KEY,
    )
    with pytest.raises(InjectedFailure):
        await replicate(sessionmaker, ts_sessionmaker, today=TODAY, fail_after_batches=0)
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    caught_up = await _dump(ts_sessionmaker)
    await _reset(ts_sessionmaker)
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    assert await _dump(ts_sessionmaker) == caught_up


async def test_one_run_at_a_time(world, sessionmaker, ts_sessionmaker, ts_engine):
    async with replication_lock(ts_engine):
        with pytest.raises(ReplicationBusy):
            await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    # Released with its holder: the next run goes.
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)


# A full run in a process of its own that stops, as if slow, once every table but the last is
# rewritten, and says so: the test kills it there.
KILLED_RUN = """
import asyncio, sys, time
from datetime import date
from databases.engines import make_engine, make_sessionmaker
from replication import run

run.BATCH = 2

# The last table this test's world fills (it has no finances).
def progress(table, done, total):
    if table == "codes":
        print("copie", flush=True)
        time.sleep(120)

asyncio.run(run.replicate(
    make_sessionmaker(make_engine(sys.argv[1])),
    make_sessionmaker(make_engine(sys.argv[2])),
    full=True,
    today=date.fromisoformat(sys.argv[3]),
    progress=progress,
))
"""


async def test_a_killed_full_run_is_invisible_and_blocks_nothing(
    world, sessionmaker, ts_sessionmaker, database_urls
):
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    before = await _dump(ts_sessionmaker)
    # Changes the killed run will have copied before dying: a renamed student, a new code.
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        (await session.get(Student, world.students["lina"])).first_name = "Linette"
    await _run(
        sessionmaker,
        regenerate_code,
        world.principal_a,
        world.school_a,
        world.students["noah"],
        None,
        TEST_SECRET_KEY,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_RUN,
        database_urls.admin,
        database_urls.teleservices,
        str(TODAY),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert process.stdout is not None
        said = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert said.strip() == b"copie"
    finally:
        process.kill()
        await asyncio.wait_for(process.wait(), timeout=10)
    # Families still see the whole of the last run, nothing of the dead one.
    assert await _dump(ts_sessionmaker) == before
    summary = await _next_run(sessionmaker, ts_sessionmaker)
    assert summary.full
    async with ts_sessionmaker() as ts:
        runs = list(await ts.scalars(select(ReplicationRun.status).order_by(ReplicationRun.id)))
        assert "Linette" in {row.first_name for row in await ts.scalars(select(TsStudent))}
    assert runs == ["done", "failed", "done"]


async def _next_run(sessionmaker, ts_sessionmaker):
    """The next full run. The lock dies with the killed process; on PostgreSQL the server
    notices the closed connection within moments, so the wait is bounded, and short."""
    async with asyncio.timeout(5):
        while True:
            try:
                return await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
            except ReplicationBusy:
                await asyncio.sleep(0.05)


async def test_code_uses_come_back_to_the_admin_side(world, sessionmaker, ts_sessionmaker):
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    async with ts_sessionmaker() as ts, ts.begin():
        code_id = (await ts.scalars(select(TsCode.id).limit(1))).one()
        account = FamilyAccount(login="parent", password_hash="x")
        ts.add(account)
        await ts.flush()
        ts.add(
            FamilyCodeUse(
                account_id=account.id, code_id=code_id, used_at=datetime(2026, 11, 24, tzinfo=UTC)
            )
        )
    summary = await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    assert summary.codes_used == 1
    async with sessionmaker() as session:
        assert (await session.get(ActivationCode, code_id)).used_at is not None
    async with ts_sessionmaker() as ts:
        assert (await ts.scalars(select(FamilyCodeUse.reported_at))).one() is not None


async def test_at_deadlines_marks_wait_for_their_pairs_deadline(
    world, sessionmaker, ts_sessionmaker
):
    principal = world.principal_a
    await _run(
        sessionmaker, set_grades_publication, principal, world.school_a, GradesPublication.DEADLINES
    )
    view = await _run(sessionmaker, grades_publication, principal, world.school_a)
    six_a = next(p for p in view.pairs if p.division_code == "6A")
    await _run(
        sessionmaker,
        add_deadline,
        principal,
        world.school_a,
        date(2026, 12, 4),
        [(six_a.mef_id, six_a.division_id)],
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    async with ts_sessionmaker() as ts:
        assert list(await ts.scalars(select(TsMark.id))) == []
    await replicate(sessionmaker, ts_sessionmaker, today=date(2026, 12, 4))
    async with ts_sessionmaker() as ts:
        assert set(await ts.scalars(select(TsMark.title))) == {"Contrôle", "Devoir"}
