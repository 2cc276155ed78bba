"""Following absences up: search filters, a division's week, students to contact."""

from __future__ import annotations

from datetime import date

import pytest

from api.resolvers.absences.follow_up import (
    EventSearch,
    division_sheet,
    search_events,
    students_to_contact,
)
from core import clock
from core.errors import NotFound, ValidationFailed
from db.absences import AbsenceEvent, EventKind
from db.audit import set_actor
from tests.api.absences.scenario import NOVEMBER, november


async def _search(sessionmaker, principal, search, **page):
    async with sessionmaker() as session, session.begin():
        return await search_events(session, principal, search, **page)


def _names(page):
    return [(line.student_name, line.event.start_date.day) for line in page.lines]


async def test_filters_combine(world, desk, sessionmaker):
    await november(world, desk)
    cpe, school = desk.principal, world.school_a
    everything = await _search(sessionmaker, cpe, EventSearch(school))
    assert len(everything.lines) == 6
    november_only = await _search(sessionmaker, cpe, EventSearch(school, *NOVEMBER))
    assert len(november_only.lines) == 5
    lateness = await _search(sessionmaker, cpe, EventSearch(school, kind=EventKind.LATENESS))
    assert _names(lateness) == [("Martin Lina", 19)]
    division = await _search(sessionmaker, cpe, EventSearch(school, division_id=world.division_a2))
    assert {name for name, _ in _names(division)} == {"Martin Noah"}
    group = await _search(sessionmaker, cpe, EventSearch(school, group_id=world.group_a))
    assert {name for name, _ in _names(group)} == {"Martin Lina"}
    justified = await _search(sessionmaker, cpe, EventSearch(school, justified=True))
    assert _names(justified) == [("Martin Noah", 20)]
    unjustified = await _search(sessionmaker, cpe, EventSearch(school, justified=False))
    assert len(unjustified.lines) == 5 and all(not line.justified for line in unjustified.lines)
    motive = await _search(sessionmaker, cpe, EventSearch(school, motive_id=desk.motive("NVA")))
    assert _names(motive) == [("Élan Éloïse", 9), ("Élan Éloïse", 16)]
    student = await _search(
        sessionmaker, cpe, EventSearch(school, student_id=world.students["noah"])
    )
    assert len(student.lines) == 2


async def test_pages_follow_each_other(world, desk, sessionmaker):
    await november(world, desk)
    seen = []
    after = None
    while True:
        page = await _search(
            sessionmaker, desk.principal, EventSearch(world.school_a), first=4, after=after
        )
        seen += [line.event.id for line in page.lines]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert len(seen) == len(set(seen)) == 6
    with pytest.raises(ValidationFailed):
        await _search(sessionmaker, desk.principal, EventSearch(world.school_a), first=0)
    with pytest.raises(ValidationFailed):
        await _search(sessionmaker, desk.principal, EventSearch(world.school_a), after="x")


async def test_teacher_and_other_school(world, desk, sessionmaker):
    await november(world, desk)
    teacher = await world.principal(sessionmaker, "teacher_a")  # 6A only
    page = await _search(sessionmaker, teacher, EventSearch(world.school_a))
    assert {line.student_name for line in page.lines} == {"Martin Lina", "Élan Éloïse"}
    principal_b = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _search(sessionmaker, principal_b, EventSearch(world.school_a))


async def test_division_week_marks_each_slot(world, desk, sessionmaker):
    await november(world, desk)
    async with sessionmaker() as session:
        sheet = await division_sheet(
            session, desk.principal, world.division_a1, date(2026, 11, 16), days=5
        )
    assert [row.student_name for row in sheet.rows] == ["Élan Éloïse", "Martin Lina"]
    lina = sheet.rows[1]
    assert sheet.mark(lina, date(2026, 11, 17), desk.slot("S4")) is not None
    assert sheet.mark(lina, date(2026, 11, 18), desk.slot("M1")) is None
    late = sheet.mark(lina, date(2026, 11, 19), desk.slot("M1"))
    assert late is not None and late.kind is EventKind.LATENESS
    async with sessionmaker() as session:
        with pytest.raises(ValidationFailed):
            await division_sheet(session, desk.principal, world.division_a1, date(2026, 11, 16), 8)


async def test_students_to_contact_leaves_out_notified_and_justified(world, desk, sessionmaker):
    await november(world, desk)
    async with sessionmaker() as session, session.begin():
        due = await students_to_contact(session, desk.principal, world.school_a, *NOVEMBER)
    assert [(d.student_name, d.unjustified_half_days, d.lateness) for d in due] == [
        ("Élan Éloïse", 4, 0),
        ("Martin Lina", 4, 1),
        ("Martin Noah", 2, 0),
    ]
    noah = next(d for d in due if d.student_name == "Martin Noah")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, desk.principal.audit_actor(world.school_a))
        for event in noah.events:
            (await session.get(AbsenceEvent, event.id)).notified_at = clock.now()
    async with sessionmaker() as session, session.begin():
        due = await students_to_contact(session, desk.principal, world.school_a, *NOVEMBER)
    assert [d.student_name for d in due] == ["Élan Éloïse", "Martin Lina"]


async def test_absences_follow_the_student_into_a_new_division(world, desk, sessionmaker):
    from api.resolvers.enrollments import move_student

    await november(world, desk)
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        await move_student(session, principal, world.enrollments["lina"], world.division_a2)
    moved = await _search(
        sessionmaker, desk.principal, EventSearch(world.school_a, division_id=world.division_a2)
    )
    assert {name for name, _ in _names(moved)} == {"Martin Noah", "Martin Lina"}
    left = await _search(
        sessionmaker, desk.principal, EventSearch(world.school_a, division_id=world.division_a1)
    )
    assert {name for name, _ in _names(left)} == {"Élan Éloïse"}
    async with sessionmaker() as session:
        sheet = await division_sheet(
            session, desk.principal, world.division_a2, date(2026, 11, 16), 5
        )
    assert "Martin Lina" in [row.student_name for row in sheet.rows]
