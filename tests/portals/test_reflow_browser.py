"""Every page of the staff portal on a 320-pixel screen (WCAG 1.4.10, reflow): the page never
scrolls sideways (wide tables scroll inside their own DSFR wrapper), and axe-core finds no
violation of the WCAG 2.1 A and AA rules. On the demo académie, whose data is the realistic
kind (long names, e-mail addresses, a full journal)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.demo import DEMO_PASSWORD
from tests.portals.axe import axe_violations, describe

pytestmark = pytest.mark.browser

WIDTH = 320
PUBLIC = ["/connexion", "/accessibilite", "/mentions-legales", "/donnees-personnelles"]


def principal_pages(demo: dict[str, Any]) -> list[str]:
    student, division = demo["student"], demo["division"]
    name = demo["family_name"][:3].lower()
    return [
        "/",
        "/eleves",
        f"/eleves?nom={name}",
        "/eleves/nouveau",
        f"/eleves/{student}",
        f"/eleves/{student}/modifier",
        "/divisions",
        f"/divisions/{division}",
        "/absences",
        f"/absences?division={division}",
        "/absences/appel",
        "/absences/suivi",
        "/absences/a-contacter",
        f"/absences/eleves/{student}",
        "/absences/parametres",
        "/absences/statistiques",
        "/notes",
        f"/notes/classe?classe=d{division}",
        f"/notes/classe/nouveau-devoir?classe=d{division}",
        f"/notes/devoirs/{demo['assessment']}",
        f"/notes/classe/moyennes?classe=d{division}",
        "/statistiques",
        "/teleservices",
        f"/teleservices/responsables?division={division}",
        f"/teleservices/eleves?division={division}",
        "/journal",
        "/delegations",
        "/echanges",
        "/finances",
        "/finances/parametres",
        "/finances/tarifs",
        "/finances/generation",
        "/finances/avis",
        "/finances/relances",
        "/finances/transfert",
        "/bourses",
        f"/bourses/nouveau?division={division}",
        "/bourses/boursiers",
        "/bourses/etat",
        "/bourses/versement",
        "/finances/comptes",
        "/finances/regimes",
        "/finances/remises",
        f"/finances/comptes/{demo['finance_account']}",
        f"/bourses/{demo['granted_file']}",
        f"/bourses/{demo['received_file']}",
        "/compte",
        *PUBLIC,
    ]


ADMIN_PAGES = ["/", "/comptes", "/clients", "/journal", "/compte"]


async def sign_in(page: Any, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(re.compile(r"/$"))


async def sign_out(page: Any) -> None:
    await page.context.clear_cookies()


async def problems_of(page: Any, path: str) -> list[str]:
    """What is wrong with ``path`` at 320 px: sideways scrolling, axe-core's violations."""
    answer = await page.goto(path)
    assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
    problems = []
    width = await page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = await page.evaluate(WIDEST)
        problems.append(f"{path} : {width} px de large ({wide})")
    violations = await axe_violations(page)
    if violations:
        problems.append(describe(violations, path))
    return problems


# What sticks out of the screen, for the failure message: the outermost elements wider
# than the viewport that are not inside a scrolling container.
WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right <= limit + 0.5 || box.width === 0) continue;
    let p = el.parentElement, inside = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (["auto", "scroll", "hidden", "clip"].includes(s.overflowX)) { inside = true; break; }
      if (p.getBoundingClientRect().right > limit + 0.5) { inside = true; break; }
      p = p.parentElement;
    }
    if (!inside) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
        " → " + Math.round(box.right));
    }
    if (out.length >= 6) break;
  }
  return out.join(", ");
}"""


async def test_every_staff_page_reflows_at_320_pixels(browser_page, demo) -> None:
    page = browser_page
    await page.set_viewport_size({"width": WIDTH, "height": 640})
    problems: list[str] = []
    for path in PUBLIC:
        problems += await problems_of(page, path)
    await sign_in(page, "demo.principal")
    for path in principal_pages(demo):
        problems += await problems_of(page, path)
    await sign_out(page)
    await sign_in(page, "demo.admin")
    for path in ADMIN_PAGES:
        problems += await problems_of(page, path)
    assert not problems, "\n".join(problems)
