"""The home tiles on a phone: one column at 320 px, nothing wider than the screen."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def test_home_tiles_reflow_on_a_320_pixel_screen(browser_page, world) -> None:
    from playwright.async_api import expect

    page = browser_page
    await page.goto("/connexion")
    await page.get_by_role("textbox", name="Identifiant").fill("principal_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(re.compile(r"/$"))

    tiles = page.locator(".fr-tile")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await expect(tiles.first).to_be_visible()
    wide = [await tiles.nth(i).bounding_box() for i in range(await tiles.count())]
    assert len(wide) >= 6
    # Side by side on a desktop screen...
    assert len({round(box["y"]) for box in wide if box}) < len(wide)

    await page.set_viewport_size({"width": 320, "height": 640})
    await expect(page.locator("#bouton-menu")).to_be_visible()
    narrow = [await tiles.nth(i).bounding_box() for i in range(await tiles.count())]
    # ...one below the other on a phone, each within the screen, none overlapping.
    for box in narrow:
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    tops = [box["y"] for box in narrow if box]
    assert tops == sorted(tops) and len({round(t) for t in tops}) == len(tops)
    for above, below in pairwise(narrow):
        assert above and below and above["y"] + above["height"] <= below["y"] + 1
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    await page.screenshot(path="/tmp/sconet-accueil-320.png", full_page=True)
