"""In a real browser: the principal reads the rentrée summary, confirms, and finds the
switch done; every state of the page passes axe."""

from __future__ import annotations

import pytest

from tests.api.rentree_scenario import prepare_next_year
from tests.portals.axe import assert_accessible
from tests.portals.test_rentree_pages import decide_for_extras
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def test_the_principal_switches_the_school(browser_page, world, sessionmaker) -> None:
    from playwright.async_api import expect

    await prepare_next_year(sessionmaker, world)
    await decide_for_extras(sessionmaker, world)
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("principal_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.get_by_role("link", name="Rentrée", exact=True).first.click()
    await expect(page.locator("h1")).to_have_text("Rentrée")
    await expect(page.locator("#sortants")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("link", name="Basculer sur l'année 2027-2028").click()
    await expect(page.locator("#confirmation")).to_contain_text("Cette action ne se défait pas")
    await assert_accessible(page)

    await page.get_by_role("button", name="Confirmer la bascule").click()
    await expect(page.locator("#resultat")).to_contain_text("Rentrée faite")
    await expect(page.locator("#deja-faite")).to_contain_text("La rentrée 2027-2028 est faite")
    await assert_accessible(page)
