"""In a real browser, the staff student form (issue 11): refused, it says so in its title,
in a role=alert summary linked to its fields (the sex's radio group included) and on each
field."""

from __future__ import annotations

import pytest

from tests.portals.forms_a11y import expect_error_announced, follow_summary_link
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def test_the_student_form_announces_its_errors(browser_page, world):
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("registrar_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto("/eleves/nouveau")
    await page.get_by_role("button", name="Créer l'élève").click()
    await expect_error_announced(page, "sex")
    await expect_error_announced(page, "family_name")
    await follow_summary_link(page, "family_name")
