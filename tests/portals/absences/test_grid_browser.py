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


async def _keyboard_sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/")


async def _focused(page) -> dict[str, str | None]:
    """What has the focus: its tag, id, text, the cell's title and aria-selected."""
    return await page.evaluate(
        """() => {
            const e = document.activeElement;
            return {
                tag: e.tagName, id: e.id || null, text: e.textContent.trim(),
                title: e.getAttribute("title"), selected: e.getAttribute("aria-selected"),
                in_grid: String(!!e.closest("#grille")), in_form: String(!!e.closest("#saisie")),
            };
        }"""
    )


async def _tab_to(page, element_id: str, limit: int = 20) -> int:
    """Presses Tab until the element has the focus; the number of presses."""
    for presses in range(1, limit + 1):
        await page.keyboard.press("Tab")
        if (await _focused(page))["id"] == element_id:
            return presses
    raise AssertionError(f"#{element_id} not reached in {limit} Tab presses")


async def _press(page, key: str, times: int) -> None:
    for _ in range(times):
        await page.keyboard.press(key)


async def test_the_keyboard_records_an_absence_on_the_grid(browser_page, world):
    """No click: Tab reaches the grid in one stop, the arrows move, Enter and Space choose the
    first and last cells, the form follows the grid, the absence is saved."""
    from playwright.async_api import expect

    page = browser_page
    await _keyboard_sign_in(page, "cpe_a")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    grid = page.locator("#grille")
    await expect(grid).to_have_attribute("role", "grid")
    slot_codes = [
        (await option.inner_text()).split(" ")[0]
        for option in (await page.locator("#champ-debut_creneau option").all())[1:]
    ]
    students = await page.locator("#grille tbody tr").evaluate_all(
        "rows => rows.map(row => Number(row.dataset.student))"
    )
    lina = world.students["lina"]
    lina_row = students.index(lina)
    assert lina_row > 0  # the arrows have to go down to her line

    # From the last link before the grid: the skip link, the grid (one stop), the form.
    await page.get_by_role("link", name="Semaine suivante").focus()
    await page.keyboard.press("Tab")
    assert (await _focused(page))["text"] == "Aller au formulaire de saisie"
    await page.keyboard.press("Tab")
    cursor = await _focused(page)
    assert cursor["in_grid"] == "true" and cursor["tag"] == "TD", cursor
    assert cursor["title"].endswith(f"Lundi 16/11 {slot_codes[0]}"), cursor
    await page.keyboard.press("Tab")
    assert (await _focused(page))["id"] == "champ-eleve"
    await page.keyboard.press("Shift+Tab")
    assert (await _focused(page))["title"] == cursor["title"]

    # Down to Lina's line, Home on her name, End on the last half-period, back to Monday M3.
    await _press(page, "ArrowDown", lina_row)
    await page.keyboard.press("Home")
    assert (await _focused(page))["text"] == "Martin Lina"
    await page.keyboard.press("End")
    assert (await _focused(page))["title"].startswith("Martin Lina — Vendredi 20/11")
    await page.keyboard.press("Home")
    await _press(page, "ArrowRight", slot_codes.index("M3") + 1)
    m3 = await _focused(page)
    assert m3["title"] == "Martin Lina — Lundi 16/11 M3" and m3["selected"] == "false", m3

    await page.keyboard.press("Enter")
    assert (await _focused(page))["title"] == m3["title"]  # the focus stays on the grid
    assert (await _focused(page))["selected"] == "true"
    await expect(page.locator("#nature-retard")).to_be_checked()
    await expect(page.locator("#grille-choix")).to_contain_text("Retard préparé pour Martin Lina")
    # Escape forgets the first cell; Enter chooses it again.
    await page.keyboard.press("Escape")
    await expect(grid.locator('[aria-selected="true"]')).to_have_count(0)
    await page.keyboard.press("Enter")

    await _press(page, "ArrowLeft", 2)
    assert (await _focused(page))["title"] == "Martin Lina — Lundi 16/11 M1"
    await page.keyboard.press(" ")
    assert (await _focused(page))["title"] == "Martin Lina — Lundi 16/11 M1"
    await expect(page.locator("#nature-absence")).to_be_checked()
    await expect(page.locator("#champ-eleve")).to_have_value(str(lina))
    options = page.locator("#champ-debut_creneau option")
    m1 = await options.filter(has_text="M1 (").get_attribute("value")
    m3_id = await options.filter(has_text="M3 (").get_attribute("value")
    await expect(page.locator("#champ-debut_creneau")).to_have_value(m1)
    await expect(page.locator("#champ-fin_creneau")).to_have_value(m3_id)
    chosen = grid.locator('td[aria-selected="true"]')
    await expect(chosen).to_have_count(3)
    await expect(grid.locator('td.sconet-cell--chosen[aria-selected="true"]')).to_have_count(3)
    # Seen without colour: a check in each chosen cell, and a frame.
    marks = await chosen.evaluate_all(
        "cells => cells.map(c => [getComputedStyle(c, '::after').content,"
        " getComputedStyle(c).boxShadow])"
    )
    assert all("\u2713" in mark and "inset" in shadow for mark, shadow in marks), marks
    await expect(page.locator("#grille-choix")).to_contain_text(
        "Absence préparée pour Martin Lina : du Lundi 16/11 M1 au Lundi 16/11 M3"
    )

    # The form is the next tab stop; the motive is typed, the form sent with Enter.
    await page.keyboard.press("Tab")
    assert (await _focused(page))["id"] == "champ-eleve"
    await _tab_to(page, "champ-motif")
    await page.keyboard.type("Maladie")
    await expect(page.locator("#champ-motif option:checked")).to_have_text("Maladie")
    await _tab_to(page, "champ-commentaire")
    await page.keyboard.type("Saisi au clavier")
    await page.keyboard.press("Enter")
    await expect(page.locator(".fr-alert--success")).to_contain_text("Absence enregistrée.")
    row = page.locator(f'tr[data-student="{lina}"]')
    await expect(row.locator(".sconet-cell--absence")).to_have_count(3)
    await expect(row.locator(".sconet-cell--absence").first).to_have_attribute(
        "title", "Martin Lina — Lundi 16/11 M1 : Absence — Maladie"
    )


async def test_the_skip_link_goes_to_the_form_and_back_to_the_grid(browser_page, world):
    page = browser_page
    await _keyboard_sign_in(page, "cpe_a")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    await page.get_by_role("link", name="Semaine suivante").focus()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    assert (await _focused(page))["id"] == "saisie"  # the form, named by its heading
    await page.keyboard.press("Tab")
    assert (await _focused(page))["id"] == "champ-eleve"
    # From the form back to the grid's cursor, where the arrows work again.
    await _tab_to(page, "vers-grille")
    await page.keyboard.press("Enter")
    back = await _focused(page)
    assert back["in_grid"] == "true" and back["tag"] == "TD", back
    await page.keyboard.press("ArrowDown")
    below = await _focused(page)
    assert below["in_grid"] == "true" and below["title"] != back["title"], below
    # Ctrl+End: the last half-period of the last line; Ctrl+Home: the first line's name;
    # Page Down does not leave the grid.
    await page.keyboard.press("Control+End")
    last = await _focused(page)
    assert last["in_grid"] == "true" and last["tag"] == "TD", last
    assert last["title"] == await page.locator(
        "#grille tbody tr:last-child td:last-child"
    ).get_attribute("title")
    await page.keyboard.press("Control+Home")
    first_name = await page.locator("#grille tbody tr:first-child th").inner_text()
    assert (await _focused(page))["text"] == first_name.strip()
    await page.keyboard.press("PageDown")
    assert (await _focused(page))["in_grid"] == "true"
    # The grid is still a single tab stop: its cells are no tab stops of their own.
    stops = await page.locator('#grille [tabindex="0"], #grille a:not([tabindex])').count()
    assert stops == 1
