"""In a real browser, the registrar's guardian screens (issue 12, point 8): editing a guardian
whose address the household shares (the whole family moves, or one parent moves out), a form
refused with its errors on the fields, linking a sibling's guardian and removing the link.
Each page passes axe-core, and reflows at 320 px."""

from __future__ import annotations

import pytest

from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
)
from tests.portals.test_reflow_browser import WIDTH, problems_of
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


async def test_the_whole_family_moves_after_an_error(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto(f"/eleves/{world.students['lina']}")
    await page.get_by_role("link", name="Modifier le responsable Mme MARTIN Claire").click()
    await expect(page.locator("h1")).to_have_text("Modifier le responsable")
    await expect(page.locator("#partage")).to_contain_text(
        "M. MARTIN Paul, MARTIN Lina (élève), MARTIN Noah (élève)"
    )
    await assert_accessible(page)

    # A new address without saying who moves, and a mobile phone too short: both refused.
    await page.locator("#champ-address\\.line1").fill("3 rue Neuve")
    await page.locator("#champ-phone_mobile").fill("06 12")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "moves_out", "toute la famille déménage")
    await expect_error_announced(page, "phone_mobile", "Le téléphone portable")
    await follow_summary_link(page, "phone_mobile")
    await assert_accessible(page)

    await page.locator("#champ-phone_mobile").fill("06 11 22 33 44")
    await page.get_by_role("radio", name="Toute la famille déménage").check(force=True)
    await page.locator("#champ-accepts_sms").set_checked(True, force=True)
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "Le responsable a été modifié.", focused=False)
    # Lina's own address is the household's: it moved with her mother.
    await expect(page.locator("#identite")).to_contain_text("3 rue Neuve")
    cards = page.locator("#titre-responsables ~ * .sconet-card")
    await expect(cards.filter(has_text="Claire")).to_contain_text("06 11 22 33 44")
    await expect(cards.filter(has_text="Claire")).to_contain_text("Accepte les SMS")
    await expect(cards.filter(has_text="Paul")).to_contain_text("3 rue Neuve")
    await assert_accessible(page)


async def test_one_parent_moves_out(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto(f"/eleves/{world.students['lina']}")
    await page.get_by_role("link", name="Modifier le responsable M. MARTIN Paul").click()
    await page.locator("#champ-address\\.line1").fill("8 avenue Foch")
    await page.locator("#champ-address\\.postal_code").fill("75016")
    await page.locator("#champ-address\\.city").fill("Paris")
    await page.get_by_role("radio", name="Seul ce responsable déménage").check(force=True)
    await page.locator("#champ-lives_with").set_checked(False, force=True)
    await page.locator("#champ-contact_first").set_checked(True, force=True)
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "Le responsable a été modifié.", focused=False)
    await expect(page.locator("#identite")).to_contain_text("12 rue de Paris")
    cards = page.locator("#titre-responsables ~ * .sconet-card")
    paul = cards.filter(has_text="Paul")
    await expect(paul).to_contain_text("8 avenue Foch")
    await expect(paul).to_contain_text("Ne vit pas avec l'élève")
    await expect(paul).to_contain_text("À contacter en priorité")
    await expect(cards.filter(has_text="Claire")).to_contain_text("12 rue de Paris")


async def test_link_a_sibling_s_guardian_then_remove_the_link(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "principal_a")
    await page.goto(f"/eleves/{world.students['eloise']}")
    await page.get_by_role("link", name="Ajouter un responsable").click()
    await expect(page.locator("h1")).to_have_text("Ajouter un responsable")
    await assert_accessible(page)

    await page.locator("#champ-search").fill("mar")
    await page.get_by_role("button", name="Rechercher").click()
    await page.get_by_role("radio", name="M. MARTIN Paul — Montreuil").check(force=True)
    await page.locator("#champ-responsibility").select_option("legal_1")
    await page.locator("#champ-relationship").select_option(label="Père")
    await page.get_by_role("button", name="Ajouter le responsable").click()
    await expect_error_announced(page, "responsibility", "déjà un responsable légal 1")
    await assert_accessible(page)
    await page.locator("#champ-responsibility").select_option("legal_2")
    await page.get_by_role("button", name="Ajouter le responsable").click()
    await expect_result_announced(page, "Le responsable a été rattaché à l'élève.", focused=False)
    paul = page.locator("#titre-responsables ~ * .sconet-card").filter(has_text="Paul")
    await expect(paul).to_contain_text("légal 2")

    await page.get_by_role("link", name="Modifier le responsable M. MARTIN Paul").click()
    await page.get_by_role("link", name="Retirer ce responsable de la fiche de l'élève").click()
    await expect(page.locator(".fr-callout")).to_contain_text(
        "Le responsable lui-même est conservé"
    )
    await assert_accessible(page)
    await page.get_by_role("button", name="Retirer le responsable").click()
    await expect_result_announced(
        page, "Le responsable a été retiré de la fiche de l'élève ; il reste enregistré", False
    )
    await expect(page.locator("#titre-responsables ~ * .sconet-card")).to_have_count(1)
    # Still the guardian of Lina, Noah's sister.
    await page.goto(f"/eleves/{world.students['lina']}")
    await expect(
        page.locator("#titre-responsables ~ * .sconet-card").filter(has_text="Paul")
    ).to_have_count(1)


async def test_the_guardian_screens_reflow_at_320_pixels(browser_page, world):
    page = browser_page
    await page.set_viewport_size({"width": WIDTH, "height": 640})
    await _sign_in(page, "registrar_a")
    lina = world.students["lina"]
    problems: list[str] = []
    for path in (
        f"/eleves/{lina}",
        f"/eleves/{lina}/responsables/{world.links['lina_mother']}",
        f"/eleves/{lina}/responsables/{world.links['lina_mother']}/retirer",
        f"/eleves/{lina}/responsables/ajouter",
    ):
        problems += await problems_of(page, path)
    assert problems == [], "\n".join(problems)
