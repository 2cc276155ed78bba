"""In a real browser: the bursar previews the term's charges, applies them from the keyboard
and reads the result; the pages pass axe-core."""

from __future__ import annotations

import pytest

from tests.api.finances.charges_world import school_terms, tariffs
from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import expect_result_announced
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def test_preview_then_apply_from_the_keyboard(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    terms = await school_terms(sessionmaker, world)
    await tariffs(sessionmaker, world, terms, {"2": ("flat_term", "220,00")})
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("bursar_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.get_by_role("link", name="Finances").first.click()
    await expect(page.locator("h1")).to_have_text("Finances")
    await assert_accessible(page)
    await page.get_by_role("link", name="Génération des droits constatés").click()
    await expect(page.locator("h1")).to_have_text("Génération des droits constatés")
    # September (22 service days), Lina, Noah, Éloïse and 55 more of 6A: 58 × 220,00.
    await expect(page.locator(".sconet-facts")).to_contain_text("12\u202f760,00")
    await assert_accessible(page)

    apply = page.get_by_role("button", name="Appliquer la génération")
    await apply.focus()
    await page.keyboard.press("Enter")
    await expect_result_announced(
        page,
        "Génération appliquée : 58 droits constatés (12\u202f760,00\u00a0€), 0 remises de principe.",
    )
    await assert_accessible(page)
    await page.get_by_role("button", name="Appliquer la génération").focus()
    await page.keyboard.press("Enter")
    await expect_result_announced(page, "Rien à écrire : les droits constatés sont à jour.")
