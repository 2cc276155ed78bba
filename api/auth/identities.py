"""Staff identities: authenticate a login and password, build a principal from the database."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import second_factor, throttling
from api.auth.passwords import hash_password, needs_rehash, verify_password
from api.auth.principal import Principal
from api.auth.rights import staff_permissions
from api.auth.throttling import (
    GuessPolicy,
    Key,
    ensure_not_blocked,
    record_failure,
    record_success,
)
from db.accounts import RoleGrant, SessionStage, StaffUser
from db.audit import AuditActor, set_actor
from db.delegations import Delegation
from db.schools import Academy
from db.structures import TeachingAssignment


def acting_as(user: StaffUser, address: str | None) -> AuditActor:
    """The audit actor of a staff member acting on their own account (login, second factor)."""
    return AuditActor(
        kind="staff", id=user.id, label=f"{user.display_name} ({user.login})", remote_addr=address
    )


def record_as_self(session: AsyncSession, user: StaffUser, address: str | None) -> None:
    """What follows in the session is recorded as the staff member's own doing."""
    set_actor(session.sync_session, acting_as(user, address))


async def authenticate(session: AsyncSession, login: str, password: str) -> StaffUser | None:
    user = await session.scalar(select(StaffUser).where(StaffUser.login == login.strip().lower()))
    # argon2 takes tens of milliseconds on purpose: keep it off the event loop.
    valid = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    # No password yet (an invitation not accepted): nothing matches.
    if not valid or user is None or user.password_hash is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        set_actor(session.sync_session, AuditActor(kind="staff", id=user.id, label=user.login))
        user.password_hash = await asyncio.to_thread(hash_password, password)
    return user


def login_keys(login: str, address: str | None) -> list[tuple[Key, GuessPolicy]]:
    """What a password guess is counted against: the account named, and the caller's address."""
    keys = [(Key("login", login.strip().lower()), throttling.ACCOUNT_POLICY)]
    if address:
        keys.append((Key("address", address), throttling.ADDRESS_POLICY))
    return keys


async def authenticate_unless_blocked(
    session: AsyncSession, login: str, password: str, address: str | None
) -> StaffUser | None:
    """``authenticate`` behind the guess counters: raises ``Throttled`` (nothing checked) while
    the account or the address must wait; a success clears the account's counter. A failure
    is the caller's to count (``count_wrong_password``) in a transaction that the refusal does
    not roll back."""
    keys = login_keys(login, address)
    await ensure_not_blocked(session, keys)
    user = await authenticate(session, login, password)
    if user is not None:
        await record_success(session, [keys[0][0]])
    return user


async def count_wrong_password(session: AsyncSession, login: str, address: str | None) -> None:
    await record_failure(session, login_keys(login, address))


async def authenticate_throttled(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    login: str,
    password: str,
    address: str | None,
) -> StaffUser | None:
    """``authenticate_unless_blocked``, a failure counted in its own transaction, so it stays
    counted although the caller's transaction ends without a login."""
    user = await authenticate_unless_blocked(session, login, password, address)
    if user is None:
        async with sessionmaker() as counting, counting.begin():
            await count_wrong_password(counting, login, address)
    return user


async def login_stage(session: AsyncSession, user: StaffUser) -> SessionStage:
    """Where a login goes after the password: the second factor if enrolled, enrolment if
    the académie requires one, else straight in."""
    if second_factor.enrolled(user):
        return SessionStage.SECOND_FACTOR
    academy = await session.get(Academy, user.academy_id)
    if academy is not None and academy.second_factor_required:
        return SessionStage.ENROLMENT
    return SessionStage.ACTIVE


async def load_principal(
    session: AsyncSession, user_id: int, remote_addr: str | None = None
) -> Principal | None:
    user = await session.get(StaffUser, user_id)
    if user is None or not user.is_active:
        return None
    grants = (
        await session.execute(
            select(RoleGrant.school_id, RoleGrant.role).where(RoleGrant.user_id == user_id)
        )
    ).all()
    decisions = (
        await session.execute(
            select(Delegation.school_id, Delegation.right, Delegation.granted).where(
                Delegation.user_id == user_id
            )
        )
    ).all()
    teaching = (
        await session.execute(
            select(TeachingAssignment.division_id, TeachingAssignment.group_id).where(
                TeachingAssignment.user_id == user_id
            )
        )
    ).all()
    role_grants = frozenset((school_id, role) for school_id, role in grants)
    permissions, teaching_only = staff_permissions(
        role_grants, [(school_id, right, granted) for school_id, right, granted in decisions]
    )
    return Principal(
        kind="staff",
        id=user.id,
        label=f"{user.display_name} ({user.login})",
        academy_id=user.academy_id,
        grants=role_grants,
        school_permissions=permissions,
        teaching_only=teaching_only,
        taught_division_ids=frozenset(d for d, _g in teaching if d is not None),
        taught_group_ids=frozenset(g for _d, g in teaching if g is not None),
        remote_addr=remote_addr,
    )
