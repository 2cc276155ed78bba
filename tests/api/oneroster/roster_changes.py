"""The changes a school makes between two syncs of a OneRoster client, each through the same
domain function as the portal: a new student, a student who leaves, a class renamed and one
removed, a teacher's service moved to another class, a guardian renamed and another unlinked,
two classes recoded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date, timedelta
from typing import Any

from api.resolvers.enrollments import record_departure
from api.resolvers.grades import grading_periods
from api.resolvers.guardians import unlink_guardian, update_guardian
from api.resolvers.structures import (
    create_division,
    delete_division,
    update_division,
    update_group,
)
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
    """Before the first sync: the school's trimesters (its grading periods), and an empty
    class the school will remove (its id)."""
    principal = await world.principal(sessionmaker, "principal_a")

    async def trimesters(session: Any, _principal: Any) -> None:
        await grading_periods(session, world.school_a, world.year_id)

    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        await transaction.run(trimesters)
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


async def new_student(sessionmaker: Any, world: World, _removable: int) -> None:
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
            "entry_date": now().date(),
            "division_id": world.division_a2,
        },
    )


async def student_leaves(sessionmaker: Any, world: World, _removable: int) -> None:
    yesterday = now().date() - timedelta(days=1)
    await as_principal(
        sessionmaker, world, record_departure, world.enrollments["noah"], yesterday, "move"
    )


async def class_renamed(sessionmaker: Any, world: World, _removable: int) -> None:
    await as_principal(
        sessionmaker, world, update_division, world.division_a2, {"label": "6e B bis"}
    )


async def class_recoded(sessionmaker: Any, world: World, _removable: int) -> None:
    """6A and the Spanish group get new codes: their sourcedIds (their natural keys hold the
    code) change, and so do those of the enrolments in them, the teacher's and the students'."""
    await as_principal(sessionmaker, world, update_division, world.division_a1, {"code": "6A1"})
    await as_principal(sessionmaker, world, update_group, world.group_a, {"code": "ESP2A"})


async def class_removed(sessionmaker: Any, world: World, removable: int) -> None:
    await as_principal(sessionmaker, world, delete_division, removable)


async def teacher_moved(sessionmaker: Any, world: World, _removable: int) -> None:
    """Teacher A's service in 6A moves to 6B."""
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


async def guardian_renamed(sessionmaker: Any, world: World, _removable: int) -> None:
    await as_principal(
        sessionmaker,
        world,
        update_guardian,
        world.guardians["elan"],
        {"family_name": "Élan-Moreau"},
    )


async def guardian_unlinked(sessionmaker: Any, world: World, _removable: int) -> None:
    """Lina's father is no longer her guardian (he stays Jade's, in school B)."""
    await as_principal(sessionmaker, world, unlink_guardian, world.links["lina_father"])


CHANGES: dict[str, Callable[[Any, World, int], Awaitable[None]]] = {
    "new student": new_student,
    "student leaves": student_leaves,
    "class renamed": class_renamed,
    "class removed": class_removed,
    "teacher moved": teacher_moved,
    "guardian renamed": guardian_renamed,
    "guardian unlinked": guardian_unlinked,
    # After the teacher's move, which finds his service by its class's code.
    "class recoded": class_recoded,
}


async def change_the_school(
    sessionmaker: Any, world: World, removable: int, changes: Iterable[str] = tuple(CHANGES)
) -> None:
    for change in changes:
        await CHANGES[change](sessionmaker, world, removable)


# Changes the domain's deltas do not carry yet (a strict xfail in test_csv_sync.py tells
# when one is fixed; the syncs over HTTP make the others).
UNDATED: dict[str, str] = {}
DATED = tuple(change for change in CHANGES if change not in UNDATED)
