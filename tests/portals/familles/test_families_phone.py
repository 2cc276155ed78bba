"""On a phone's width (375 px), in a real browser: the header's links live behind the DSFR
"Menu" button, whose modal opens and is usable with the keyboard; the footer's mandatory
links lead to their pages."""

from __future__ import annotations

import pytest

from tests.portals.familles.family_steps import signed_up_in_browser
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


async def test_the_menu_and_the_footer_on_a_phone(
    chromium,
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
):
    from playwright.async_api import expect

    async with signed_up_in_browser(
        chromium, families_server, world, sessionmaker, ts_sessionmaker, viewport=PHONE
    ) as page:
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
            ["Accessibilité : partiellement conforme", "Mentions légales", "Données personnelles"]
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
