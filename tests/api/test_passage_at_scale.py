"""Passage for a whole division: deciding it and placing it issue the same number of SQL
statements for a division of 5 in a small school as for a division of 30 in a school of 600
(nothing is read or written student by student)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import event, select

from api.resolvers import passage
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentGroup, Regime
from db.passage import PassageDecision, PassageOutcome
from db.structures import Division, DivisionMef
from db.students import Sex, Student
from tests.api.test_passage import prepare_next_year


async def add_division(
    sessionmaker, world, code: str, students: int, mef_id: int | None = None
) -> tuple[int | None, list[int]]:
    """A division of the current year in school A (``code`` None: students in no division)
    with ``students`` students of 6EME; its id and their enrolments."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        division_id = None
        if code is not None:
            division = Division(
                school_id=world.school_a, school_year_id=world.year_id, code=code, label=code
            )
            session.add(division)
            await session.flush()
            session.add(DivisionMef(division_id=division.id, mef_id=mef_id or world.mef_6))
            division_id = division.id
        people = [
            Student(
                family_name=f"Eleve{code or 'X'}",
                first_name=f"Prenom{n:04d}",
                sex=Sex.F if n % 2 else Sex.M,
                birth_date=date(2015, 1 + n % 12, 1 + n % 28),
            )
            for n in range(students)
        ]
        session.add_all(people)
        await session.flush()
        enrollments = [
            Enrollment(
                student_id=s.id,
                school_id=world.school_a,
                school_year_id=world.year_id,
                mef_id=mef_id or world.mef_6,
                division_id=division_id,
                regime=Regime.DEMI_PENSIONNAIRE,
                entry_date=date(2026, 9, 1),
            )
            for s in people
        ]
        session.add_all(enrollments)
        await session.flush()
        return division_id, [e.id for e in enrollments]


class Counter:
    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    async def run(self, sessionmaker, principal, fn, *args: Any) -> int:
        self.statements.clear()
        event.listen(self.engine, "before_cursor_execute", self._count)
        try:
            async with sessionmaker() as session, session.begin():
                await fn(session, principal, *args)
        finally:
            event.remove(self.engine, "before_cursor_execute", self._count)
        return len(self.statements)


async def _measured(sessionmaker, admin_engine, world, next_year, division_id, ids) -> list[int]:
    """Decide the division (promoted, one repeating, one leaving), place the promoted ones in
    5A with a group, then move them all out of any division: the statements of each step."""
    principal = await world.principal(sessionmaker, "registrar_a")
    counter = Counter(admin_engine)
    repeating, leaving, *promoted = ids
    counts = [
        await counter.run(
            sessionmaker,
            principal,
            passage.decide_division,
            division_id,
            {"outcome": "promoted"},
            {
                repeating: {"outcome": "repeating"},
                leaving: {"outcome": "leaving", "exit_motive_code": "39"},
            },
        ),
        await counter.run(
            sessionmaker,
            principal,
            passage.place,
            promoted,
            next_year.division_5a,
            [next_year.group],
        ),
        await counter.run(sessionmaker, principal, passage.place, promoted, None, []),
        # Everyone loses his decision: the planned enrolments go.
        await counter.run(
            sessionmaker,
            principal,
            passage.decide_division,
            division_id,
            None,
            {i: {"outcome": "", "version": None} for i in ids},
        ),
    ]
    async with sessionmaker() as session:
        assert not list(await session.scalars(select(PassageDecision.id)))
    return counts


async def test_deciding_and_placing_a_division_do_not_grow_with_its_students(
    sessionmaker, admin_engine, world
):
    next_year = await prepare_next_year(sessionmaker, world)
    small, small_ids = await add_division(sessionmaker, world, "6S", 5)
    small_counts = await _measured(sessionmaker, admin_engine, world, next_year, small, small_ids)
    # A school of 600: other divisions around a division of 30.
    for n in range(19):
        await add_division(sessionmaker, world, f"6{n:02d}", 30)
    large, large_ids = await add_division(sessionmaker, world, "6L", 30)
    large_counts = await _measured(sessionmaker, admin_engine, world, next_year, large, large_ids)
    # Deciding a division and placing it: the same statements for 5 students as for 30.
    assert small_counts[:2] == large_counts[:2], (small_counts, large_counts)
    assert max(large_counts[:2]) <= 30, large_counts
    # Changing rows that exist (moving planned enrolments, removing decisions) checks each
    # row's version: one UPDATE or DELETE per changed row, as the drivers report no row
    # count per row of a batch; the reads stay the same.
    for step in (2, 3):
        assert large_counts[step] - small_counts[step] <= 2 * 25, (small_counts, large_counts)


async def test_placing_a_division_writes_every_planned_enrolment(sessionmaker, world):
    next_year = await prepare_next_year(sessionmaker, world)
    division, ids = await add_division(sessionmaker, world, "6L", 30)
    principal = await world.principal(sessionmaker, "registrar_a")
    async with sessionmaker() as session, session.begin():
        counts = await passage.decide_division(
            session, principal, division, {"outcome": "promoted"}, {}
        )
    assert counts.created == 30
    async with sessionmaker() as session, session.begin():
        placed = await passage.place(
            session, principal, ids, next_year.division_5a, [next_year.group]
        )
    assert len(placed) == 30
    async with sessionmaker() as session:
        planned = list(
            await session.scalars(
                select(Enrollment).where(Enrollment.school_year_id == next_year.year_id)
            )
        )
        groups = list(await session.scalars(select(EnrollmentGroup)))
        decisions = list(await session.scalars(select(PassageDecision)))
    assert len(planned) == 30
    assert {(p.mef_id, p.division_id, p.previous_division_code) for p in planned} == {
        (world.mef_5, next_year.division_5a, "6L")
    }
    assert all(p.regime is Regime.DEMI_PENSIONNAIRE and not p.repeating for p in planned)
    assert len([g for g in groups if g.group_id == next_year.group]) == 30
    assert {d.outcome for d in decisions} == {PassageOutcome.PROMOTED}
