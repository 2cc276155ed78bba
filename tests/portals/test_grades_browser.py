"""In a real browser: a teacher creates an assessment and enters its marks with the keyboard
alone (Tab goes row by row: the mark, its status, the next student's mark), a wrong cell is
announced and linked to, and the pages are accessible (axe) and reflow at 320 px."""

from __future__ import annotations

import re

import pytest

from tests.portals.absences.test_grid_browser import _sign_in
from tests.portals.axe import assert_accessible
from tests.portals.test_reflow_browser import problems_of

pytestmark = pytest.mark.browser


async def _focused_id(page) -> str:
    return str(await page.evaluate("document.activeElement.id"))


async def test_a_teacher_enters_a_grid_with_the_keyboard(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "teacher_a")
    await page.goto("/notes")
    await assert_accessible(page)
    await page.get_by_role("link", name="Devoirs de la division 6a").click()
    await page.get_by_role("link", name="Créer un devoir").click()
    await page.get_by_label("Intitulé").fill("Dictée")
    await page.get_by_label("Date du devoir").fill("2026-11-16")
    await page.get_by_label("Publication aux familles").fill("2026-11-20")
    await page.get_by_label("Coefficient").fill("0,5")
    await assert_accessible(page)
    await page.get_by_role("button", name="Créer le devoir").click()
    await expect(page.locator("#resultat")).to_contain_text("Devoir créé")
    await assert_accessible(page)

    rows = [
        int(s)
        for s in await page.locator("tr[data-student]").evaluate_all(
            "rows => rows.map(r => r.dataset.student)"
        )
    ]
    first, second, third = rows[:3]
    # Each cell is named after its student.
    name = await page.locator(f'tr[data-student="{first}"] th').inner_text()
    await expect(page.get_by_label(f"Note de {name}")).to_have_id(f"note-{first}")
    await page.locator(f"#note-{first}").focus()
    await page.keyboard.type("12,5")
    await page.keyboard.press("Tab")
    assert await _focused_id(page) == f"statut-{first}"
    await page.keyboard.press("Tab")
    assert await _focused_id(page) == f"note-{second}"
    await page.keyboard.type("25")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    assert await _focused_id(page) == f"note-{third}"
    await page.keyboard.press("Tab")
    # "A" picks "Absent" in the status list.
    await page.keyboard.press("a")
    await expect(page.locator(f"#statut-{third}")).to_have_value("absent")
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")

    # 25 out of 20: announced, linked to its cell, the cell described by its message.
    summary = page.locator("#erreurs[role=alert]")
    await expect(summary).to_contain_text("Aucune note n'a été enregistrée : une erreur")
    link = summary.get_by_role("link")
    await expect(link).to_have_attribute("href", f"#note-{second}")
    cell = page.locator(f"#note-{second}")
    await expect(cell).to_have_attribute("aria-invalid", "true")
    await expect(cell).to_have_attribute("aria-describedby", f"erreur-note-{second}")
    await expect(page.locator(f"#erreur-note-{second}")).to_have_text(
        "La note est comprise entre 0 et 20."
    )
    await expect(page.locator(f"#note-{first}")).to_have_value("12,5")
    await assert_accessible(page)
    await link.focus()
    await page.keyboard.press("Enter")
    assert await _focused_id(page) == f"note-{second}"
    await page.keyboard.press("Control+a")
    await page.keyboard.type("17")
    await page.keyboard.press("Enter")
    await expect(page.locator("#resultat")).to_contain_text("Notes enregistrées.")
    await expect(page.locator(f"#note-{first}")).to_have_value("12,5")
    await expect(page.locator(f"#note-{second}")).to_have_value("17")
    await expect(page.locator(f"#statut-{third}")).to_have_value("absent")

    await page.goto(f"/notes/classe?classe=d{world.division_a1}")
    await page.get_by_role("link", name="Moyennes par période").click()
    await expect(page).to_have_url(re.compile(r"/notes/classe/moyennes"))
    await assert_accessible(page)


async def test_the_grades_pages_reflow_at_320_pixels(browser_page, world):
    page = browser_page
    await _sign_in(page, "teacher_a")
    await page.set_viewport_size({"width": 320, "height": 640})
    key = f"d{world.division_a1}"
    problems: list[str] = []
    for path in (
        "/notes",
        f"/notes/classe?classe={key}",
        f"/notes/classe/nouveau-devoir?classe={key}",
    ):
        problems += await problems_of(page, path)
    await page.goto(f"/notes/classe/nouveau-devoir?classe={key}")
    await page.get_by_label("Intitulé").fill("Oral")
    await page.get_by_label("Date du devoir").fill("2026-11-16")
    await page.get_by_label("Publication aux familles").fill("2026-11-16")
    await page.get_by_role("button", name="Créer le devoir").click()
    await page.wait_for_url(re.compile(r"/notes/devoirs/\d+"))
    grid = page.url.split("?")[0].removeprefix(page.url.split("/notes")[0])
    problems += await problems_of(page, grid)
    problems += await problems_of(page, f"/notes/classe/moyennes?classe={key}")
    assert not problems, "\n".join(problems)
