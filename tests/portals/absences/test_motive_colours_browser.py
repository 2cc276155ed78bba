"""In a real browser: each event's cell shows its motive's code, readable on its colour, and a
lateness is a band where an absence fills the cell (neither rests on colour alone)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from api.resolvers.absences.colours import contrast_ratio
from api.resolvers.absences.events import (
    AbsenceEntry,
    LatenessEntry,
    record_absence,
    record_lateness,
)
from api.resolvers.absences.settings import school_setup
from tests.portals.absences.test_grid_browser import MONDAY, _sign_in

pytestmark = pytest.mark.browser

TUESDAY = date(2026, 11, 17)


async def _record(world, sessionmaker) -> None:
    """Lina: absent Monday M1-M2 for a medical appointment, late Tuesday M1 (transport)."""
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        setup = await school_setup(session, cpe, world.school_a)
    slot = {s.code: s.id for s in setup.grid.slots}
    motive = {m.code: m.id for m in setup.motives.values()}
    lina, monday = world.students["lina"], date.fromisoformat(MONDAY)
    async with sessionmaker() as session, session.begin():
        await record_absence(
            session,
            cpe,
            AbsenceEntry(
                lina, world.school_a, monday, slot["M1"], monday, slot["M2"], motive["MED"]
            ),
        )
    async with sessionmaker() as session, session.begin():
        await record_lateness(
            session,
            cpe,
            LatenessEntry(lina, world.school_a, TUESDAY, slot["M1"], 10, motive["TRA"]),
        )


def _hex(pixel: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel[:3])


async def test_each_cell_shows_its_motive_code_readable_on_its_colour(
    browser_page, world, sessionmaker
):
    from playwright.async_api import expect

    await _record(world, sessionmaker)
    page = browser_page
    await page.set_viewport_size({"width": 1366, "height": 768})
    await _sign_in(page, "cpe_a")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    row = page.locator(f'tr[data-student="{world.students["lina"]}"]')
    absence = row.locator(".sconet-cell--absence").first
    lateness = row.locator(".sconet-cell--lateness")
    await expect(absence.locator(".sconet-cell__text")).to_have_text("MED")
    await expect(absence.locator(".sconet-cell__text")).to_be_visible()
    await expect(lateness.locator(".sconet-cell__text")).to_have_text("TRA")

    for cell, colour in ((absence, "#b38c27"), (lateness, "#2e3e66")):
        text = cell.locator(".sconet-cell__text")
        # The whole code is written, not cut by the narrow column of a week's view.
        fits = await text.evaluate("(span) => span.scrollWidth <= span.clientWidth")
        assert fits, await text.inner_text()
        ink = await text.evaluate("(span) => getComputedStyle(span).color")
        red, green, blue = (int(part) for part in ink[4:-1].split(","))
        assert contrast_ratio(f"#{red:02x}{green:02x}{blue:02x}", colour) >= 4.5

        # What is painted: the motive's colour under the code (below its capitals).
        shot = Image.open(io.BytesIO(await cell.screenshot())).convert("RGB")
        width, height = shot.size
        assert _hex(shot.getpixel((width // 2, height - 7))) == colour
        top = _hex(shot.getpixel((width // 2, 2)))
        if cell is absence:
            assert top == colour  # an absence fills its cell
        else:
            assert top == "#ffffff"  # a lateness is a band: white above it

    legend = page.locator(".sconet-legend li", has_text="Rendez-vous médical")
    await expect(legend.locator(".sconet-swatch__code")).to_have_text("MED")
    await expect(legend.locator(".sconet-swatch__code")).to_be_visible()
