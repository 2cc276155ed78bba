"""In a real browser: the principal adds 3EME to the school's MEFs, chooses the MEF that
follows it, meets an error on the field, and every state of the page passes axe."""

from __future__ import annotations

import pytest

from db.reference import load_reference_nomenclatures
from tests.portals.axe import assert_accessible
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def test_profile_the_schools_mefs(browser_page, world, sessionmaker) -> None:
    from playwright.async_api import expect

    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("principal_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.get_by_role("link", name="Nomenclatures de l'établissement").click()
    await expect(page.locator("h1")).to_have_text("Nomenclatures de l'établissement")
    await assert_accessible(page)

    # Nothing chosen: the error is summarised, linked and under the field.
    await page.get_by_role("button", name="Ajouter le MEF").click()
    await expect(page.locator("#erreurs")).to_contain_text("Choisissez un MEF.")
    await expect(page.locator("#champ-mef_ajout")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)

    await page.get_by_label("MEF de la nomenclature nationale").select_option(
        label="3EME — 3EME (10310019110)"
    )
    await page.get_by_role("button", name="Ajouter le MEF").click()
    await expect(page.locator("#resultat")).to_contain_text("MEF 3EME ajouté.")
    row = page.locator("#mef-10310019110")
    await expect(row).to_contain_text("20010018110")  # the national next MEF

    await page.get_by_label("MEF de l'établissement").select_option(label="3EME (10310019110)")
    await page.get_by_label("MEF suivi l'année prochaine").select_option(
        label="3EME — 3EME (10310019110)"
    )
    await page.get_by_role("button", name="Enregistrer le MEF suivant").click()
    await expect(page.locator("#erreur-mef_suivant")).to_contain_text("doit différer")
    await assert_accessible(page)

    await page.get_by_label("MEF de l'établissement").select_option(label="3EME (10310019110)")
    await page.get_by_label("MEF suivi l'année prochaine").select_option(
        label="4EME — 4EME (10210001110)"
    )
    await page.get_by_role("button", name="Enregistrer le MEF suivant").click()
    await expect(page.locator("#resultat")).to_contain_text("MEF suivant de 3EME : 4EME.")
    await expect(row).to_contain_text("choix de l'établissement")
    await assert_accessible(page)
