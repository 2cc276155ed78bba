"""In a real browser: the "Tableau de bord des liaisons" of a school and of the académie, and
the rectorat settling a probable duplicate from the keyboard alone (the missing decision
announced and linked to its field first); each page passes axe-core, and reflows at 320
pixels and at 200 % zoom."""

from __future__ import annotations

import pytest

from tests.api.test_immatriculation import _send, _twin_in_school_b
from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
    tab_to,
)
from tests.portals.test_reflow_browser import WIDEST
from tests.world import PASSWORD

pytestmark = pytest.mark.browser

# 320 CSS pixels (WCAG 1.4.10), and a 1280 x 900 screen zoomed to 200 %.
SIZES = ({"width": 320, "height": 640}, {"width": 640, "height": 450})


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


async def _reflows(page) -> None:
    """At each size the page does not scroll sideways and still passes axe-core."""
    try:
        for size in SIZES:
            await page.set_viewport_size(size)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], await page.evaluate(WIDEST)
            await assert_accessible(page, f"{page.url} ({size['width']} px)")
    finally:
        await page.set_viewport_size({"width": 1280, "height": 900})


async def test_the_school_and_the_academy_dashboards(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    await _twin_in_school_b(sessionmaker, world)
    await _send(sessionmaker, world)
    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto("/liaisons")
    await expect(page.locator("h1")).to_contain_text("Tableau de bord des liaisons")
    await expect(page.locator("main")).to_contain_text("MARTIN Noah")
    await assert_accessible(page)
    await _reflows(page)

    await page.context.clear_cookies()
    await _sign_in(page, "rectorat")
    await page.goto("/liaisons?perimetre=academie")
    await expect(page.locator("main")).to_contain_text("toute l'académie")
    await assert_accessible(page)
    await _reflows(page)


async def test_the_rectorat_settles_a_duplicate_from_the_keyboard(
    browser_page, world, sessionmaker
):
    from playwright.async_api import expect

    from db.immatriculation import ProbableDuplicate

    await _twin_in_school_b(sessionmaker, world)
    await _send(sessionmaker, world)
    async with sessionmaker() as session:
        from sqlalchemy import select

        duplicate_id = await session.scalar(select(ProbableDuplicate.id))
    field = f"resolution-{duplicate_id}"
    submit = f'form[action="/liaisons/doublons/{duplicate_id}"] button[type="submit"]'
    page = browser_page
    await _sign_in(page, "rectorat")
    await page.goto("/liaisons/doublons")
    await expect(page.locator("h1")).to_have_text("Doublons probables")
    await assert_accessible(page)
    await _reflows(page)

    # No decision chosen: the error is announced, linked to the field, and the link takes
    # the focus there.
    await tab_to(page, submit)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/liaisons/doublons/*")
    await expect_error_announced(page, field, "Choisissez")
    await assert_accessible(page)
    await _reflows(page)
    await follow_summary_link(page, field)

    # From the field, the first choice ("Deux élèves distincts") by the keyboard, then the
    # button.
    await tab_to(page, f'input[name="{field}"]')
    await page.keyboard.press("Space")
    await expect(page.get_by_label("Deux élèves distincts")).to_be_checked()
    await tab_to(page, submit)
    await page.keyboard.press("Enter")
    await expect_result_announced(page, "Décision enregistrée")
    await expect(page.locator("main")).to_contain_text("Aucun doublon probable en attente")
    await assert_accessible(page)

    await tab_to(page, 'a[href="/liaisons/doublons?tranches=1"]')
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_contain_text("Deux élèves distincts")
    await assert_accessible(page)
