"""Pages of the families portal that must answer as pages, never as a server error."""

from __future__ import annotations

from sqlalchemy import select

from replication.run import replicate
from tests.portals.familles.family_steps import TODAY, give_code, open_account
from tsdb.models import TsStudent


async def test_a_child_of_another_account_answers_the_page_of_an_unknown_id(
    world, sessionmaker, ts_sessionmaker, families
):
    lina_code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    await give_code(
        world,
        sessionmaker,
        world.school_b,
        world.students["jade"],
        world.guardians["father"],
        "principal_b",
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, lina_code, "2015-03-14", "claire", "un mot de passe long")
    async with ts_sessionmaker() as ts:
        jade = await ts.scalar(
            select(TsStudent.id).where(TsStudent.student_id == world.students["jade"])
        )
    assert jade is not None
    other = await families.get(f"/enfants/{jade}")
    unknown = await families.get("/enfants/987654")
    assert other.status_code == unknown.status_code == 404
    assert "Page introuvable" in other.text and "Jade" not in other.text
    # The same page, the member's menu and sign-out form included.
    assert other.text == unknown.text and "Se déconnecter" in other.text
