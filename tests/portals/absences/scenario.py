"""Events for the portal's absence tests (the November scenario of the API tests)."""

from __future__ import annotations

from api.resolvers.absences.settings import school_setup
from tests.api.absences.conftest import Desk
from tests.api.absences.scenario import november


async def november_in_school_a(world, sessionmaker) -> Desk:
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        setup = await school_setup(session, cpe, world.school_a)
    desk = Desk(sessionmaker, cpe, world.school_a, setup)
    await november(world, desk)
    return desk
