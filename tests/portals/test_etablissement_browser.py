"""The staff portal in a real browser: headless Chromium driven by Playwright, on both engines.

The app runs under uvicorn on a free localhost port, in the test's event loop.
Screenshots of the student record and of the statistics page are left in /tmp.
"""

from __future__ import annotations

import re

import pytest

from api.demo import DEMO_PASSWORD
from tests.portals.axe import assert_accessible
from tests.portals.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


async def test_search_open_edit_and_see_french_errors(browser_page, demo, engine_name) -> None:
    from playwright.async_api import expect

    page = browser_page
    problems: list[str] = []
    # A form sent back with errors answers 400 (the browser logs it): only assets and the
    # content security policy matter here.
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("requestfailed", lambda request: problems.append(f"échec {request.url}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    student_id = demo["student"]
    family_name: str = demo["family_name"]
    prefix = family_name[: max(3, len(family_name) - 1)].lower()

    # Sign in as the demo principal: the session cookie is set and the asked page opens.
    await page.goto("/eleves")
    await expect(page).to_have_url(re.compile(r"/connexion\?suivant=%2Feleves$"))
    await page.get_by_role("textbox", name="Identifiant").fill("demo.principal")
    await page.locator("#champ-password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(re.compile(r"/eleves$"))
    await expect(page.locator(".fr-header__service-title")).to_have_text("SCONET — Base élèves")

    # Search by name prefix (lower case), open the record.
    await page.locator("#champ-nom").fill(prefix)
    await page.get_by_role("button", name="Rechercher").click()
    await expect(page.locator("#nombre-resultats")).to_contain_text("trouvé")
    await page.locator(f'a[href="/eleves/{student_id}"]').click()
    await expect(page).to_have_url(re.compile(rf"/eleves/{student_id}$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(family_name.upper())
    await expect(page.get_by_role("heading", name="Responsables")).to_be_visible()
    await expect(page.get_by_role("heading", name="Scolarité")).to_be_visible()
    await assert_accessible(page)

    # Edit the usage name and save: the record shows the change with a success notice.
    await page.get_by_role("link", name="Modifier", exact=True).click()
    await page.locator("#champ-usage_name").fill("Durand-Martin")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page).to_have_url(re.compile(rf"/eleves/{student_id}\?enregistre=1$"))
    await expect(page.locator(".fr-alert--success")).to_contain_text("Modifications enregistrées")
    await expect(page.locator("#identite")).to_contain_text("DURAND-MARTIN")
    await assert_accessible(page)
    await page.screenshot(
        path=str(SCREENSHOTS / f"sconet-portail-fiche-eleve-{engine_name}.png"), full_page=True
    )

    # An impossible birth date and an empty family name: French errors under each field.
    await page.get_by_role("link", name="Modifier", exact=True).click()
    await page.locator("#champ-birth_date").fill("31/02/2015")
    await page.locator("#champ-family_name").fill("")
    await page.get_by_role("button", name="Enregistrer").click()
    birth = page.locator(".fr-input-group--error", has=page.locator("#champ-birth_date"))
    await expect(birth.locator(".fr-error-text")).to_have_text(
        "La date de naissance n'est pas une date valide (JJ/MM/AAAA)."
    )
    await expect(page.locator("#champ-birth_date")).to_have_value("31/02/2015")
    family = page.locator(".fr-input-group--error", has=page.locator("#champ-family_name"))
    await expect(family.locator(".fr-error-text")).to_have_text(
        "Le nom de famille est obligatoire."
    )
    await expect(page.locator("#champ-usage_name")).to_have_value("Durand-Martin")
    await assert_accessible(page)
    await page.screenshot(
        path=str(SCREENSHOTS / f"sconet-portail-erreurs-{engine_name}.png"), full_page=True
    )

    # The statistics page draws its charts as accessible inline SVG.
    await page.get_by_role("link", name="Statistiques").first.click()
    await expect(page.locator('svg.sconet-chart[role="img"]')).to_have_count(5)
    await expect(page.get_by_role("img", name=re.compile("Effectifs par MEF"))).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(
        path=str(SCREENSHOTS / f"sconet-portail-statistiques-{engine_name}.png"), full_page=True
    )

    # Everything came from this server and nothing broke the content security policy.
    assert problems == []
