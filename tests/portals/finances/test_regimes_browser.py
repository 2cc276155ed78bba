"""In a real browser: the bursar finds a half-boarder, records her move to a boarding school
of the académie from the keyboard (the missing host school announced and linked to its field
first), and refuses then records the closure of the canteen; every page passes axe-core and
reflows at 320 pixels and at 200 % zoom."""

from __future__ import annotations

import pytest

from tests.api.finances.family_ledger import build_ledger
from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
    tab_to,
)
from tests.portals.test_immatriculation_browser import _reflows, _sign_in

pytestmark = pytest.mark.browser


async def test_a_regime_change_and_a_closure_from_the_keyboard(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    await build_ledger(sessionmaker, world)
    lina = world.enrollments["lina"]
    page = browser_page
    await _sign_in(page, "bursar_a")
    await page.goto("/finances")
    await tab_to(page, 'main a[href^="/finances/regimes"]', limit=120)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Régimes des élèves")
    await tab_to(page, "#champ-recherche", limit=120)
    await page.keyboard.type("lina")
    await page.keyboard.press("Enter")
    await expect(page.locator("#nombre-resultats")).to_have_text("1 élève.")
    await assert_accessible(page)
    await _reflows(page)
    await tab_to(page, f'a[href^="/finances/regimes/{lina}"]', limit=120)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Régime de MARTIN Lina")
    await assert_accessible(page)
    await _reflows(page)

    # Interne hébergé from 2 November without the school that lodges her: refused.
    await tab_to(page, "#champ-effective_on", limit=200)
    await page.locator("#champ-effective_on").fill("2026-11-02")
    await page.keyboard.press("Tab")
    await page.locator("#champ-regime_code").select_option("5")
    await tab_to(page, 'form[action^="/finances/regimes/"] button[type="submit"]')
    await page.keyboard.press("Enter")
    # The form posts to its own page: wait for the answer before reading it.
    await expect(page.locator("#erreurs")).to_be_visible()
    await expect_error_announced(page, "host_school_id", "Établissement d'accueil")
    await assert_accessible(page)
    await _reflows(page)
    await follow_summary_link(page, "host_school_id")
    await page.locator("#champ-host_school_id").select_option(str(world.school_b))
    await tab_to(page, 'form[action^="/finances/regimes/"] button[type="submit"]')
    await page.keyboard.press("Enter")
    await expect_result_announced(page, "Le changement de régime au 02/11/2026 est enregistré.")
    await expect(page.locator("main")).to_contain_text("Aujourd'hui : 5 — Interne heberge")
    await assert_accessible(page)

    # The canteen's closure: a span upside down is refused on its last day.
    await page.goto("/finances/remises")
    await expect(page.locator("h1")).to_have_text("Fermetures du service")
    await assert_accessible(page)
    await _reflows(page)
    await tab_to(page, "#champ-first_day", limit=200)
    await page.locator("#champ-first_day").fill("2027-03-08")
    await page.keyboard.press("Tab")
    await page.locator("#champ-last_day").fill("2027-03-04")
    await page.keyboard.press("Tab")
    await page.locator("#champ-charge_kind").select_option("half_board")
    await tab_to(page, 'form[action^="/finances/remises"] button[type="submit"]')
    await page.keyboard.press("Enter")
    # The form posts to its own page: wait for the answer before reading it.
    await expect(page.locator("#erreurs")).to_be_visible()
    await expect_error_announced(page, "last_day", "Dernier jour de fermeture")
    await assert_accessible(page)
    await _reflows(page)
    await follow_summary_link(page, "last_day")
    await page.locator("#champ-last_day").fill("2027-03-12")
    await tab_to(page, 'form[action^="/finances/remises"] button[type="submit"]')
    await page.keyboard.press("Enter")
    # Lina and Éloïse, half-board T2 150,00 each: 150,00 × 5 / 90 = 8,33 each.
    await expect_result_announced(
        page, "2 remises d'ordre accordées à 2 élèves, 16,66\u00a0€ au total."
    )
    await assert_accessible(page)
    await _reflows(page)
