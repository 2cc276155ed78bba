"""On a phone's width (375 px), in a real browser: the header's links live behind the DSFR
"Menu" button, whose modal opens and is usable with the keyboard; the footer's mandatory
links lead to their pages."""

from __future__ import annotations

import pytest

from replication.run import replicate
from tests.portals.conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_PRESENT
from tests.portals.familles.family_steps import TODAY, give_code
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


async def test_the_menu_and_the_footer_on_a_phone(
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
):
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium is missing at {CHROMIUM}")
    from playwright.async_api import async_playwright, expect

    code = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(base_url=families_server, viewport=PHONE)
            page = await context.new_page()
            page.set_default_timeout(15_000)
            await page.goto("/creer-un-compte")
            await page.locator("#champ-code").fill(code)
            await page.locator("#champ-naissance").fill("2015-11-02")
            await page.get_by_role("button", name="Vérifier le code").click()
            await page.locator("#champ-login").fill("noah.martin")
            await page.locator("#champ-password").fill("le chat de la voisine")
            await page.locator("#champ-confirmation").fill("le chat de la voisine")
            await page.get_by_role("button", name="Créer mon compte").click()
            await page.wait_for_url("**/enfants")

            # The header's own links are hidden at this width: only the menu reaches them.
            header_links = page.locator(".fr-header__tools-links")
            await expect(header_links.get_by_role("link", name="Mon compte")).to_be_hidden()
            menu = page.locator("#menu-familles")
            await expect(menu).to_be_hidden()
            await page.get_by_role("button", name="Menu").click()
            await expect(menu).to_be_visible()
            await expect(menu.get_by_role("link", name="Mes enfants")).to_be_visible()
            await expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
            # The keyboard walks through the menu's links (a bounded number of Tab presses).
            reached = []
            for _ in range(8):
                await page.keyboard.press("Tab")
                reached.append(
                    await page.evaluate(
                        "() => document.activeElement.closest('#menu-familles') ? "
                        "document.activeElement.textContent.trim() : null"
                    )
                )
                if reached[-1] and reached[-1].startswith("Mon compte"):
                    break
            assert reached[-1] and reached[-1].startswith("Mon compte"), reached
            await page.keyboard.press("Enter")
            await page.wait_for_url("**/compte")
            await page.keyboard.press("Escape")

            footer = page.locator(".fr-footer__bottom-list")
            await expect(footer.get_by_role("link")).to_have_text(
                ["Accessibilité : non conforme", "Mentions légales", "Données personnelles"]
            )
            for href, title in [
                ("/accessibilite", "Déclaration d'accessibilité"),
                ("/mentions-legales", "Mentions légales"),
                ("/donnees-personnelles", "Données personnelles"),
            ]:
                answer = await page.request.get(href)
                assert answer.status == 200, href
                await footer.locator(f"a[href='{href}']").click()
                await expect(page.locator("h1")).to_have_text(title)
        finally:
            await browser.close()
