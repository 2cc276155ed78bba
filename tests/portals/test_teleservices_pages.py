"""/teleservices: services, grades publication, accesses, notification and a code's page."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import unquote

from pypdf import PdfReader

from api.resolvers.teleservices.services import set_service
from db.teleservices import Teleservice
from replication.run import replicate
from tests.world import PASSWORD

CODE = re.compile(r'<code class="sconet-code">([A-Z0-9-]+)</code>')


async def test_the_principal_opens_gives_notifies_and_manages_codes(portal, world):
    await portal.login("principal_a")
    home = await portal.get("/teleservices")
    assert home.status_code == 200 and "Consultation des notes" in home.text
    opened = await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "services", "ouvert-grades": "on"}
    )
    assert opened.status_code == 303
    page = await portal.get("/teleservices")
    assert 'id="ouvert-grades" name="ouvert-grades" checked' in page.text
    lina, mother = world.students["lina"], world.guardians["mother"]
    # 58 lines in 6A, by name: the Martins are on the second page.
    listed = await portal.get(f"/teleservices/responsables?division={world.division_a1}&page=2")
    assert "Martin Lina" in listed.text and "Légal 2" in listed.text
    given = await portal.post_form(
        "/teleservices/responsables",
        "/teleservices/responsables",
        {
            "division": str(world.division_a1),
            "lignes": f"{lina}:{mother}",
            "choisis": f"{lina}:{mother}",
        },
    )
    assert given.status_code == 303
    code_page = await portal.get(f"/teleservices/code?eleve={lina}&responsable={mother}")
    [code] = CODE.findall(code_page.text)
    assert "Accède aux télé-services" in code_page.text
    to_notify = await portal.get(
        f"/teleservices/responsables/notification?division={world.division_a1}"
    )
    assert "1 code à notifier" in to_notify.text
    letters = await portal.post_form(
        "/teleservices/responsables/notification",
        "/teleservices/responsables/notification",
        {"division": str(world.division_a1), "courrier": "1", "qualite": "1"},
    )
    assert letters.status_code == 200 and letters.headers["content-type"] == "application/pdf"
    assert code in PdfReader(io.BytesIO(letters.content)).pages[0].extract_text()
    # Notified: the mass screen no longer lets the access go.
    listed = await portal.get(f"/teleservices/responsables?division={world.division_a1}&page=2")
    assert (
        f'id="acces-{lina}:{mother}" name="choisis" value="{lina}:{mother}" '
        f'data-division="{world.division_a1}" checked disabled' in listed.text
    )
    renewed = await portal.post_form(
        f"/teleservices/code?eleve={lina}&responsable={mother}",
        "/teleservices/code",
        {"eleve": str(lina), "responsable": str(mother), "action": "nouveau"},
    )
    assert renewed.status_code == 303
    history = await portal.get(f"/teleservices/code?eleve={lina}&responsable={mother}")
    codes = CODE.findall(history.text)
    assert len(codes) == 2 and codes[1] == code and "Invalidation" in history.text


async def test_switching_back_to_continuous_asks_first(portal, world):
    await portal.login("principal_a")
    await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "services", "ouvert-grades": "on"}
    )
    await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "publication", "publication": "deadlines"}
    )
    page = await portal.get("/teleservices")
    pair = re.search(r'name="couples" value="([0-9-]+)"', page.text).group(1)
    added = await portal.post_form(
        "/teleservices",
        "/teleservices",
        {"partie": "echeance", "jour": "2026-12-18", "couples": pair, "action": "ajouter"},
    )
    assert added.status_code == 303
    asked = await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "publication", "publication": "continuous"}
    )
    assert asked.status_code == 400 and "vont être supprimées" in asked.text
    assert 'name="confirmer" value="1"' in asked.text
    done = await portal.post_form(
        "/teleservices",
        "/teleservices",
        {"partie": "publication", "publication": "continuous", "confirmer": "1"},
    )
    assert done.status_code == 303


async def test_others_have_no_teleservices_screens(portal, world):
    await portal.login("teacher_a")
    assert (await portal.get("/teleservices")).status_code == 403


async def test_the_code_page_says_when_the_family_can_use_the_code(
    portal, world, sessionmaker, ts_sessionmaker
):
    await portal.login("principal_a")
    await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "services", "ouvert-grades": "on"}
    )
    lina, mother = world.students["lina"], world.guardians["mother"]
    code_url = f"/teleservices/code?eleve={lina}&responsable={mother}"
    await portal.post_form(
        code_url, "/teleservices/code", {**_pair(lina, mother), "action": "nouveau"}
    )
    never_replicated = await portal.get(code_url)
    assert "Code utilisable par la famille après la prochaine réplication." in never_replicated.text
    # Replicated by a schedule of two minutes (09:00 UTC is 10:00 in Paris).
    await replicate(sessionmaker, ts_sessionmaker, next_run_in=timedelta(minutes=2))
    replicated = await portal.get(code_url)
    assert "Code utilisable par la famille dès maintenant." in replicated.text
    # Notified since: still usable.
    [code_id] = re.findall(r'name="code" value="(\d+)"', replicated.text)
    notified = await portal.post_form(
        code_url,
        "/teleservices/code",
        {**_pair(lina, mother), "code": code_id, "action": "courrier"},
    )
    assert notified.headers["content-type"] == "application/pdf"
    assert "dès maintenant" in (await portal.get(code_url)).text
    await portal.post_form(
        code_url, "/teleservices/code", {**_pair(lina, mother), "action": "nouveau"}
    )
    renewed = await portal.get(code_url)
    assert (
        "Code utilisable par la famille après la prochaine réplication, vers 10:02." in renewed.text
    )


def _pair(student: int, guardian: int) -> dict[str, str]:
    return {"eleve": str(student), "responsable": str(guardian)}


INPUT = re.compile(r"<input ([^>]*)>")
ATTRIBUTE = re.compile(r'(\w[\w-]*)(?:="([^"]*)")?')


def _post_form_fields(html: str, tick: set[str]) -> dict[str, list[str]]:
    """What a browser sends from the page's POST form: hidden fields, checked boxes, and the
    boxes of ``tick`` (by value) ticked."""
    form = html[html.index('<form method="post" action="/teleservices/') :]
    form = form[: form.index("</form>")]
    fields: dict[str, list[str]] = {}
    for match in INPUT.finditer(form):
        attributes = {name: value for name, value in ATTRIBUTE.findall(match.group(1))}
        if "name" not in attributes or "disabled" in attributes:
            continue
        value = attributes.get("value", "")
        if attributes.get("type") == "checkbox" and not ("checked" in attributes or value in tick):
            continue
        fields.setdefault(attributes["name"], []).append(value)
    return fields


async def test_a_ticked_access_never_leaks_into_the_filter(portal, world):
    await portal.login("principal_a")
    await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "services", "ouvert-grades": "on"}
    )
    lina, mother = world.students["lina"], world.guardians["mother"]
    listed = await portal.get("/teleservices/responsables?etat=not_given")
    fields = _post_form_fields(listed.text, tick={f"{lina}:{mother}"})
    saved = await portal.http.post("/teleservices/responsables", data=fields)
    assert saved.status_code == 303
    location = saved.headers["location"]
    assert "etat=not_given" in location and f"{lina}:{mother}" not in unquote(location)
    after = await portal.get(location)
    assert '<option value="not_given" selected>' in after.text
    # Given: no longer among those without access.
    assert f'value="{lina}:{mother}"' not in after.text


async def test_accesses_come_in_pages_of_fifty_by_division(portal, world):
    await portal.login("principal_a")
    first = await portal.get("/teleservices/responsables")
    second = await portal.get("/teleservices/responsables?page=2")
    keys = re.compile(r'name="lignes" value="([0-9:]+)"')
    on_first, on_second = keys.findall(first.text), keys.findall(second.text)
    # 57 students in 6A (one guardian each but Lina's two), Noah in 6B: 59 lines.
    assert len(on_first) == 50 and len(on_second) == 9 and not set(on_first) & set(on_second)
    assert "59 lignes — page 1 sur 2" in first.text and "page 2 sur 2" in second.text
    assert f"{world.students['noah']}:{world.guardians['mother']}" in on_second
    assert 'href="/teleservices/responsables?page=2"' in first.text
    filtered = await portal.get(f"/teleservices/responsables?division={world.division_a2}")
    assert len(keys.findall(filtered.text)) == 1 and "fr-pagination" not in filtered.text


async def test_tout_cocher_gives_access_to_exactly_one_division(portal, world):
    await portal.login("principal_a")
    await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "services", "ouvert-grades": "on"}
    )
    listed = await portal.get("/teleservices/responsables")
    assert f'name="tout_cocher" value="{world.division_a1}"' in listed.text
    fields = {**_post_form_fields(listed.text, tick=set()), "tout_cocher": [str(world.division_a1)]}
    saved = await portal.http.post("/teleservices/responsables", data=fields)
    assert saved.status_code == 303
    given = await portal.get("/teleservices/responsables?etat=given")
    assert "58 lignes" in given.text
    missing = await portal.get("/teleservices/responsables?etat=not_given")
    keys = re.findall(r'name="lignes" value="([0-9:]+)"', missing.text)
    assert keys == [f"{world.students['noah']}:{world.guardians['mother']}"]


async def test_tout_cocher_ticks_a_division_wholly_on_the_page_with_the_keyboard(
    browser_page, world, sessionmaker
):
    from playwright.async_api import expect

    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        await set_service(session, principal, world.school_a, Teleservice.GRADES, True)
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("principal_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    # Page 2: the end of 6A (begun on page 1, so left to the server), then 6B, whole.
    await page.goto("/teleservices/responsables?page=2")
    partial = page.get_by_role("button", name="Tout cocher (6A)")
    await expect(partial).to_have_attribute("data-entiere", "0")
    noah = page.locator(f"[id='acces-{world.students['noah']}:{world.guardians['mother']}']")
    await expect(noah).not_to_be_checked()
    await page.get_by_role("button", name="Tout cocher (6B)").focus()
    await page.keyboard.press("Enter")
    await expect(noah).to_be_checked()
    await expect(page.locator("#acces-statut")).to_contain_text("Division 6B cochée")
    assert page.url.endswith("/teleservices/responsables?page=2")
    await page.get_by_role("button", name="Valider").press("Enter")
    await expect(page.locator(".fr-alert--success")).to_contain_text("Accès enregistrés.")
    await expect(noah).to_be_checked()


async def test_the_notification_screen_lists_only_the_chosen_legal_ranks(portal, world):
    await portal.login("principal_a")
    await portal.post_form(
        "/teleservices", "/teleservices", {"partie": "services", "ouvert-grades": "on"}
    )
    lina = world.students["lina"]
    pairs = [f"{lina}:{world.guardians[g]}" for g in ("mother", "father")]
    url = f"/teleservices/responsables?division={world.division_a1}&page=2"
    given = await portal.post_form(
        url,
        "/teleservices/responsables",
        {"division": str(world.division_a1), "lignes": pairs, "choisis": pairs},
    )
    assert given.status_code == 303
    screen = "/teleservices/responsables/notification?division={}&qualite={}"
    both = await portal.get(screen.format(world.division_a1, "1&qualite=2"))
    assert "2 codes à notifier" in both.text
    fathers = await portal.get(screen.format(world.division_a1, "2"))
    assert "1 code à notifier" in fathers.text
    assert "Martin Paul" in fathers.text and "Martin Claire" not in fathers.text
