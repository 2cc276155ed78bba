"""Every page of the families portal on a 320-pixel screen (WCAG 1.4.10, reflow): the page
never scrolls sideways, and axe-core finds no violation of the WCAG 2.1 A and AA rules."""

from __future__ import annotations

import pytest

from tests.portals.familles.family_steps import signed_up_in_browser
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)
from tests.portals.test_reflow_browser import WIDTH, problems_of

pytestmark = pytest.mark.browser

SIGNED_IN = ["/enfants", "/compte", "/ajouter-un-code", "/situation-financiere"]
PUBLIC = [
    "/",
    "/creer-un-compte",
    "/mot-de-passe-oublie",
    "/accessibilite",
    "/mentions-legales",
    "/donnees-personnelles",
]


async def test_every_families_page_reflows_at_320_pixels(
    chromium,
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
) -> None:
    async with signed_up_in_browser(
        chromium,
        families_server,
        world,
        sessionmaker,
        ts_sessionmaker,
        email="noah@example.fr",
        viewport={"width": WIDTH, "height": 640},
    ) as page:
        child = await page.locator("a[href^='/enfants/']").first.get_attribute("href")
        assert child
        problems: list[str] = []
        for path in [*SIGNED_IN, child, *PUBLIC]:
            problems += await problems_of(page, path)
        await page.context.clear_cookies()
        for path in PUBLIC:
            problems += await problems_of(page, path)
    assert not problems, "\n".join(problems)
