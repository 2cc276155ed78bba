"""Staff invitations: an account created without a password (by an administrator, a
principal or an import) gets a link by e-mail, with which its holder chooses his password
once. Only the link's hash is stored; it expires after ``LIFETIME``, and a new invitation
(a re-send) makes the previous ones unusable.

``invite`` is what every creator of accounts calls (the académie's first principals, the
teachers an STS-WEB import creates); the acceptance (``invitation_for``,
``accept_invitation``) runs before any principal exists, as a visitor.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.identities import record_as_self
from api.auth.passwords import hash_password
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.outbox.queue import enqueue
from api.resolvers.accounts import account_in_reach, school_for
from api.resolvers.guardians import EMAIL_PATTERN
from api.resolvers.operator_accounts import MIN_PASSWORD_LENGTH, login_errors
from core import clock
from core.errors import FieldError, ValidationFailed
from core.password_policy import password_problem
from db.accounts import Role, RoleGrant, StaffInvitation, StaffUser
from db.audit import set_actor
from db.outbox import OutboxChannel
from db.schools import School

LIFETIME = timedelta(days=7)
# The staff portal's page that takes the token (``portals/etablissement/invitations.py``).
PAGE = "/invitation/"
MAX_TOKEN_LENGTH = 100


@dataclass
class Invitation:
    """An invitation just made: ``link`` holds the token, shown here and nowhere else."""

    user: StaffUser
    link: str
    expires_at: datetime
    emailed: bool


@dataclass(frozen=True)
class InvitedAccount:
    login: str
    display_name: str
    role: str
    email: str
    school_id: int | None = None


class InvitationRefused(Exception):
    """The link is unknown, expired, already used, or its account is deactivated: the
    message (French) says which, as the page shows it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _email_body(user: StaffUser, school: School | None, link: str, expires_at: datetime) -> str:
    where = f" à {school.name} ({school.uai})" if school else ""
    until = expires_at.astimezone(clock.PARIS)
    return (
        f"Bonjour {user.display_name},\n\n"
        f"Un compte SCONET a été ouvert pour vous{where}. Votre identifiant : {user.login}\n\n"
        f"Pour choisir votre mot de passe, ouvrez ce lien avant le {until:%d/%m/%Y à %H:%M} :\n"
        f"{link}\n\n"
        "Ce lien ne sert qu'une fois. Si vous n'attendiez pas ce message, ignorez-le : "
        "sans mot de passe choisi, personne ne peut utiliser ce compte.\n"
    )


async def _school_of(session: AsyncSession, user: StaffUser) -> School | None:
    """The school named in the e-mail: the account's first school, none for an académie one."""
    return await session.scalar(
        select(School)
        .join(RoleGrant, RoleGrant.school_id == School.id)
        .where(RoleGrant.user_id == user.id)
        .order_by(RoleGrant.id)
        .limit(1)
    )


@requires(Permission.ACCOUNTS_MANAGE)
async def invite(
    session: AsyncSession,
    principal: Principal,
    user: StaffUser,
    school: School | None = None,
    *,
    portal_address: str,
) -> Invitation:
    """Invite ``user`` (an account the caller manages, with its roles already granted) to
    choose his password: the link is e-mailed through the outbox when the account has an
    e-mail address, and returned. ``school`` names the school in the e-mail (default: the
    account's first); ``portal_address`` is the staff portal's public address."""
    await account_in_reach(session, principal, user.id)
    if user.password_hash is not None:
        raise ValidationFailed.single(
            "userId", "HAS_PASSWORD", "Ce compte a déjà un mot de passe : il n'est pas invité."
        )
    if school is None:
        school = await _school_of(session, user)
    set_actor(session.sync_session, principal.audit_actor(school.id if school else None))
    now = clock.now()
    # A re-send: the links sent before stop working.
    await session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.user_id == user.id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + LIFETIME
    session.add(
        StaffInvitation(
            user_id=user.id,
            token_hash=_hash(token),
            created_by_id=principal.id if principal.kind == "staff" else None,
            created_at=now,
            expires_at=expires_at,
        )
    )
    link = f"{portal_address.rstrip('/')}{PAGE}{token}"
    if user.email:
        enqueue(
            session,
            OutboxChannel.EMAIL,
            user.email,
            _email_body(user, school, link, expires_at),
            subject="SCONET : choisissez votre mot de passe",
            school_id=school.id if school else None,
        )
    await session.flush()
    return Invitation(user, link, expires_at, emailed=bool(user.email))


@requires(Permission.ACCOUNTS_MANAGE)
async def resend_invitation(
    session: AsyncSession, principal: Principal, user_id: int, *, portal_address: str
) -> Invitation:
    user = await account_in_reach(session, principal, user_id)
    return await invite(session, principal, user, portal_address=portal_address)


@requires(Permission.ACCOUNTS_MANAGE)
async def create_invited_account(
    session: AsyncSession, principal: Principal, account: InvitedAccount, *, portal_address: str
) -> Invitation:
    """A staff account without a password, and its invitation by e-mail (required: the link
    goes there)."""
    login = account.login.strip().lower()
    errors = login_errors(login)
    name = " ".join(account.display_name.split())
    if not name:
        errors.append(FieldError("display_name", "REQUIRED", "Le nom est obligatoire."))
    elif len(name) > 120:
        errors.append(
            FieldError("display_name", "TOO_LONG", "Le nom compte 120 caractères au plus.")
        )
    email = account.email.strip()
    if not email:
        errors.append(
            FieldError(
                "email", "REQUIRED", "Le courriel est obligatoire : l'invitation y est envoyée."
            )
        )
    elif len(email) > 254 or not EMAIL_PATTERN.match(email):
        errors.append(FieldError("email", "INVALID", "Le courriel n'est pas valide."))
    try:
        role = Role(account.role)
    except ValueError:
        errors.append(FieldError("role", "INVALID", "Fonction inconnue."))
    if errors:
        raise ValidationFailed(errors)
    school = await school_for(session, principal, role, account.school_id)
    if await session.scalar(select(StaffUser.id).where(StaffUser.login == login)) is not None:
        raise ValidationFailed.single("login", "DUPLICATE", "Cet identifiant est déjà utilisé.")
    set_actor(session.sync_session, principal.audit_actor(school.id if school else None))
    user = StaffUser(
        academy_id=principal.academy_id,
        login=login,
        display_name=name,
        email=email,
        password_hash=None,
    )
    session.add(user)
    await session.flush()
    session.add(RoleGrant(user_id=user.id, school_id=school.id if school else None, role=role))
    await session.flush()
    return await invite(session, principal, user, school, portal_address=portal_address)


@requires(Permission.ACCOUNTS_MANAGE)
async def create_principal(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    login: str,
    display_name: str,
    email: str,
    *,
    portal_address: str,
) -> Invitation:
    """A school's principal (chef d'établissement), invited to choose his password."""
    return await create_invited_account(
        session,
        principal,
        InvitedAccount(login, display_name, Role.PRINCIPAL.value, email, school_id),
        portal_address=portal_address,
    )


# --------------------------------------------------------------------------- acceptance


@dataclass(frozen=True)
class InvitationView:
    login: str
    display_name: str
    expires_at: datetime


async def _pending(session: AsyncSession, token: str) -> tuple[StaffInvitation, StaffUser]:
    found = None
    if 20 <= len(token) <= MAX_TOKEN_LENGTH:
        found = (
            await session.execute(
                select(StaffInvitation, StaffUser)
                .join(StaffUser, StaffUser.id == StaffInvitation.user_id)
                .where(StaffInvitation.token_hash == _hash(token))
            )
        ).first()
    if found is None:
        raise InvitationRefused(
            "Ce lien d'invitation n'est pas valide : vérifiez qu'il est complet, ou demandez "
            "une nouvelle invitation."
        )
    invitation, user = found
    if invitation.used_at is not None or user.password_hash is not None:
        raise InvitationRefused(
            "Ce lien d'invitation a déjà servi : votre mot de passe est choisi, connectez-vous "
            "avec votre identifiant."
        )
    if _aware(invitation.expires_at) <= clock.now():
        raise InvitationRefused(
            "Ce lien d'invitation a expiré (ou une invitation plus récente l'a remplacé) : "
            "demandez-en une nouvelle à la personne qui a créé votre compte."
        )
    if not user.is_active:
        raise InvitationRefused("Ce compte est désactivé : l'invitation ne peut plus servir.")
    return invitation, user


async def invitation_for(session: AsyncSession, token: str) -> InvitationView:
    """Whose invitation ``token`` is, or ``InvitationRefused`` saying why it cannot serve."""
    invitation, user = await _pending(session, token)
    return InvitationView(user.login, user.display_name, _aware(invitation.expires_at))


def chosen_password_errors(
    password: str, confirmation: str, login: str, email: str | None
) -> list[FieldError]:
    """What is wrong with a password a staff member chooses: the staff's length, and the
    rules of every password a person chooses (``core.password_policy``)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        problem: str | None = (
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )
    elif len(password) > 1000:
        problem = "Le mot de passe compte 1000 caractères au plus."
    else:
        problem = password_problem(password, login=login, email=email or "")
    if problem:
        return [FieldError("password", "WEAK", problem)]
    if confirmation != password:
        return [
            FieldError(
                "confirmation", "MISMATCH", "La confirmation ne reprend pas le mot de passe."
            )
        ]
    return []


async def accept_invitation(
    session: AsyncSession, token: str, password: str, confirmation: str, address: str | None
) -> StaffUser:
    """Set the invited account's password; the link then stops working. Raises
    ``InvitationRefused`` (the link) or ``ValidationFailed`` (the password, its confirmation)."""
    invitation, user = await _pending(session, token)
    errors = chosen_password_errors(password, confirmation, user.login, user.email)
    if errors:
        raise ValidationFailed(errors)
    # Used once, even by two submissions at the same moment: the first one marks it.
    marked = await session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.id == invitation.id, StaffInvitation.used_at.is_(None))
        .values(used_at=clock.now())
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationRefused("Ce lien d'invitation a déjà servi.")
    record_as_self(session, user, address)
    user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.flush()
    return user


@requires(Permission.ACCOUNTS_MANAGE)
async def invite_teachers_without_password(
    session: AsyncSession, principal: Principal, school_id: int, *, portal_address: str
) -> list[Invitation]:
    """Invite the school's teachers who have no password and no link still valid: those an
    STS-WEB import created, or created by hand before an invitation was sent."""
    school = await school_for(session, principal, Role.TEACHER, school_id)
    assert school is not None  # a school role
    now = clock.now()
    pending = (
        select(StaffInvitation.user_id)
        .where(StaffInvitation.used_at.is_(None), StaffInvitation.expires_at > now)
        .scalar_subquery()
    )
    teachers = await session.scalars(
        select(StaffUser)
        .join(RoleGrant, RoleGrant.user_id == StaffUser.id)
        .where(
            RoleGrant.school_id == school.id,
            RoleGrant.role == Role.TEACHER,
            StaffUser.password_hash.is_(None),
            StaffUser.is_active.is_(True),
            StaffUser.id.not_in(pending),
        )
        .order_by(StaffUser.display_name, StaffUser.id)
    )
    return [
        await invite(session, principal, teacher, school, portal_address=portal_address)
        for teacher in list(teachers)
    ]
