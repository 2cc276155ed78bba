"""Staff portal: the registrar's guardian screens over HTTP (issue 12, point 8): who may open
them, the household rule of a shared address, the optimistic version, adding and removing a
link. The browser test (test_guardians_browser.py) checks the same screens in Chromium."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.addresses import Address
from db.guardians import Guardian, GuardianLink
from db.students import Student
from tests.portals.conftest import Portal, csrf_of
from tests.portals.test_etablissement_pages import text_of


def edit_url(portal: Portal, student: str, link: str) -> str:
    return f"/eleves/{portal.world.students[student]}/responsables/{portal.world.links[link]}"


def form_of(html: str) -> dict[str, str]:
    """What the browser sends of the edit form as shown: its inputs, lists and ticked boxes."""
    fields = dict(
        re.findall(
            r'<input class="fr-input[^"]*" type="\w+" id="[^"]+" name="([^"]+)" value="([^"]*)"',
            html,
        )
    )
    for name, body in re.findall(r'<select[^>]* name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen.group(1) if chosen else ""
    for name in re.findall(
        r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="1" checked', html
    ):
        fields[name] = "1"
    fields["version"] = re.search(r'name="version" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    fields["csrf_token"] = csrf_of(html)
    return fields


async def open_edit(portal: Portal, url: str) -> dict[str, str]:
    response = await portal.get(url)
    assert response.status_code == 200, response.text
    return form_of(response.text)


@pytest.mark.parametrize("login", ["teacher_a", "cpe_a"])
async def test_only_who_may_change_students_opens_the_guardian_screens(
    portal: Portal, login: str
) -> None:
    await portal.login(login)
    lina = portal.world.students["lina"]
    url = edit_url(portal, "lina", "lina_mother")
    for path in (url, f"{url}/retirer", f"/eleves/{lina}/responsables/ajouter"):
        assert (await portal.get(path)).status_code == 403, path
    record = await portal.get(f"/eleves/{lina}")
    assert "Ajouter un responsable" not in record.text
    assert "/responsables/" not in record.text


async def test_a_guardian_of_another_school_is_not_found(portal: Portal) -> None:
    await portal.login("registrar_a")
    jade = portal.world.students["jade"]
    response = await portal.get(f"/eleves/{jade}/responsables/{portal.world.links['jade_father']}")
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("login", ["registrar_a", "principal_a"])
async def test_the_form_says_who_shares_the_address(portal: Portal, login: str) -> None:
    await portal.login(login)
    response = await portal.get(edit_url(portal, "lina", "lina_mother"))
    text = text_of(response.text)
    assert (
        "Cette adresse est aussi celle de : M. MARTIN Paul, MARTIN Lina (élève), MARTIN Noah (élève), 1 autre personne, d'un autre établissement."
        in text
    )
    assert "Toute la famille déménage" in text and "Seul ce responsable déménage" in text
    # Jade (school B) is out of the registrar's reach: counted, not named.
    assert "Jade" not in text


async def test_a_changed_shared_address_needs_the_choice_of_who_moves(
    portal: Portal, sessionmaker
) -> None:
    await portal.login("registrar_a")
    url = edit_url(portal, "lina", "lina_mother")
    fields = await open_edit(portal, url)
    response = await portal.http.post(
        url, data={**fields, "address.line1": "3 rue Neuve", "phone_mobile": "12"}
    )
    assert response.status_code == 400
    text = text_of(response.text)
    assert re.search(r"<title>\s*Erreur — ", response.text)
    assert "indiquez si toute la famille déménage" in text
    assert "Le téléphone portable" in text
    async with sessionmaker() as session:
        home = await session.get(Address, portal.world.addresses["martin"])
        assert home is not None and home.line1 == "12 rue de Paris"


async def test_the_whole_family_moves(portal: Portal, sessionmaker) -> None:
    world = portal.world
    await portal.login("registrar_a")
    url = edit_url(portal, "lina", "lina_mother")
    fields = await open_edit(portal, url)
    response = await portal.http.post(
        url, data={**fields, "address.line1": "3 rue Neuve", "moves_out": "famille"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?enregistre=responsable#titre-responsables")
    async with sessionmaker() as session:
        homes = set(
            await session.scalars(
                select(Student.address_id).where(Student.id.in_(world.students.values()))
            )
        )
        home = await session.get(Address, world.addresses["martin"])
        assert home is not None and home.line1 == "3 rue Neuve"
        father = await session.get(Guardian, world.guardians["father"])
        assert father is not None and father.address_id == home.id
        assert home.id in homes


async def test_one_guardian_moves_out(portal: Portal, sessionmaker) -> None:
    world = portal.world
    await portal.login("registrar_a")
    url = edit_url(portal, "lina", "lina_father")
    fields = await open_edit(portal, url)
    response = await portal.http.post(
        url,
        data={
            **fields,
            "address.line1": "8 avenue Foch",
            "address.postal_code": "75016",
            "address.city": "Paris",
            "moves_out": "seul",
            "lives_with": "",
        },
    )
    assert response.status_code == 303, response.text
    async with sessionmaker() as session:
        father = await session.get(Guardian, world.guardians["father"])
        mother = await session.get(Guardian, world.guardians["mother"])
        lina = await session.get(Student, world.students["lina"])
        link = await session.get(GuardianLink, world.links["lina_father"])
        assert father is not None and mother is not None and lina is not None
        assert father.address_id != world.addresses["martin"]
        assert mother.address_id == lina.address_id == world.addresses["martin"]
        assert link is not None and link.lives_with is False


async def test_a_concurrent_change_is_refused_with_a_clear_message(portal: Portal) -> None:
    await portal.login("registrar_a")
    url = edit_url(portal, "lina", "lina_mother")
    fields = await open_edit(portal, url)
    first = await portal.http.post(url, data={**fields, "email": "claire@exemple.fr"})
    assert first.status_code == 303
    second = await portal.http.post(url, data={**fields, "phone_home": "01 23 45 67 89"})
    assert second.status_code == 409
    text = text_of(second.text)
    assert "modifié par quelqu'un d'autre" in text and "Recharger la fiche du responsable" in text


async def test_link_a_sibling_s_guardian_then_remove_the_link(portal: Portal, sessionmaker) -> None:
    world = portal.world
    eloise = world.students["eloise"]
    await portal.login("registrar_a")
    add = f"/eleves/{eloise}/responsables/ajouter"
    page = await portal.get(add)
    assert page.status_code == 200
    found = await portal.http.post(
        add, data={"csrf_token": csrf_of(page.text), "chercher": "1", "search": "mart"}
    )
    assert "Mme MARTIN Claire — Montreuil" in text_of(found.text)
    response = await portal.http.post(
        add,
        data={
            "csrf_token": csrf_of(found.text),
            "mode": "existant",
            "search": "mart",
            "guardian_id": str(world.guardians["father"]),
            "responsibility": "legal_2",
            "relationship": "20",
            "receives_mail": "1",
        },
    )
    assert response.status_code == 303, text_of(response.text)
    async with sessionmaker() as session:
        link = await session.scalar(
            select(GuardianLink).where(
                GuardianLink.student_id == eloise,
                GuardianLink.guardian_id == world.guardians["father"],
            )
        )
        assert link is not None and link.legal_rank == 2 and link.lives_with is False
    remove = f"/eleves/{eloise}/responsables/{link.id}/retirer"
    page = await portal.get(remove)
    assert "Le responsable lui-même est conservé" in text_of(page.text)
    response = await portal.http.post(remove, data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    record = text_of((await portal.get(response.headers["location"])).text)
    assert "il reste enregistré" in record
    async with sessionmaker() as session:
        assert await session.get(GuardianLink, link.id) is None
        assert await session.get(Guardian, world.guardians["father"]) is not None


async def test_a_new_guardian_at_the_student_s_address_shares_it(
    portal: Portal, sessionmaker
) -> None:
    world = portal.world
    eloise = world.students["eloise"]
    await portal.login("registrar_a")
    add = f"/eleves/{eloise}/responsables/ajouter"
    page = await portal.get(add)
    data = {
        "csrf_token": csrf_of(page.text),
        "mode": "nouveau",
        "civility": "M.",
        "family_name": "Élan",
        "first_name": "Marc",
        "phone_mobile": "06 98 76 54 32",
        "accepts_sms": "1",
        "same_address": "1",
        "responsibility": "legal_1",
        "relationship": "20",
        "lives_with": "1",
        "receives_mail": "1",
    }
    refused = await portal.http.post(add, data=data)
    assert refused.status_code == 400
    assert "L'élève a déjà un responsable légal 1." in text_of(refused.text)
    response = await portal.http.post(add, data={**data, "responsibility": "legal_2"})
    assert response.status_code == 303, text_of(response.text)
    async with sessionmaker() as session:
        marc = await session.scalar(select(Guardian).where(Guardian.first_name == "Marc"))
        assert marc is not None and marc.accepts_sms is True
        assert marc.address_id == world.addresses["elan"]
