"""In a real browser, from the keyboard only: the registrar decides division 6A at once
(everyone promoted, Éloïse repeating, Lina leaving), forgets Lina's motive, reaches the
announced error from the summary, fixes it and saves; then places two students in next
year's 5A, a refused placement naming its field first. Every state passes axe-core and the
pages reflow at 320 px and at 200 % zoom (a 1280 px window seen as 640 CSS px)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.enrollments import Enrollment
from db.passage import PassageDecision, PassageOutcome
from tests.api.test_passage import prepare_next_year
from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
    tab_to,
)
from tests.portals.test_reflow_browser import WIDEST
from tests.world import PASSWORD

pytestmark = pytest.mark.browser

# A division of 57 students has five fields a row: the Tab key goes a long way.
ROW_TABS = 400


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


async def _reflows(page) -> None:
    """At 320 px, and at 200 % zoom, the page does not scroll sideways (the grid scrolls
    inside its own table wrapper) and still passes axe-core."""
    for width, height in ((320, 640), (640, 450)):
        await page.set_viewport_size({"width": width, "height": height})
        try:
            scrolled = await page.evaluate("document.documentElement.scrollWidth")
            assert scrolled <= width, (width, await page.evaluate(WIDEST))
            await assert_accessible(page, f"{page.url} ({width} px)")
        finally:
            await page.set_viewport_size({"width": 1280, "height": 900})


async def _choose(page, selector: str, downs: int) -> None:
    """Picks an option of a focused select from the keyboard (Home, then ArrowDown)."""
    focused = await page.evaluate(
        "(s) => document.activeElement && document.activeElement.matches(s)", selector
    )
    assert focused, selector
    await page.keyboard.press("Home")
    for _ in range(downs):
        await page.keyboard.press("ArrowDown")


async def _submit(page) -> None:
    """Tab to the form's button and press Enter: the page the server answers."""
    await tab_to(page, "button[type=submit]", ROW_TABS)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def _decisions(sessionmaker) -> dict[int, PassageDecision]:
    async with sessionmaker() as session:
        return {d.enrollment_id: d for d in await session.scalars(select(PassageDecision))}


async def test_a_division_decided_from_the_keyboard(browser_page, sessionmaker, world):
    from playwright.async_api import expect

    next_year = await prepare_next_year(sessionmaker, world)
    lina, eloise = world.enrollments["lina"], world.enrollments["eloise"]
    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto("/passage")
    await assert_accessible(page)
    await page.get_by_role("link", name="Décisions de la division 6A").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Décisions de passage — division 6A")
    await assert_accessible(page)
    await _reflows(page)

    # Everyone promoted (the collective decision), two exceptions row by row.
    await tab_to(page, "#champ-default")
    await _choose(page, "#champ-default", 1)
    await expect(page.locator("#champ-default")).to_have_value("promoted")
    await tab_to(page, f"#champ-outcome-{eloise}", ROW_TABS)
    await _choose(page, f"#champ-outcome-{eloise}", 2)
    await expect(page.locator(f"#champ-outcome-{eloise}")).to_have_value("repeating")
    await tab_to(page, f"#champ-outcome-{lina}", ROW_TABS)
    await _choose(page, f"#champ-outcome-{lina}", 3)
    await expect(page.locator(f"#champ-outcome-{lina}")).to_have_value("leaving")
    await _submit(page)

    # Lina leaves without a motive: refused, the error on her motive, announced and linked.
    motive = f"exit_motive_code-{lina}"
    await expect_error_announced(page, motive, "Le motif de sortie est obligatoire")
    assert "MARTIN Lina" in await page.locator(f"#erreur-{motive}").inner_text()
    assert await _decisions(sessionmaker) == {}
    await assert_accessible(page)
    await _reflows(page)
    # What was chosen is still there; the summary's link takes the focus to her motive.
    await expect(page.locator(f"#champ-outcome-{eloise}")).to_have_value("repeating")
    await follow_summary_link(page, motive)
    await _choose(page, f"#champ-{motive}", 2)  # 39 — Fin de scolarité
    await expect(page.locator(f"#champ-{motive}")).to_have_value("39")
    await _submit(page)
    await expect_result_announced(
        page, "Les décisions de la division sont enregistrées", focused=False
    )
    await assert_accessible(page)

    decided = await _decisions(sessionmaker)
    assert len(decided) == 57
    assert decided[eloise].outcome is PassageOutcome.REPEATING
    assert decided[lina].outcome is PassageOutcome.LEAVING
    assert decided[lina].exit_motive_code == "39"
    others = {d.outcome for key, d in decided.items() if key not in (lina, eloise)}
    assert others == {PassageOutcome.PROMOTED}

    # The placement page: Éloïse (repeating her 5EME) and a student promoted to 5EME.
    await page.goto("/passage/placement")
    await expect(page.locator("h1")).to_have_text("Placement dans les divisions de l'an prochain")
    await assert_accessible(page)
    await _reflows(page)
    other = next(key for key in decided if key not in (lina, eloise))
    # 6C takes 6EME only: neither fits, the error is on the division's field.
    for enrollment_id in (eloise, other):
        await tab_to(page, f"#eleve-{enrollment_id}", ROW_TABS)
        await page.keyboard.press("Space")
        await expect(page.locator(f"#eleve-{enrollment_id}")).to_be_checked()
    await tab_to(page, "#champ-division_id", ROW_TABS)
    options = await page.locator("#champ-division_id option").all_inner_texts()
    six_c = next(i for i, label in enumerate(options) if label.startswith("6C"))
    await _choose(page, "#champ-division_id", six_c)
    await expect(page.locator("#champ-division_id")).to_have_value(str(next_year.division_6c))
    await _submit(page)
    await expect_error_announced(page, "division_id", "La division 6C n'accueille pas ce MEF")
    await assert_accessible(page)
    await _reflows(page)
    await follow_summary_link(page, "division_id")
    options = await page.locator("#champ-division_id option").all_inner_texts()
    five_a = next(i for i, label in enumerate(options) if label.startswith("5A"))
    await _choose(page, "#champ-division_id", five_a)
    await _submit(page)
    await expect_result_announced(page, "Les élèves sont placés", focused=False)
    await assert_accessible(page)
    async with sessionmaker() as session:
        planned = list(
            await session.scalars(
                select(Enrollment).where(Enrollment.school_year_id == next_year.year_id)
            )
        )
    assert {p.division_id for p in planned} == {next_year.division_5a} and len(planned) == 2
