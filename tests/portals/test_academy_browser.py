"""In a real browser: the académie administrator creates a school (a wrong UAI check letter
first), its principal is invited, and the principal chooses his password from the e-mail's
link and signs in (headless Chromium, axe on each page, both engines)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.outbox import OutboxMessage
from tests.portals.axe import assert_accessible
from tests.world import PASSWORD, uai

pytestmark = pytest.mark.browser

CHOSEN = "Vingt-trois chats gris"


async def test_a_school_its_principal_and_his_password(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("admin")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.get_by_role("link", name="Établissements", exact=True).first.click()
    await expect(page.get_by_role("heading", name="Établissements de l'académie")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Créer un établissement").click()
    await page.locator("#champ-uai").fill("0750654A")
    await page.locator("#champ-name").fill("Lycée Condorcet")
    await page.locator("#champ-kind").select_option("lgt")
    await page.get_by_label("Zone de vacances").select_option("C")
    await page.get_by_role("button", name="Créer l'établissement").click()
    summary = page.locator("#erreurs")
    await expect(summary).to_contain_text("La lettre clé de l'UAI 0750654")
    await expect(page.locator("#champ-uai")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await page.locator("#champ-uai").fill(uai("0750654"))
    await page.get_by_role("button", name="Créer l'établissement").click()
    await expect(page.locator("#resultat")).to_contain_text("créez maintenant son chef")
    await page.locator("#champ-login").fill("m.proviseur")
    await page.locator("#champ-display_name").fill("M. Proviseur")
    await page.locator("#champ-principal_email").fill("prov@example.fr")
    await page.get_by_role("button", name="Créer et inviter").click()
    await expect(page.locator("#resultat")).to_contain_text("prov@example.fr")
    await assert_accessible(page)

    async with sessionmaker() as session:
        mail = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    path = re.search(r"/invitation/\S+", mail.body).group(0)
    await page.context.clear_cookies()
    await page.goto(path)
    await expect(page.get_by_role("heading", name="Choisir votre mot de passe")).to_be_visible()
    await assert_accessible(page)
    await page.locator("#champ-password").fill("m.proviseur123")
    await page.locator("#champ-confirmation").fill("m.proviseur123")
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(page.locator("#erreurs")).to_contain_text("identifiant")
    await assert_accessible(page)
    await page.locator("#champ-password").fill(CHOSEN)
    await page.locator("#champ-confirmation").fill(CHOSEN)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(page.locator("#resultat")).to_contain_text("connectez-vous")
    await page.locator("#champ-login").fill("m.proviseur")
    await page.locator("#champ-password").fill(CHOSEN)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("link", name="M. Proviseur")).to_be_visible()
