"""In a real browser: two clicks on the grid record an absence, one click a lateness."""

from __future__ import annotations

import pytest

from tests.portals.axe import assert_accessible
from tests.world import PASSWORD

pytestmark = pytest.mark.browser

MONDAY = "2026-11-16"


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


def _cell(page, student: int, day: str, slot_code: str, slots: dict[str, str]):
    return page.locator(
        f'a.sconet-cell__link[data-student="{student}"][data-day="{day}"][data-slot="{slots[slot_code]}"]'
    )


async def test_two_clicks_an_absence_one_click_a_lateness(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    blocked: list[str] = []
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    await _sign_in(page, "cpe_a")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    options = await page.locator("#champ-debut_creneau option").all()
    slots = {}
    for option in options[1:]:
        slots[(await option.inner_text()).split(" ")[0]] = await option.get_attribute("value")
    lina = world.students["lina"]

    await _cell(page, lina, MONDAY, "M3", slots).click()
    await expect(page.locator("#nature-retard")).to_be_checked()
    await _cell(page, lina, MONDAY, "M1", slots).click()
    await expect(page.locator("#nature-absence")).to_be_checked()
    await expect(page.locator("#champ-debut_creneau")).to_have_value(slots["M1"])
    await expect(page.locator("#champ-fin_creneau")).to_have_value(slots["M3"])
    await expect(page.locator(".sconet-cell--chosen")).to_have_count(3)
    await assert_accessible(page)
    await page.locator("#champ-motif").select_option(label="Maladie")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.locator(".fr-alert--success")).to_contain_text("Absence enregistrée.")
    row = page.locator(f'tr[data-student="{lina}"]')
    await expect(row.locator(".sconet-cell--absence")).to_have_count(3)
    await assert_accessible(page)
    await expect(row.locator(".sconet-cell--absence").first).to_have_attribute(
        "title", "Martin Lina — Lundi 16/11 M1 : Absence — Maladie"
    )

    await _cell(page, lina, "2026-11-17", "M2", slots).click()
    await page.locator("#champ-minutes").fill("15")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.locator(".fr-alert--success")).to_contain_text("Retard enregistré.")
    await expect(row.locator(".sconet-cell--lateness")).to_have_count(1)
    # Wednesday afternoon is not taught in a collège: its cells cannot be clicked.
    await expect(row.locator(".sconet-cell--closed a")).to_have_count(0)
    assert not blocked, blocked
