"""In a real browser: school B's principal finds Éloïse (school A) by name and birth date and
takes her file; the refused take announces its error on its field, each page passes axe-core."""

from __future__ import annotations

import pytest

from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
)
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def test_receive_a_student_from_another_school(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("principal_b")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto("/eleves")
    await page.get_by_role("link", name="Arrivée d'un élève d'un autre établissement").click()
    await expect(page.locator("h1")).to_have_text("Arrivée d'un élève d'un autre établissement")
    await assert_accessible(page)

    await page.get_by_role("button", name="Rechercher").click()
    await expect_error_announced(page, "ine", "Indiquez l'INE")
    await assert_accessible(page)

    await page.locator("#champ-family_name").fill("Elan")
    await page.locator("#champ-first_name").fill("eloise")
    await page.locator("#champ-birth_date").fill("30/06/2015")
    await page.get_by_role("button", name="Rechercher").click()
    card = page.locator(f"#eleve-{world.students['eloise']}")
    await expect(card).to_contain_text("Collège Jean Moulin")
    await expect(card).to_contain_text("6EME")
    await assert_accessible(page)

    await page.locator("#champ-regime").select_option(label="Demi-pensionnaire")
    await page.get_by_role("button", name="Prendre le dossier").click()
    await expect_error_announced(page, "mef_id", "obligatoire")
    await follow_summary_link(page, "mef_id")
    await assert_accessible(page)

    await page.locator("#champ-mef_id").select_option(label="6EME")
    await page.locator("#champ-division_id").select_option(label="6X — 2026-2027 (année en cours)")
    await page.get_by_role("button", name="Prendre le dossier").click()
    await expect_result_announced(page, "Le dossier de l'élève a été pris", focused=False)
    rows = page.locator("#titre-scolarite ~ * tbody tr")
    await expect(rows.first).to_contain_text("Collège Louise Michel")
    await expect(rows.nth(1)).to_contain_text("Changement d'établissement")
    await assert_accessible(page)
