"""The absence screens' tests: the test world (no extra students) with the national motives
and holidays loaded."""

from __future__ import annotations

import pytest

from db.reference import load_absence_references
from tests.world import World, build_world


@pytest.fixture
async def world(sessionmaker) -> World:
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world
