"""Staff invitations: an account without a password gets a one-time link by e-mail (only its
hash stored), which expires, is replaced by a re-send, and serves once to choose a password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.auth.identities import authenticate
from api.resolvers.invitations import (
    InvitationRefused,
    accept_invitation,
    create_principal,
    invitation_for,
    invite,
    resend_invitation,
)
from core.errors import NotFound, ValidationFailed
from db.accounts import RoleGrant, StaffInvitation, StaffUser
from db.audit import set_actor
from db.outbox import OutboxMessage

PORTAL = "https://sconet.example.fr"
CHOSEN = "Vingt-trois chats gris"


async def _principal_of_b(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        return await create_principal(
            session,
            admin,
            world.school_b,
            "M.Nouveau",
            "M.  Nouveau",
            "nouveau@example.fr",
            portal_address=PORTAL + "/",
        )


def _token(link: str) -> str:
    assert link.startswith(PORTAL + "/invitation/")
    return link.rsplit("/", 1)[1]


async def test_an_invited_principal_chooses_his_password_once(world, sessionmaker):
    invitation = await _principal_of_b(world, sessionmaker)
    token = _token(invitation.link)
    async with sessionmaker() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.login == "m.nouveau"))
        grant = await session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id))
        stored = await session.scalar(
            select(StaffInvitation).where(StaffInvitation.user_id == user.id)
        )
        mail = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        # No password: nothing authenticates, not even an empty one.
        assert await authenticate(session, "m.nouveau", "") is None
        view = await invitation_for(session, token)
    assert user.password_hash is None and user.display_name == "M. Nouveau"
    assert (grant.school_id, grant.role.value) == (world.school_b, "principal")
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert mail.recipient == "nouveau@example.fr" and invitation.link in mail.body
    assert "m.nouveau" in mail.body and "Collège Louise Michel" in mail.body
    assert view.login == "m.nouveau"

    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as weak:
            await accept_invitation(session, token, "azertyuiopqs", "azertyuiopqs", None)
    assert [e.field for e in weak.value.errors] == ["password"]
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as mismatch:
            await accept_invitation(session, token, CHOSEN, CHOSEN + "!", None)
    assert [e.field for e in mismatch.value.errors] == ["confirmation"]
    async with sessionmaker() as session, session.begin():
        await accept_invitation(session, token, CHOSEN, CHOSEN, "203.0.113.9")
    async with sessionmaker() as session:
        assert (await authenticate(session, "m.nouveau", CHOSEN)) is not None
        with pytest.raises(InvitationRefused, match="déjà servi"):
            await invitation_for(session, token)
    # The account has a password: it is not invited again.
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed):
            await resend_invitation(session, admin, user.id, portal_address=PORTAL)


async def test_links_expire_and_a_resend_replaces_them(world, sessionmaker, clock):
    first = await _principal_of_b(world, sessionmaker)
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        user = await session.scalar(select(StaffUser).where(StaffUser.login == "m.nouveau"))
        second = await resend_invitation(session, admin, user.id, portal_address=PORTAL)
    async with sessionmaker() as session:
        with pytest.raises(InvitationRefused, match="expiré"):
            await invitation_for(session, _token(first.link))
        await invitation_for(session, _token(second.link))
        with pytest.raises(InvitationRefused, match="pas valide"):
            await invitation_for(session, "x" * 43)
    clock.advance(timedelta(days=7, minutes=1))
    async with sessionmaker() as session, session.begin():
        with pytest.raises(InvitationRefused, match="expiré"):
            await accept_invitation(session, _token(second.link), CHOSEN, CHOSEN, None)
    async with sessionmaker() as session:
        assert (await session.get(StaffUser, user.id)).password_hash is None


async def test_only_who_manages_the_account_invites(world, sessionmaker):
    await _principal_of_b(world, sessionmaker)
    principal_a = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        user = await session.scalar(select(StaffUser).where(StaffUser.login == "m.nouveau"))
        with pytest.raises(NotFound):
            await invite(session, principal_a, user, portal_address=PORTAL)
    # A principal invites his own school's staff (the STS-WEB import's teachers, say).
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal_a.audit_actor(world.school_a))
        teacher = StaffUser(
            academy_id=world.academy_id, login="prof.sans.mdp", display_name="Prof", email=None
        )
        session.add(teacher)
        await session.flush()
        session.add(RoleGrant(user_id=teacher.id, school_id=world.school_a, role="teacher"))
        await session.flush()
        invitation = await invite(session, principal_a, teacher, portal_address=PORTAL)
    assert invitation.emailed is False and invitation.link.startswith(PORTAL)
