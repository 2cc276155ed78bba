"""Enrolment, verification and reset of staff members' second factor (the "clé OTP").

Enrolment and verification are self-service: they act on the user whose
password was just accepted, before any principal exists, so they take the
user id. Reset and the académie's requirement are decided by others and are
guarded like every domain function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import second_factor as totp
from api.auth.guard import requires
from api.auth.identities import acting_as
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.sessions import close_all_sessions
from api.auth.throttling import ensure_not_blocked, record_failure, record_success
from core import clock
from core.errors import NotFound, ValidationFailed
from db.accounts import RecoveryCode, Role, RoleGrant, StaffUser
from db.audit import set_actor
from db.schools import Academy


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def _as_self(session: AsyncSession, user: StaffUser, address: str | None) -> None:
    set_actor(session.sync_session, acting_as(user, address))


async def _user(session: AsyncSession, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None or not user.is_active:
        raise NotFound("StaffUser", user_id)
    return user


@dataclass(frozen=True)
class SecondFactorStatus:
    """The caller's own second factor, as the account page shows it."""

    enrolled_at: datetime | None
    codes_left: int
    required: bool  # by the académie, for every staff member


async def second_factor_status(session: AsyncSession, principal: Principal) -> SecondFactorStatus:
    """No permission: anyone signed in reads his own account."""
    if principal.kind != "staff" or principal.id is None:
        raise PermissionDenied(Permission.ACCOUNTS_MANAGE)
    user = await _user(session, principal.id)
    academy = await session.get(Academy, principal.academy_id)
    codes_left = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return SecondFactorStatus(
        user.totp_enrolled_at, codes_left or 0, bool(academy and academy.second_factor_required)
    )


async def start_enrolment(
    session: AsyncSession, secret_key: str, user_id: int, address: str | None = None
) -> Enrolment:
    """A secret to scan (kept pending until a first code confirms it; reloading shows the same)."""
    user = await _user(session, user_id)
    if totp.enrolled(user):
        raise ValidationFailed.single(
            "code",
            "ALREADY_ENROLLED",
            "Une clé OTP est déjà enregistrée : demandez sa réinitialisation pour en changer.",
        )
    if user.totp_secret_encrypted is None:
        _as_self(session, user, address)
        user.totp_secret_encrypted = totp.sealer(secret_key).seal(totp.new_secret())
        await session.flush()
    secret = totp.sealer(secret_key).open(user.totp_secret_encrypted)
    academy = await session.get(Academy, user.academy_id)
    uri = totp.provisioning_uri(secret, user.login, academy.name if academy else "")
    return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_code_svg(uri))


async def confirm_enrolment(
    session: AsyncSession, secret_key: str, user_id: int, code: str, address: str | None = None
) -> list[str]:
    """The first valid code completes enrolment; returns the recovery codes, shown once."""
    user = await _user(session, user_id)
    if totp.enrolled(user) or user.totp_secret_encrypted is None:
        raise ValidationFailed.single(
            "code", "NO_PENDING_ENROLMENT", "Aucun enrôlement en cours : recommencez."
        )
    _as_self(session, user, address)
    if not totp.check_totp(user, secret_key, code):
        raise ValidationFailed.single(
            "code",
            "WRONG_CODE",
            "Code incorrect : saisissez les 6 chiffres affichés par l'application.",
        )
    user.totp_enrolled_at = clock.now()
    return await totp.new_recovery_codes(session, user.id)


async def second_factor_passes(
    session: AsyncSession, secret_key: str, user_id: int, code: str, address: str | None = None
) -> bool:
    """A login's second step: the current TOTP code, or an unused recovery code (spent)."""
    user = await _user(session, user_id)
    _as_self(session, user, address)
    if totp.check_totp(user, secret_key, code):
        return True
    return await totp.use_recovery_code(session, user.id, code)


async def regenerate_recovery_codes(
    session: AsyncSession, secret_key: str, user_id: int, code: str, address: str | None = None
) -> list[str]:
    user = await _user(session, user_id)
    _as_self(session, user, address)
    if not totp.enrolled(user) or not totp.check_totp(user, secret_key, code):
        raise ValidationFailed.single("code", "WRONG_CODE", "Code incorrect.")
    return await totp.new_recovery_codes(session, user.id)


async def second_factor_checked(
    session: AsyncSession, secret_key: str, user_id: int, code: str, address: str | None = None
) -> bool:
    """``second_factor_passes`` behind the account's guess counter: ``Throttled`` (nothing
    checked) while it must wait; a right code clears it. A wrong one is the caller's to count
    (``count_wrong_code``) in a transaction of its own."""
    keys = totp.code_keys(user_id)
    await ensure_not_blocked(session, keys)
    passed = await second_factor_passes(session, secret_key, user_id, code, address)
    if passed:
        await record_success(session, [key for key, _policy in keys])
    return passed


async def renew_recovery_codes(
    session: AsyncSession, secret_key: str, user_id: int, code: str, address: str | None = None
) -> list[str]:
    """``regenerate_recovery_codes`` behind the account's guess counter: ``Throttled`` while it
    must wait; ``ValidationFailed`` for a wrong code, which the caller counts
    (``count_wrong_code``) in a transaction of its own."""
    await ensure_not_blocked(session, totp.code_keys(user_id))
    return await regenerate_recovery_codes(session, secret_key, user_id, code, address)


async def count_wrong_code(session: AsyncSession, user_id: int) -> None:
    await record_failure(session, totp.code_keys(user_id))


async def _resettable(session: AsyncSession, principal: Principal, user_id: int) -> StaffUser:
    """The académie administrator resets anyone of the académie; a principal the staff of his
    schools, except other principals and académie accounts."""
    user = await session.get(StaffUser, user_id)
    if user is None or user.academy_id != principal.academy_id:
        raise NotFound("StaffUser", user_id)
    if principal.academy_wide(Permission.SECOND_FACTOR_RESET):
        return user
    schools = principal.school_ids(Permission.SECOND_FACTOR_RESET)
    member = await session.scalar(
        select(
            exists().where(RoleGrant.user_id == user_id, RoleGrant.school_id.in_(sorted(schools)))
        )
    )
    if not member:
        raise NotFound("StaffUser", user_id)
    protected = await session.scalar(
        select(
            exists().where(
                RoleGrant.user_id == user_id,
                RoleGrant.role.in_([Role.PRINCIPAL, Role.RECTORAT, Role.ACADEMY_ADMIN]),
            )
        )
    )
    if protected and user_id != principal.id:
        raise PermissionDenied(Permission.SECOND_FACTOR_RESET)
    return user


@requires(Permission.SECOND_FACTOR_RESET)
async def reset_second_factor(
    session: AsyncSession, principal: Principal, user_id: int
) -> StaffUser:
    """Forget the user's key and recovery codes and end their sessions: next login enrols again."""
    user = await _resettable(session, principal, user_id)
    set_actor(session.sync_session, principal.audit_actor())
    user.totp_secret_encrypted = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await close_all_sessions(session, user.id)
    await session.flush()
    return user


@requires(Permission.ACCOUNTS_MANAGE)
async def set_second_factor_required(
    session: AsyncSession, principal: Principal, required: bool
) -> Academy:
    """Require (or not) a second factor of every staff member of the académie."""
    if not principal.academy_wide(Permission.ACCOUNTS_MANAGE):
        raise PermissionDenied(Permission.ACCOUNTS_MANAGE)
    academy = await session.get(Academy, principal.academy_id)
    if academy is None:
        raise NotFound("Academy", principal.academy_id)
    set_actor(session.sync_session, principal.audit_actor())
    academy.second_factor_required = required
    await session.flush()
    return academy


@requires(Permission.SECOND_FACTOR_RESET)
async def reset_second_factor_by_login(
    session: AsyncSession, principal: Principal, login: str
) -> StaffUser | None:
    """``reset_second_factor`` for the account known by ``login`` (the operator on the server
    knows logins, not numbers); None when the académie has no such account."""
    user_id = await session.scalar(
        select(StaffUser.id).where(
            StaffUser.login == login.strip().lower(),
            StaffUser.academy_id == principal.academy_id,
        )
    )
    if user_id is None:
        return None
    return await reset_second_factor(session, principal, user_id)


@requires(Permission.ACCOUNTS_MANAGE)
async def second_factor_policy(session: AsyncSession, principal: Principal) -> Academy:
    """The caller's académie, whose ``second_factor_required`` says whether a key is required."""
    academy = await session.get(Academy, principal.academy_id)
    if academy is None:
        raise NotFound("Academy", principal.academy_id)
    return academy
