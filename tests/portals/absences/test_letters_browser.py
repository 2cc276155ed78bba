"""In a real browser: the CPE informs the families on the list to contact with the letter
template, prints the letters and reads them back; the list is then empty."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.portals.absences.scenario import november_in_school_a
from tests.portals.absences.test_grid_browser import _sign_in
from tests.portals.axe import assert_accessible

pytestmark = pytest.mark.browser


async def test_letters_to_families(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    await november_in_school_a(world, sessionmaker)
    page = browser_page
    await _sign_in(page, "cpe_a")
    await page.goto("/absences/a-contacter")
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(3)
    # Only Lina's family this time.
    for student in ("noah", "eloise"):
        await page.locator(f"#eleve-{world.students[student]}").set_checked(False, force=True)
    await page.locator("#champ-modele").select_option(
        label="Courrier — Lettre d'absences non justifiées"
    )
    await page.get_by_role("button", name="Informer les familles").click()
    await expect(page.locator(".fr-alert--success")).to_contain_text("2 envois préparés")
    link = page.locator("#courriers")
    await expect(link).to_contain_text("Imprimer les 2 courriers")
    await assert_accessible(page)
    response = await page.request.get(await link.get_attribute("href"))
    assert response.status == 200
    reader = PdfReader(io.BytesIO(await response.body()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) == 2
    assert "Objet : Absences de Lina Martin" in text and "Mme Claire Martin" in text
    assert "lundi 16/11/2026 (M1)" in text
    await page.goto("/absences/a-contacter")
    await expect(rows).to_have_count(2)
    await page.goto(f"/absences/eleves/{world.students['lina']}")
    await expect(page.locator(".sconet-contacts li")).to_have_count(2)
    await expect(page.locator(".sconet-contacts").first).to_contain_text("Courrier")
