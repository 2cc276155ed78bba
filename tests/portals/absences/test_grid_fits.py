"""The entry grid of a whole week fits a 1366-pixel screen: no horizontal scrolling, every
half-period of the week visible beside the students' names."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from db.audit import AuditActor, set_actor
from db.students import Student
from tests.portals.absences.test_grid_browser import MONDAY, _sign_in
from tests.portals.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

# Long names as the registers hold them: the name column is as wide as the longest.
LONG_NAME = ("DUPONT-LEFEBVRE DE LA MOTTE", "Marie-Charlotte Éléonore")


async def test_a_week_fits_a_1366_pixel_screen(browser_page, world, sessionmaker):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(
            update(Student)
            .where(Student.id == world.students["lina"])
            .values(family_name=LONG_NAME[0], first_name=LONG_NAME[1])
        )
    page = browser_page
    await page.set_viewport_size({"width": 1366, "height": 768})
    await _sign_in(page, "cpe_a")
    await page.goto(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    sizes = await page.evaluate(
        """() => {
          const grid = document.getElementById("grille");
          const wrapper = grid.parentElement;
          const box = grid.getBoundingClientRect();
          return {
            page: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
            wrapperScroll: wrapper.scrollWidth,
            wrapperWidth: wrapper.clientWidth,
            left: box.left,
            right: box.right,
            days: grid.querySelectorAll("thead .sconet-grid__day").length,
            narrowest: Math.min(
              ...[...grid.querySelectorAll("tbody td")].map((c) => c.getBoundingClientRect().width)
            ),
          };
        }"""
    )
    await page.screenshot(path=str(SCREENSHOTS / "grille-1366.png"), full_page=True)
    assert sizes["days"] >= 5
    assert sizes["page"] <= sizes["viewport"], sizes
    assert sizes["wrapperScroll"] <= sizes["wrapperWidth"], sizes
    assert sizes["left"] >= 0 and sizes["right"] <= sizes["viewport"], sizes
    # Each half-period stays a cell one can click.
    assert sizes["narrowest"] >= 20, sizes
