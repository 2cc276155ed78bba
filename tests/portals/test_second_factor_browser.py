"""In a real browser: a staff member enrols an OTP key, logs out, logs in again with password
and code, and a recovery code works once (headless Chromium, both engines)."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.portals.axe import assert_accessible
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def _password(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()


async def _code(page, code: str) -> None:
    await page.locator("#champ-code").fill(code)
    await page.get_by_role("button", name="Valider").click()


async def test_enrol_then_log_in_with_the_code_and_a_recovery_code(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    await _password(page, "cpe_a")
    await expect(page.get_by_role("link", name="Cpe A")).to_be_visible()
    await page.get_by_role("link", name="Cpe A").click()
    await expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
    await page.get_by_role("link", name="Enregistrer une clé OTP").click()
    await expect(page.locator(".sconet-qr svg")).to_be_visible()
    await assert_accessible(page)
    secret = (await page.locator("#cle-otp").inner_text()).strip()
    totp = pyotp.TOTP(secret)
    await page.locator("#champ-code").fill(totp.now())
    await page.get_by_role("button", name="Enregistrer la clé").click()
    await expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    codes = [c.strip() for c in await page.locator(".sconet-recovery-codes code").all_inner_texts()]
    assert len(codes) == 10

    await page.get_by_role("button", name="Se déconnecter", exact=True).click()
    await _password(page, "cpe_a")
    await expect(page.get_by_role("heading", name="Vérification en deux étapes")).to_be_visible()
    await _code(page, "123456" if totp.now() != "123456" else "654321")
    await expect(page.locator(".fr-error-text")).to_contain_text("Code incorrect")
    await assert_accessible(page)
    # The next time step: the code of enrolment may not be replayed.
    await _code(page, totp.at(time.time() + 30))
    await expect(page.get_by_role("link", name="Cpe A")).to_be_visible()

    await page.get_by_role("button", name="Se déconnecter", exact=True).click()
    await _password(page, "cpe_a")
    await _code(page, codes[0])
    await expect(page.get_by_role("link", name="Cpe A")).to_be_visible()
    await page.get_by_role("button", name="Se déconnecter", exact=True).click()
    await _password(page, "cpe_a")
    await _code(page, codes[0])
    await expect(page.locator(".fr-error-text")).to_contain_text("Code incorrect")
    await assert_accessible(page)
    assert problems == []
