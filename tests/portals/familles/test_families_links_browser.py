"""In a real browser: the link of a confirmation e-mail, followed from a webmail (another
site), confirms the address although its token leaves the URL for a cookie at once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.portals.familles.family_steps import signed_up_in_browser
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)
from tsdb.models import FamilyMail

pytestmark = pytest.mark.browser
WEBMAIL = "http://webmail.example/"


async def test_a_confirmation_link_followed_from_a_webmail(
    chromium,
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
):
    from playwright.async_api import expect

    async with signed_up_in_browser(
        chromium, families_server, world, sessionmaker, ts_sessionmaker, email="noah@example.fr"
    ) as page:
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
