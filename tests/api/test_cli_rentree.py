"""``sconet rentree``: one school, then the académie (each school reported), run again
harmlessly."""

from __future__ import annotations

from sqlalchemy import select

from db.schools import SchoolYear, SchoolYearState
from tests.api.rentree_scenario import decide_for_jade, prepare_next_year
from tests.api.test_cli import environment, query, run
from tests.world import build_world, uai


def test_the_rentree_from_the_command_line(database_urls, tmp_path):
    env = environment(database_urls, tmp_path)

    async def prepare(sessionmaker, _engine):
        world = await build_world(sessionmaker)
        return world, await prepare_next_year(sessionmaker, world)

    world, prepared = query(database_urls.admin, prepare)
    assert run(env, "rentree").exit_code == 2
    school_a, school_b = uai("0930001"), uai("0940002")

    refused = run(env, "rentree", "--school", school_b)
    assert refused.exit_code == 1
    assert "sans décision de passage" in refused.output and "BERNARD Jade" in refused.output

    done = run(env, "rentree", "--school", school_a.lower())
    assert done.exit_code == 0, done.output
    assert f"Rentrée faite pour {school_a}" in done.output
    assert "3 scolarités closes, 1 sortants, 0 accès" in done.output
    again = run(env, "rentree", "--school", school_a)
    assert again.exit_code == 0 and "déjà faite" in again.output

    academy = run(env, "rentree", "--academy")
    assert academy.exit_code == 1
    assert f"{school_a} Collège Jean Moulin : déjà basculé" in academy.output
    assert f"{school_b} Collège Louise Michel : refusé" in academy.output

    async def decide(sessionmaker, _engine):
        await decide_for_jade(sessionmaker, world, prepared)

    query(database_urls.admin, decide)
    academy = run(env, "rentree", "--academy")
    assert academy.exit_code == 0, academy.output
    assert f"{school_b} Collège Louise Michel : basculé (1 scolarités closes" in academy.output
    assert "2027-2028 est l'année en cours de l'académie" in academy.output

    async def years(sessionmaker, _engine):
        async with sessionmaker() as session:
            rows = await session.execute(select(SchoolYear.start_year, SchoolYear.state))
            return dict(rows.all())

    found = query(database_urls.admin, years)
    assert found[2026] is SchoolYearState.CLOSED and found[2027] is SchoolYearState.CURRENT
