"""The académie administrator's pages: schools (create, edit, errors on the fields in
French), the first principal (invited), school years; and the invitation page where the
principal chooses his password."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from db.absences import AbsenceSettings, HolidayZone
from db.outbox import OutboxMessage
from db.schools import School, SchoolYear
from tests.portals.conftest import Portal, csrf_of, make_client
from tests.world import uai

CHOSEN = "Vingt-trois chats gris"


async def _invitation_link(sessionmaker) -> tuple[str, str]:
    async with sessionmaker() as session:
        mail = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    match = re.search(r"https?://\S+/invitation/\S+", mail.body)
    assert match, mail.body
    return match.group(0).split("/invitation/", 1)[0], "/invitation/" + match.group(0).split(
        "/invitation/", 1
    )[1]


async def test_schools_and_their_first_principal(portal, app, sessionmaker):
    await portal.login("admin")
    home = await portal.get("/")
    assert 'href="/etablissements"' in home.text and 'href="/annees"' in home.text
    listing = await portal.get("/etablissements")
    assert listing.status_code == 200 and uai("0930001") in listing.text
    bad = await portal.post_form(
        "/etablissements/nouveau",
        "/etablissements/nouveau",
        {"uai": "0750654A", "name": "", "kind": "lgt", "postal_code": "75"},
    )
    assert bad.status_code == 400 and bad.text.count("<title>Erreur") == 1
    letter = uai("0750654")[7]
    assert f"La lettre clé de l&#39;UAI 0750654 est {letter}, pas A" in bad.text
    assert 'href="#champ-name"' in bad.text and 'href="#champ-postal_code"' in bad.text
    # What was typed is given back.
    assert 'value="0750654A"' in bad.text
    created = await portal.post_form(
        "/etablissements/nouveau",
        "/etablissements/nouveau",
        {
            "uai": uai("0750654").lower(),
            "name": "Lycée Condorcet",
            "kind": "lgt",
            "sector": "private_under_contract",
            "holiday_zone": "A",
            "postal_code": "75009",
            "city": "Paris",
        },
    )
    assert created.status_code == 303
    async with sessionmaker() as session:
        school = await session.scalar(select(School).where(School.uai == uai("0750654")))
        assert (await session.get(AbsenceSettings, school.id)).holiday_zone is HolidayZone.A
    page = f"/etablissements/{school.id}"
    assert created.headers["location"].startswith(page)
    edited = await portal.post_form(
        page,
        page,
        {"uai": school.uai, "name": "Lycée Condorcet", "kind": "erea", "sector": "public"},
    )
    assert edited.status_code == 303
    shown = await portal.get(page)
    assert 'value="erea" selected' in shown.text and "pas encore de chef" in shown.text

    refused = await portal.post_form(
        page, f"{page}/chef", {"login": "x", "display_name": "", "principal_email": "non"}
    )
    assert refused.status_code == 400
    assert 'href="#champ-login"' in refused.text and 'href="#champ-principal_email"' in refused.text
    invited = await portal.post_form(
        page,
        f"{page}/chef",
        {
            "login": "m.proviseur",
            "display_name": "M. Proviseur",
            "principal_email": "prov@example.fr",
        },
    )
    assert invited.status_code == 303
    assert "invité" in (await portal.get("/etablissements")).text

    # The principal, from the e-mail's link, in a browser of his own.
    _base, link = await _invitation_link(sessionmaker)
    async with make_client(app) as http:
        form = await http.get(link)
        assert form.status_code == 200 and "m.proviseur" in form.text
        weak = await http.post(
            link,
            data={"csrf_token": csrf_of(form.text), "password": "court", "confirmation": "court"},
        )
        assert weak.status_code == 400 and 'href="#champ-password"' in weak.text
        done = await http.post(
            link,
            data={"csrf_token": csrf_of(form.text), "password": CHOSEN, "confirmation": CHOSEN},
        )
        assert done.status_code == 303 and done.headers["location"] == "/connexion?invitation=1"
        again = await http.get(link)
        assert again.status_code == 410 and "déjà servi" in again.text
        login = await http.get("/connexion")
        signed_in = await http.post(
            "/connexion",
            data={
                "login": "m.proviseur",
                "password": CHOSEN,
                "csrf_token": csrf_of(login.text),
                "suivant": "/",
            },
        )
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"


async def test_an_expired_or_unknown_link_says_so(portal, app, sessionmaker, clock, world):
    await portal.login("admin")
    page = f"/etablissements/{world.school_a}"
    # School A has a principal already: the form is not offered.
    assert "Créer et inviter" not in (await portal.get(page)).text
    await portal.post_form(
        f"/etablissements/{world.school_b}",
        f"/etablissements/{world.school_b}/chef",
        {"login": "adjoint.b", "display_name": "M. Adjoint", "principal_email": "adj@example.fr"},
    )
    _base, link = await _invitation_link(sessionmaker)
    clock.advance(timedelta(days=8))
    async with make_client(app) as http:
        expired = await http.get(link)
        assert expired.status_code == 410 and "a expiré" in expired.text
        unknown = await http.get("/invitation/" + "x" * 43)
        assert unknown.status_code == 410 and "pas valide" in unknown.text


async def test_school_years(portal, sessionmaker, world):
    await portal.login("admin")
    bad = await portal.post_form(
        "/annees",
        "/annees",
        {"start_year": "2027", "starts_on": "2027-09-01", "ends_on": "2027-06-30"},
    )
    assert bad.status_code == 400
    assert "La date de fin doit suivre la date de début." in bad.text
    assert 'href="#champ-ends_on"' in bad.text
    done = await portal.post_form("/annees", "/annees", {"start_year": "2027"})
    assert done.status_code == 303
    async with sessionmaker() as session:
        year = await session.scalar(select(SchoolYear).where(SchoolYear.start_year == 2027))
    two_current = await portal.post_form("/annees", f"/annees/{year.id}/ouvrir", {})
    assert (
        two_current.status_code == 400 and "une seule année l&#39;est à la fois" in two_current.text
    )
    await portal.post_form("/annees", f"/annees/{world.year_id}/cloturer", {})
    opened = await portal.post_form("/annees", f"/annees/{year.id}/ouvrir", {})
    assert opened.status_code == 303


async def test_only_the_administrator_sets_up_the_academy(portal, world):
    await portal.login("principal_a")
    assert (await portal.get("/etablissements")).status_code == 403
    assert (await portal.get("/annees")).status_code == 403
    assert (await portal.get(f"/etablissements/{world.school_a}")).status_code == 403
    assert 'href="/etablissements"' not in (await portal.get("/")).text


async def test_an_invitation_is_sent_again_from_the_accounts_page(portal, app, sessionmaker, world):
    await portal.login("admin")
    await portal.post_form(
        f"/etablissements/{world.school_b}",
        f"/etablissements/{world.school_b}/chef",
        {"login": "adjoint.b", "display_name": "M. Adjoint", "principal_email": "adj@example.fr"},
    )
    _base, first = await _invitation_link(sessionmaker)
    accounts = await portal.get("/comptes")
    user_id = re.search(r'action="/comptes/(\d+)/inviter"', accounts.text).group(1)
    again = await portal.post_form("/comptes", f"/comptes/{user_id}/inviter", {})
    assert again.status_code == 303 and "adj%40example.fr" in again.headers["location"]
    _base, second = await _invitation_link(sessionmaker)
    assert second != first
    # A principal manages no principal: not his to invite.
    async with make_client(app) as http:
        other = Portal(http, world)
        await other.login("principal_a")
        refused = await other.post_form("/comptes", f"/comptes/{user_id}/inviter", {})
    assert refused.status_code == 404
