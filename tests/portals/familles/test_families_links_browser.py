"""In a real browser: the link of a confirmation e-mail, followed from a webmail (another
site), confirms the address although its token leaves the URL for a cookie at once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from replication.run import replicate
from tests.portals.conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_PRESENT
from tests.portals.familles.family_steps import TODAY, give_code
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)
from tsdb.models import FamilyMail

pytestmark = pytest.mark.browser
WEBMAIL = "http://webmail.example/"


async def test_a_confirmation_link_followed_from_a_webmail(
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
            context = await browser.new_context(base_url=families_server)
            page = await context.new_page()
            page.set_default_timeout(15_000)
            await page.goto("/creer-un-compte")
            await page.locator("#champ-code").fill(code)
            await page.locator("#champ-naissance").fill("2015-11-02")
            await page.get_by_role("button", name="Vérifier le code").click()
            await page.locator("#champ-login").fill("noah.martin")
            await page.locator("#champ-password").fill("le chat de la voisine")
            await page.locator("#champ-confirmation").fill("le chat de la voisine")
            await page.locator("#champ-email").fill("noah@example.fr")
            await page.get_by_role("button", name="Créer mon compte").click()
            await page.wait_for_url("**/enfants")

            async with ts_sessionmaker() as ts:
                body = await ts.scalar(select(FamilyMail.body))
            link = urlsplit(re.search(r"https?://\S+", body).group(0))
            assert link.query.startswith("jeton=")
            target = f"{families_server}{link.path}?{link.query}"
            await page.route(
                WEBMAIL,
                lambda route: route.fulfill(
                    content_type="text/html",
                    body=f'<!doctype html><p><a href="{target}">Confirmer</a></p>',
                ),
            )
            await page.goto(WEBMAIL)
            await page.get_by_role("link", name="Confirmer").click()
            await expect(page.locator("h1")).to_have_text("Adresse confirmée")
            assert page.url == f"{families_server}/confirmer"
        finally:
            await browser.close()
