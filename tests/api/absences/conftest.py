"""An absence-ready world: the test world with the national motives and holidays loaded, and
short ways to record events in it."""

from __future__ import annotations

from datetime import date

import pytest

from api.resolvers.absences.events import (
    AbsenceEntry,
    LatenessEntry,
    record_absence,
    record_lateness,
)
from api.resolvers.absences.settings import SchoolAbsenceSetup, school_setup
from db.reference import load_absence_references
from tests.world import build_world


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world


class Desk:
    """The vie scolaire desk of a school: records events by slot and motive codes."""

    def __init__(self, sessionmaker, principal, school_id: int, setup: SchoolAbsenceSetup):
        self.sessionmaker = sessionmaker
        self.principal = principal
        self.school_id = school_id
        self.setup = setup

    def slot(self, code: str) -> int:
        return next(slot.id for slot in self.setup.grid.slots if slot.code == code)

    def motive(self, code: str) -> int:
        return next(m.id for m in self.setup.motives.values() if m.code == code)

    async def absence(
        self, student: int, start: date, start_slot: str, end: date, end_slot: str, motive=None
    ):
        async with self.sessionmaker() as session, session.begin():
            return await record_absence(
                session,
                self.principal,
                AbsenceEntry(
                    student,
                    self.school_id,
                    start,
                    self.slot(start_slot),
                    end,
                    self.slot(end_slot),
                    motive_id=self.motive(motive) if motive else None,
                ),
            )

    async def lateness(self, student: int, day: date, slot: str, minutes: int, motive=None):
        async with self.sessionmaker() as session, session.begin():
            return await record_lateness(
                session,
                self.principal,
                LatenessEntry(
                    student,
                    self.school_id,
                    day,
                    self.slot(slot),
                    minutes,
                    motive_id=self.motive(motive) if motive else None,
                ),
            )


@pytest.fixture
async def desk(world, sessionmaker) -> Desk:
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        setup = await school_setup(session, cpe, world.school_a)
    return Desk(sessionmaker, cpe, world.school_a, setup)
