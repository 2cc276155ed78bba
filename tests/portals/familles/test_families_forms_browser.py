"""In a real browser, the families' forms (issue 11): a refused form says so in its title,
in a role=alert summary linked to the fields and on each field (aria-invalid, described by
its message); a saved one moves the focus to its result; and an account is created from
the keyboard alone."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from replication.run import replicate
from tests.portals.conftest import browser_context, new_page
from tests.portals.familles.family_steps import TODAY, give_code, signed_up_in_browser
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
    tab_to,
)
from tsdb.models import FamilyMail

pytestmark = pytest.mark.browser
PASSWORD = "le chat de la voisine"


@contextlib.asynccontextmanager
async def _browser(chromium, base_url: str):
    async with browser_context(chromium, base_url=base_url, locale="fr-FR") as context:
        yield await new_page(context)


def _on(server: str, body: str) -> str:
    """The e-mail's link, on the test server."""
    link = urlsplit(re.search(r"https?://\S+", body).group(0))
    return f"{server}{link.path}?{link.query}"


async def _noah_code(world, sessionmaker, ts_sessionmaker) -> str:
    code = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    return code


async def test_account_creation_announces_its_errors(
    chromium,
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
):
    from playwright.async_api import expect

    code = await _noah_code(world, sessionmaker, ts_sessionmaker)
    async with _browser(chromium, families_server) as page:
        await page.goto("/creer-un-compte")
        assert (await page.locator("form").get_attribute("novalidate")) is not None
        # Step 1 sent empty: the code and the birth date are asked for, each on its field.
        await page.get_by_role("button", name="Vérifier le code").click()
        await expect_error_announced(page, "code", "Saisissez le code d'activation.")
        await expect_error_announced(page, "naissance", "date de naissance")
        await follow_summary_link(page, "naissance")
        # A wrong birth date: one message, on the code (nothing told away).
        await page.locator("#champ-code").fill(code)
        await page.locator("#champ-naissance").fill("03/11/2015")
        await page.get_by_role("button", name="Vérifier le code").click()
        await expect_error_announced(page, "code", "Code d'activation ou date de naissance")
        await expect(page.locator("#champ-naissance")).not_to_have_attribute("aria-invalid", "true")

        await page.locator("#champ-code").fill(code)
        await page.locator("#champ-naissance").fill("2/11/2015")
        await page.get_by_role("button", name="Vérifier le code").click()
        # Step 2: the checked code is announced (focus and title).
        await expect_result_announced(page, "Code vérifié")
        assert "code vérifié" in await page.title()
        # The password's rules describe it before anything is typed.
        described = await page.locator("#champ-password").get_attribute("aria-describedby")
        assert described == "regles-password"
        await expect(page.locator("#regles-password")).to_contain_text("10 caractères")
        await page.locator("#champ-login").fill("Noah Martin")
        await page.get_by_role("button", name="Créer mon compte").click()
        await expect_error_announced(page, "login", "Identifiant de 3 à 60 caractères")
        await page.locator("#champ-login").fill("noah.martin")
        await page.locator("#champ-password").fill("court")
        await page.locator("#champ-confirmation").fill("court")
        await page.get_by_role("button", name="Créer mon compte").click()
        await expect_error_announced(page, "password")
        described = await page.locator("#champ-password").get_attribute("aria-describedby")
        assert described == "regles-password erreur-password"
        await page.locator("#champ-password").fill(PASSWORD)
        await page.locator("#champ-confirmation").fill(PASSWORD + "!")
        await page.get_by_role("button", name="Créer mon compte").click()
        await expect_error_announced(page, "confirmation", "Les deux mots de passe diffèrent.")
        await page.locator("#champ-password").fill(PASSWORD)
        await page.locator("#champ-confirmation").fill(PASSWORD)
        await page.locator("#champ-email").fill("pas une adresse")
        await page.get_by_role("button", name="Créer mon compte").click()
        await expect_error_announced(page, "email", "Adresse électronique invalide.")


async def test_an_account_is_created_from_the_keyboard_alone(
    chromium,
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
):
    from playwright.async_api import expect

    code = await _noah_code(world, sessionmaker, ts_sessionmaker)
    async with _browser(chromium, families_server) as page:
        await page.goto("/")
        await tab_to(page, 'main a[href="/creer-un-compte"]')
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/creer-un-compte")
        await tab_to(page, "#champ-code")
        await page.keyboard.type(code)
        await page.keyboard.press("Tab")
        await expect(page.locator("#champ-naissance")).to_be_focused()
        await page.keyboard.type("02/11/2015")
        await tab_to(page, "#creation button[type=submit]")
        await page.keyboard.press("Enter")
        # Step 2 opens on its announced result; the next Tab reaches the login.
        await expect_result_announced(page, "Code vérifié")
        await page.keyboard.press("Tab")
        await expect(page.locator("#champ-login")).to_be_focused()
        await page.keyboard.type("noah.martin")
        await tab_to(page, "#champ-password", limit=3)
        await page.keyboard.type(PASSWORD)
        await tab_to(page, "#champ-confirmation", limit=3)
        await page.keyboard.type(PASSWORD)
        await tab_to(page, "#champ-email", limit=3)
        await page.keyboard.type("noah@example.fr")
        await tab_to(page, "#creation button[type=submit]", limit=3)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/enfants")
        await expect(page.locator("h1")).to_be_visible()


async def test_password_forms_announce_errors_and_results(
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
        # The account page: a wrong current password, a weak new one, then a change.
        await page.goto("/compte")
        await page.locator("#champ-current").fill("pas le bon")
        await page.locator("#champ-password").fill("un mot de passe tout neuf")
        await page.locator("#champ-confirmation").fill("un mot de passe tout neuf")
        await page.get_by_role("button", name="Changer le mot de passe").click()
        await expect_error_announced(page, "current", "Mot de passe actuel incorrect.")
        await page.locator("#champ-current").fill(PASSWORD)
        await page.locator("#champ-password").fill("azertyuiop")
        await page.locator("#champ-confirmation").fill("azertyuiop")
        await page.get_by_role("button", name="Changer le mot de passe").click()
        await expect_error_announced(page, "password")
        await page.locator("#champ-current").fill(PASSWORD)
        await page.locator("#champ-password").fill("un mot de passe tout neuf")
        await page.locator("#champ-confirmation").fill("un mot de passe tout neuf")
        await page.get_by_role("button", name="Changer le mot de passe").click()
        await expect_result_announced(page, "Mot de passe changé.")
        assert (await page.title()).startswith("Mot de passe changé")

        # Confirm the address, so that a reset link can be asked for.
        async with ts_sessionmaker() as ts:
            body = await ts.scalar(select(FamilyMail.body).order_by(FamilyMail.id))
        await page.goto(_on(families_server, body))
        await expect(page.locator("h1")).to_have_text("Adresse confirmée")

        # Forgotten password: sent empty, then asked.
        await page.goto("/mot-de-passe-oublie")
        await page.get_by_role("button", name="Recevoir le lien").click()
        await expect_error_announced(page, "qui", "Saisissez votre identifiant")
        await page.locator("#champ-qui").fill("noah.martin")
        await page.get_by_role("button", name="Recevoir le lien").click()
        await expect(page.locator("h1")).to_have_text("Demande enregistrée")

        # The new password from the link: a mismatch is announced on the confirmation.
        async with ts_sessionmaker() as ts:
            body = await ts.scalar(select(FamilyMail.body).order_by(FamilyMail.id.desc()))
        await page.goto(_on(families_server, body))
        await expect(page.locator("h1")).to_have_text("Nouveau mot de passe")
        await page.locator("#champ-password").fill("encore un autre mot de passe")
        await page.locator("#champ-confirmation").fill("un autre encore")
        await page.get_by_role("button", name="Enregistrer").click()
        await expect_error_announced(page, "confirmation", "Les deux mots de passe diffèrent.")
