"""/absences/suivi and /absences/a-contacter over HTTP."""

from __future__ import annotations

from tests.portals.absences.scenario import november_in_school_a
from tests.portals.absences.test_forms_errors_pages import assert_announced


async def test_search_filters(portal, world, sessionmaker):
    await november_in_school_a(world, sessionmaker)
    await portal.login("cpe_a")
    everything = await portal.get("/absences/suivi")
    assert everything.text.count("/absences/eleves/") == 6
    lateness = await portal.get("/absences/suivi?nature=lateness")
    assert "Retard de 10 min" in lateness.text and "Absence du" not in lateness.text
    division = await portal.get(f"/absences/suivi?classe=d{world.division_a2}&justifie=non")
    assert "Martin Noah" in division.text and "Martin Lina" not in division.text
    assert division.text.count("/absences/eleves/") == 1
    bad = await portal.get("/absences/suivi?du=2026-11-30&au=2026-11-01")
    assert 'id="erreur-au"' in bad.text


async def test_contacts_need_a_template_and_the_right(portal, other_portal, world, sessionmaker):
    await november_in_school_a(world, sessionmaker)
    await portal.login("cpe_a")
    refused = await portal.post_form(
        "/absences/a-contacter", "/absences/a-contacter", {"eleves": str(world.students["lina"])}
    )
    assert refused.status_code == 400 and "Choisissez un modèle." in refused.text
    # Announced and linked like every form (issue 11): summary, marked select, its message.
    assert_announced(refused.text, ["champ-modele"], "Choisissez un modèle.")
    await other_portal.login("teacher_a")
    assert (await other_portal.get("/absences/a-contacter")).status_code == 403
