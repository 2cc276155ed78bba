"""/divisions/services: services added and removed, a teacher's account created by hand, errors
on their fields in French, who reaches the page."""

from __future__ import annotations

from sqlalchemy import select

from db.accounts import Role, RoleGrant, StaffUser
from db.audit import AuditActor, set_actor
from db.outbox import OutboxMessage
from db.structures import TeachingAssignment

PAGE = "/divisions/services"


async def test_the_principal_adds_and_removes_a_service(portal, world, sessionmaker):
    await portal.login("principal_a")
    listing = await portal.get("/divisions")
    assert 'href="/divisions/services"' in listing.text
    page = await portal.get(PAGE)
    assert page.status_code == 200
    assert "Teacher A" in page.text and "Division 6A" in page.text
    assert "Créer un compte enseignant" in page.text

    refused = await portal.post_form(PAGE, PAGE, {"teacher_id": "", "structure": ""})
    assert refused.status_code == 400
    assert "Le service n&#39;a pas été ajouté : 2 erreurs sont à corriger." in refused.text
    assert 'href="#champ-teacher_id">Choisissez l&#39;enseignant.' in refused.text
    assert 'id="erreur-structure"' in refused.text
    assert 'aria-invalid="true" aria-describedby="erreur-structure"' in refused.text

    created = await portal.post_form(
        PAGE,
        "/divisions/enseignants",
        {"family_name": "Lefèvre", "first_name": "Anaïs", "email": "anais.lefevre@ac-creteil.fr"},
    )
    assert created.status_code == 303, created.text
    async with sessionmaker() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.login == "anais.lefevre"))
    assert user is not None and user.password_hash is None
    added = await portal.post_form(
        PAGE,
        PAGE,
        {"teacher_id": str(user.id), "structure": f"g-{world.group_a}", "subject_id": ""},
    )
    assert added.status_code == 303
    shown = await portal.get(added.headers["location"])
    assert "Service ajouté : Anaïs Lefèvre, ESP2." in shown.text
    async with sessionmaker() as session:
        assignment = await session.scalar(
            select(TeachingAssignment).where(TeachingAssignment.user_id == user.id)
        )
    assert assignment is not None and assignment.group_id == world.group_a
    removed = await portal.post_form(PAGE, f"{PAGE}/{assignment.id}/retrait", {})
    assert removed.status_code == 303
    async with sessionmaker() as session:
        assert await session.get(TeachingAssignment, assignment.id) is None


async def test_teacher_form_errors_in_french(portal, world):
    await portal.login("principal_a")
    refused = await portal.post_form(
        PAGE, "/divisions/enseignants", {"family_name": "", "first_name": "Anaïs", "email": "x"}
    )
    assert refused.status_code == 400
    assert "Le compte n&#39;a pas été créé : 2 erreurs sont à corriger." in refused.text
    assert "Le nom est obligatoire." in refused.text
    assert "L&#39;adresse électronique n&#39;est pas valide (nom@domaine.fr)." in refused.text
    assert 'value="Anaïs"' in refused.text


async def test_who_reaches_the_page(portal, world):
    await portal.login("registrar_a")
    page = await portal.get(PAGE)
    # The secretariat edits services but creates no account.
    assert page.status_code == 200 and "Créer un compte enseignant" not in page.text
    refused = await portal.post_form(
        PAGE, "/divisions/enseignants", {"family_name": "A", "first_name": "B", "email": "a@b.fr"}
    )
    assert refused.status_code == 403
    for login in ("cpe_a", "teacher_a"):
        portal.http.cookies.clear()
        await portal.login(login)
        assert (await portal.get(PAGE)).status_code == 403
        listing = await portal.get("/divisions")
        assert listing.status_code == 200 and "/divisions/services" not in listing.text


async def test_teachers_without_password_are_invited_once(portal, world, sessionmaker):
    await portal.login("principal_a")
    created = await portal.post_form(
        PAGE,
        "/divisions/enseignants",
        {"family_name": "Lefèvre", "first_name": "Anaïs", "email": "anais.lefevre@ac-creteil.fr"},
    )
    shown = await portal.get(created.headers["location"])
    assert "Une invitation à choisir son mot de passe lui est envoyée par courriel." in shown.text
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        # As an STS-WEB import leaves them: accounts of the school without a password.
        imported = StaffUser(
            academy_id=world.academy_id,
            login="jean.import",
            display_name="Jean Import",
            email="jean.import@ac-creteil.fr",
            password_hash=None,
            sts_id="4242",
        )
        session.add(imported)
        await session.flush()
        session.add(RoleGrant(user_id=imported.id, school_id=world.school_a, role=Role.TEACHER))
    page = await portal.get(PAGE)
    assert "Inviter les enseignants sans mot de passe" in page.text
    invited = await portal.post_form(PAGE, "/divisions/enseignants/inviter", {})
    assert invited.status_code == 303
    # Anaïs already holds a valid link: only Jean is invited.
    assert (
        "1 invitation(s) envoyée(s) par courriel."
        in (await portal.get(invited.headers["location"])).text
    )
    async with sessionmaker() as session:
        recipients = list(
            await session.scalars(select(OutboxMessage.recipient).order_by(OutboxMessage.id))
        )
    assert recipients == ["anais.lefevre@ac-creteil.fr", "jean.import@ac-creteil.fr"]
    again = await portal.post_form(PAGE, "/divisions/enseignants/inviter", {})
    assert "0 invitation(s)" in (await portal.get(again.headers["location"])).text


async def test_only_the_principal_invites(portal, world):
    await portal.login("registrar_a")
    page = await portal.get(PAGE)
    assert "Inviter les enseignants sans mot de passe" not in page.text
    refused = await portal.post_form(PAGE, "/divisions/enseignants/inviter", {})
    assert refused.status_code == 403
