"""In a real browser: the bursar records a payment on a family account from the keyboard
alone (the missing cheque number announced and linked to its field first); the list and the
account pass axe-core and reflow at 320 pixels and at 200 % zoom."""

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


async def test_a_payment_from_the_keyboard(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    ledger = await build_ledger(sessionmaker, world)
    page = browser_page
    await _sign_in(page, "bursar_a")
    await page.goto("/finances/comptes?recherche=noah")
    await expect(page.locator("main")).to_contain_text("MARTIN Claire")
    await assert_accessible(page)
    await _reflows(page)
    await tab_to(page, f'a[href="/finances/comptes/{ledger.martin}"]', limit=120)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Compte de MARTIN Claire")
    await assert_accessible(page)
    await _reflows(page)

    # A cheque without its number: refused, the error announced and linked to its field.
    await tab_to(page, "#champ-paiement-method", limit=200)
    await page.locator("#champ-paiement-method").select_option("cheque")
    await page.keyboard.press("Tab")
    await page.keyboard.type("500,00")
    await tab_to(page, "#champ-paiement-bank")
    await page.keyboard.type("Crédit Mutuel")
    await tab_to(page, 'form[action$="/paiement"] button[type="submit"]')
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/paiement")
    await expect_error_announced(page, "paiement-cheque_number", "Numéro du chèque")
    await assert_accessible(page)
    await _reflows(page)
    await follow_summary_link(page, "paiement-cheque_number")
    await page.keyboard.type("7654321")
    await tab_to(page, 'form[action$="/paiement"] button[type="submit"]')
    await page.keyboard.press("Enter")
    await expect_result_announced(page, "Le paiement est enregistré.")
    # 1 950,00 − 500,00.
    await expect(page.locator("main")).to_contain_text("Solde : 1\u202f450,00\u00a0€")
    await assert_accessible(page)
