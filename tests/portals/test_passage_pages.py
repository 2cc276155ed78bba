"""/passage: the division's grid (a collective decision with exceptions), the students without
decision, the placement in next year's divisions, a newcomer; errors on their fields."""

from __future__ import annotations

from sqlalchemy import select

from db.enrollments import Enrollment
from db.passage import PassageDecision, PassageOutcome
from tests.api.test_passage import prepare_next_year
from tests.portals.test_etablissement_pages import text_of


async def _decisions(sessionmaker) -> dict[int, PassageOutcome]:
    async with sessionmaker() as session:
        return {d.enrollment_id: d.outcome for d in await session.scalars(select(PassageDecision))}


async def test_the_grid_a_collective_decision_with_exceptions(portal, sessionmaker, world):
    await prepare_next_year(sessionmaker, world)
    lina, eloise = world.enrollments["lina"], world.enrollments["eloise"]
    await portal.login("registrar_a")
    assert 'href="/passage"' in (await portal.get("/")).text
    overview = await portal.get("/passage")
    assert overview.status_code == 200
    text = text_of(overview.text)
    # The portal's world has 55 more students in 6A.
    assert "Élèves sans décision (58)" in text
    grid_url = f"/passage/divisions/{world.division_a1}"
    assert f'href="{grid_url}"' in overview.text
    grid = await portal.get(grid_url)
    assert grid.status_code == 200 and "ÉLAN Éloïse" in grid.text
    assert "Aucun MEF suivant : à choisir" in grid.text  # Éloïse's 5EME has none
    # Everyone promoted: Éloïse cannot be, the error is on her row's field.
    refused = await portal.post_form(grid_url, grid_url, {"default": "promoted"})
    assert refused.status_code == 400 and "<title>Erreur" in refused.text
    assert f'href="#champ-next_mef_id-{eloise}"' in refused.text
    assert f'id="erreur-next_mef_id-{eloise}"' in refused.text
    assert await _decisions(sessionmaker) == {}
    saved = await portal.post_form(
        grid_url, grid_url, {"default": "promoted", f"outcome-{eloise}": "repeating"}
    )
    assert saved.status_code == 303
    decided = await _decisions(sessionmaker)
    assert len(decided) == 57
    assert (decided[lina], decided[eloise]) == (PassageOutcome.PROMOTED, PassageOutcome.REPEATING)
    page = await portal.get(saved.headers["location"])
    assert 'role="status"' in page.text
    # A leaver's motive from the list, and a bad destination UAI on its field.
    bad = await portal.post_form(
        grid_url,
        grid_url,
        {
            f"outcome-{lina}": "leaving",
            f"exit_motive_code-{lina}": "11",
            f"destination_uai-{lina}": "1234",
            f"outcome-{eloise}": "repeating",
        },
    )
    assert bad.status_code == 400
    assert f'href="#champ-destination_uai-{lina}"' in bad.text
    overview = text_of((await portal.get("/passage")).text)
    assert "Élèves sans décision (1)" in overview and "MARTIN Noah" in overview


async def test_placement_and_a_newcomer(portal, sessionmaker, world):
    next_year = await prepare_next_year(sessionmaker, world)
    lina, eloise = world.enrollments["lina"], world.enrollments["eloise"]
    await portal.login("principal_a")
    grid_url = f"/passage/divisions/{world.division_a1}"
    await portal.post_form(
        grid_url, grid_url, {"default": "promoted", f"outcome-{eloise}": "repeating"}
    )
    page = await portal.get("/passage/placement")
    assert page.status_code == 200 and "Non placé" in page.text
    refused = await portal.post_form(
        "/passage/placement",
        "/passage/placement",
        {"enrollment_ids": str(lina), "division_id": str(next_year.division_6c)},
    )
    assert refused.status_code == 400 and "MARTIN Lina : La division 6C" in text_of(refused.text)
    placed = await portal.post_form(
        "/passage/placement",
        "/passage/placement",
        {"enrollment_ids": [str(lina), str(eloise)], "division_id": str(next_year.division_5a)},
    )
    assert placed.status_code == 303
    async with sessionmaker() as session:
        planned = list(
            await session.scalars(
                select(Enrollment).where(Enrollment.school_year_id == next_year.year_id)
            )
        )
    assert {e.division_id for e in planned} == {next_year.division_5a} and len(planned) == 2

    form = await portal.get("/passage/nouvel-eleve")
    assert form.status_code == 200
    missing = await portal.post_form(
        "/passage/nouvel-eleve", "/passage/nouvel-eleve", {"family_name": "Nouveau"}
    )
    assert missing.status_code == 400
    assert 'href="#champ-first_name"' in missing.text and 'href="#champ-mef_id"' in missing.text
    added = await portal.post_form(
        "/passage/nouvel-eleve",
        "/passage/nouvel-eleve",
        {
            "family_name": "Nouveau",
            "first_name": "Sami",
            "sex": "M",
            "birth_date": "02/05/2014",
            "birth_commune_code": "93048",
            "mef_id": str(world.mef_5),
            "division_id": str(next_year.division_5a),
            "regime": "externe",
        },
    )
    assert added.status_code == 303, added.text
    assert "nouvel élève est inscrit" in (await portal.get(added.headers["location"])).text


async def test_who_may_go_there(portal, sessionmaker, world):
    await portal.login("teacher_a")
    assert (await portal.get("/passage")).status_code == 403
    assert 'href="/passage"' not in (await portal.get("/")).text


async def test_students_in_no_division_have_their_own_grid(portal, sessionmaker, world):
    from tests.api.test_passage_at_scale import add_division

    await prepare_next_year(sessionmaker, world)
    _none, [first, second] = await add_division(sessionmaker, world, None, 2)
    await portal.login("registrar_a")
    overview = await portal.get("/passage")
    assert 'href="/passage/sans-division"' in overview.text
    assert "Sans division" in text_of(overview.text)
    grid = await portal.get("/passage/sans-division")
    assert grid.status_code == 200
    assert "Décisions de passage — élèves sans division" in text_of(grid.text)
    assert f'name="outcome-{first}"' in grid.text
    # Only they are there: no student of a division.
    assert f'name="outcome-{world.enrollments["lina"]}"' not in grid.text
    refused = await portal.post_form(
        "/passage/sans-division",
        "/passage/sans-division",
        {"default": "promoted", f"outcome-{second}": "leaving"},
    )
    assert refused.status_code == 400
    assert f'href="#champ-exit_motive_code-{second}"' in refused.text
    saved = await portal.post_form(
        "/passage/sans-division",
        "/passage/sans-division",
        {
            "default": "promoted",
            f"outcome-{second}": "leaving",
            f"exit_motive_code-{second}": "39",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/passage/sans-division?enregistre=decisions")
    decided = await _decisions(sessionmaker)
    assert decided == {first: PassageOutcome.PROMOTED, second: PassageOutcome.LEAVING}
