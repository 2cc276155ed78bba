"""In a real browser: a teacher takes the roll call of his class; the vie scolaire sees the
absence and the lateness on the grid; the same slot cannot be called twice."""

from __future__ import annotations

import pytest

from tests.portals.absences.test_grid_browser import MONDAY, _sign_in
from tests.portals.axe import assert_accessible

pytestmark = pytest.mark.browser


async def test_a_teacher_takes_the_roll_call(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "teacher_a")
    await page.goto("/absences/appel")
    # Only the class taught is offered.
    await expect(page.locator("#champ-classe option")).to_have_text(["Division 6A"])
    await page.locator("#champ-jour").fill(MONDAY)
    await page.locator("#champ-creneau").select_option(index=1)
    await page.get_by_role("button", name="Afficher la classe").click()
    lina, eloise = world.students["lina"], world.students["eloise"]
    await page.locator(f"label[for='presence-{lina}-absent']").click()
    await page.locator(f"label[for='presence-{eloise}-retard']").click()
    await page.locator(f"#minutes-{eloise}").fill("7")
    await page.get_by_role("button", name="Valider l'appel").click()
    await expect(page.locator(".fr-alert--success")).to_contain_text("Appel enregistré.")
    await expect(page.locator(".fr-alert--info")).to_contain_text("a été fait")
    await expect(page.locator("#appel")).to_have_count(0)
    await assert_accessible(page)

    await page.context.clear_cookies()
    await _sign_in(page, "cpe_a")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    await expect(page.locator(f'tr[data-student="{lina}"] .sconet-cell--absence')).to_have_count(1)
    late = page.locator(f'tr[data-student="{eloise}"] .sconet-cell--lateness')
    await expect(late).to_have_attribute(
        "title", "Élan Éloïse — Lundi 16/11 M2 : Retard de 7 min — sans motif"
    )
