"""In a real browser, the inscription of a new student with his address and guardians (issue
12, point 8): a sibling's mother found by name among the school's guardians, a new father;
a wrong postal code of the second guardian is announced on his field, named "Responsable 2",
and nothing is written; corrected, the student is created with both. The form passes
axe-core and reflows at 320 px."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.guardians import Guardian
from db.students import Student
from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import follow_summary_link
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


def _id(name: str) -> str:
    # The guardians' fields are named guardians.N.field: dots, so an attribute selector.
    return f'[id="champ-{name}"]'


async def test_enrol_a_sibling_with_his_mother_and_a_new_father(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("registrar_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto("/eleves/nouveau")
    await assert_accessible(page)

    await page.locator("#champ-family_name").fill("Martin")
    await page.locator("#champ-first_name").fill("Léo")
    await page.locator("#sex-M").check(force=True)
    await page.locator("#champ-birth_date").fill("02/02/2014")
    await page.locator("#champ-birth_commune_code").fill("93048")
    await page.locator(_id("address.line1")).fill("12 rue de Paris")
    await page.locator(_id("address.postal_code")).fill("93100")
    await page.locator(_id("address.city")).fill("Montreuil")
    await page.locator("#champ-mef_id").select_option(label="6EME")
    await page.locator("#champ-division_id").select_option(label="6A")
    await page.locator("#champ-regime").select_option(label="Externe")
    await page.locator(f"#option_ids-{world.subject}").set_checked(True, force=True)

    # Responsable 1: the mother of Lina and Noah, found by name.
    await page.locator(_id("guardians.0.search")).fill("mart")
    await page.get_by_role("button", name="Rechercher le responsable 1").click()
    found = page.get_by_role("radiogroup", name="Responsables trouvés (nom, commune)")
    await expect(found).to_contain_text("Mme MARTIN Claire — Montreuil")
    await expect(page.locator('[id="guardians.0.mode-existant"]')).to_be_checked()
    await page.get_by_label("Mme MARTIN Claire — Montreuil").check(force=True)
    await page.locator(_id("guardians.0.relationship")).select_option(label="Mère")
    await assert_accessible(page)

    # Responsable 2: a new father, at another address with a wrong postal code.
    await page.locator('[id="guardians.1.mode-nouveau"]').check(force=True)
    await page.locator(_id("guardians.1.civility")).select_option("M.")
    await page.locator(_id("guardians.1.family_name")).fill("Martin")
    await page.locator(_id("guardians.1.first_name")).fill("Marc")
    await page.locator(_id("guardians.1.phone_mobile")).fill("06 11 22 33 44")
    await page.locator(_id("guardians.1.same_address")).set_checked(False, force=True)
    await page.locator(_id("guardians.1.address.line1")).fill("1 rue Haute")
    await page.locator(_id("guardians.1.address.postal_code")).fill("931")
    await page.locator(_id("guardians.1.address.city")).fill("Bagnolet")
    await page.locator(_id("guardians.1.relationship")).select_option(label="Père")
    await page.locator(_id("guardians.1.pays_fees")).set_checked(True, force=True)
    async with sessionmaker() as session:
        students = await session.scalar(select(func.count()).select_from(Student))
        guardians = await session.scalar(select(func.count()).select_from(Guardian))
    await page.get_by_role("button", name="Créer l'élève").click()

    assert (await page.title()).startswith("Erreur — ")
    name = "guardians.1.address.postal_code"
    message = "Responsable 2 — Le code postal doit compter 5 chiffres."
    await expect(page.locator(f'#erreurs a[href="#champ-{name}"]')).to_have_text(message)
    await expect(page.locator(f'[id="erreur-{name}"]')).to_have_text(message)
    await expect(page.locator(_id(name))).to_have_attribute("aria-invalid", "true")
    await follow_summary_link(page, name)
    # What was typed is kept, the chosen mother with it.
    await expect(page.get_by_label("Mme MARTIN Claire — Montreuil")).to_be_checked()
    await assert_accessible(page)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Student)) == students
        assert await session.scalar(select(func.count()).select_from(Guardian)) == guardians

    # At 320 px the form reflows: no sideways scrolling.
    await page.set_viewport_size({"width": 320, "height": 640})
    assert await page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    await page.set_viewport_size({"width": 1280, "height": 900})

    await page.locator(_id(name)).fill("93170")
    await page.get_by_role("button", name="Créer l'élève").click()
    await page.wait_for_url("**/eleves/*?enregistre=1")
    cards = page.locator("#titre-responsables ~ * .sconet-card")
    await expect(cards).to_have_count(2)
    await expect(cards.nth(0)).to_contain_text("MARTIN Claire")
    await expect(cards.nth(0)).to_contain_text("Même adresse que l'élève")
    await expect(cards.nth(1)).to_contain_text("MARTIN Marc")
    await expect(cards.nth(1)).to_contain_text("93170 Bagnolet")
    await expect(cards.nth(1)).to_contain_text("Paie les frais scolaires")
