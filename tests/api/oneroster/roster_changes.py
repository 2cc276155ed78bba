"""The changes a school makes between two syncs of a OneRoster client, each through the same
domain function as the portal: a new student, a student who leaves, a class renamed and one
removed, a teacher's service moved to another class, a guardian renamed and another unlinked."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from api.resolvers.enrollments import record_departure
from api.resolvers.guardians import unlink_guardian, update_guardian
from api.resolvers.structures import create_division, delete_division, update_division
from api.resolvers.students import create_student
from api.resolvers.teaching import assign_teaching, list_teaching_assignments, unassign_teaching
from api.resolvers.work import Work
from core.clock import now
from db.enrollments import Regime
from tests.world import World


async def as_principal(sessionmaker: Any, world: World, fn: Any, *args: Any) -> Any:
    """``fn`` in a transaction of its own, as school A's principal (audited as the portal is)."""
    principal = await world.principal(sessionmaker, "principal_a")
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        return await transaction.run(fn, *args)


async def prepare(sessionmaker: Any, world: World) -> int:
    """Before the first sync: an empty class the school will remove (its id)."""
    division = await as_principal(
        sessionmaker,
        world,
        create_division,
        {
            "school_id": world.school_a,
            "school_year_id": world.year_id,
            "code": "6C",
            "label": "6e C",
            "mef_ids": [world.mef_6],
        },
    )
    return int(division.id)


async def change_the_school(sessionmaker: Any, world: World, removable_division: int) -> None:
    today = now().date()
    await as_principal(
        sessionmaker,
        world,
        create_student,
        {
            "family_name": "Durand",
            "first_name": "Léa",
            "sex": "F",
            "birth_date": date(2015, 5, 5),
            "birth_commune_code": "93048",
        },
        {
            "school_id": world.school_a,
            "school_year_id": world.year_id,
            "mef_id": world.mef_6,
            "regime": Regime.EXTERNE,
            "entry_date": today,
            "division_id": world.division_a2,
        },
    )
    await as_principal(
        sessionmaker,
        world,
        record_departure,
        world.enrollments["noah"],
        today - timedelta(days=1),
        "move",
    )
    await as_principal(
        sessionmaker, world, update_division, world.division_a2, {"label": "6e B bis"}
    )
    await as_principal(sessionmaker, world, delete_division, removable_division)
    services = await as_principal(
        sessionmaker, world, list_teaching_assignments, world.school_a, world.year_id
    )
    moved = next(s for s in services if s.structure_code == "6A")
    await as_principal(sessionmaker, world, unassign_teaching, moved.assignment.id)
    await as_principal(
        sessionmaker,
        world,
        assign_teaching,
        {
            "school_id": world.school_a,
            "teacher_id": world.users["teacher_a"],
            "division_id": world.division_a2,
            "subject_id": world.subject,
        },
    )
    await as_principal(
        sessionmaker,
        world,
        update_guardian,
        world.guardians["elan"],
        {"family_name": "Élan-Moreau"},
    )
    await as_principal(sessionmaker, world, unlink_guardian, world.links["lina_father"])
