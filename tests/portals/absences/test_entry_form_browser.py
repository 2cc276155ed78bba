"""In a real browser, the absence entry form (issue 11): refused, it says so in its title, in
a role=alert summary linked to its fields and on each field; saved, its result takes the
focus."""

from __future__ import annotations

import pytest

from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
)
from tests.world import PASSWORD

pytestmark = pytest.mark.browser

MONDAY = "2026-11-16"


async def test_the_entry_form_announces_its_errors_and_its_result(browser_page, world):
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("cpe_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    form = page.locator("#saisie")
    assert await form.get_attribute("novalidate") is not None

    await page.locator("#champ-debut_jour").fill("")
    await form.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "eleve", "Choisissez l'élève.")
    await expect_error_announced(page, "debut_jour")
    await expect_error_announced(page, "debut_creneau", "Choisissez le créneau.")
    await follow_summary_link(page, "eleve")

    # A lateness without its minutes: the radio group keeps its choice, the minutes are asked.
    await page.locator("#champ-eleve").select_option(str(world.students["lina"]))
    await page.locator('label[for="nature-retard"]').click()
    await page.locator("#champ-debut_jour").fill(MONDAY)
    await page.locator("#champ-debut_creneau").select_option(index=1)
    await form.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "minutes", "Indiquez le retard en minutes.")

    await page.locator("#champ-minutes").fill("10")
    await form.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "Retard enregistré.")
    assert (await page.title()).startswith("Retard enregistré.")


async def test_the_phone_call_form_announces_its_error_and_its_result(browser_page, world):
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("cpe_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto(f"/absences/eleves/{world.students['lina']}")
    await page.get_by_role("button", name="Noter l'appel").click()
    await expect_error_announced(page, "resume")
    await follow_summary_link(page, "resume")
    await page.keyboard.type("Mère jointe, gastro.")
    await page.get_by_role("button", name="Noter l'appel").click()
    # Back to the contacts (#contacts): the title says the result.
    await expect_result_announced(page, "Appel téléphonique noté.", focused=False)
