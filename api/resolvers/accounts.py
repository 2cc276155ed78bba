"""Staff accounts managed from the portal: the principal manages his school's staff, the
académie administrator the schools' principals and the académie-level accounts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.passwords import hash_password
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.rights import ACADEMY_ROLES
from api.auth.sessions import close_all_sessions
from api.resolvers.operator_accounts import identity_errors
from core.errors import FieldError, NotFound, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import set_actor
from db.schools import School

# Who creates which accounts: the académie the principals and its own staff, a principal
# the other staff of his school.
ACADEMY_MANAGED = frozenset({Role.PRINCIPAL, Role.RECTORAT, Role.ACADEMY_ADMIN})
SCHOOL_MANAGED = frozenset({Role.REGISTRAR, Role.CPE, Role.TEACHER, Role.BURSAR})


@dataclass(frozen=True)
class AccountView:
    user: StaffUser
    grants: list[tuple[School | None, Role]]


@dataclass(frozen=True)
class NewAccount:
    login: str
    display_name: str
    role: str
    password: str
    school_id: int | None = None
    email: str | None = None


def _manageable(principal: Principal) -> tuple[frozenset[Role], frozenset[int] | None]:
    """Roles the caller manages, and the schools where (None: the whole académie)."""
    if principal.academy_wide(Permission.ACCOUNTS_MANAGE):
        return ACADEMY_MANAGED, None
    return SCHOOL_MANAGED, principal.school_ids(Permission.ACCOUNTS_MANAGE)


def _grant_clause(principal: Principal) -> ColumnElement[bool]:
    """Grants the caller manages (never NULL: a grant without school compares as -1)."""
    roles, schools = _manageable(principal)
    if schools is None:
        return RoleGrant.role.in_(sorted(roles))
    return and_(
        RoleGrant.role.in_(sorted(roles)),
        func.coalesce(RoleGrant.school_id, -1).in_(sorted(schools) or [-2]),
    )


def manageable_roles(principal: Principal) -> list[Role]:
    roles, _schools = _manageable(principal)
    return [role for role in Role if role in roles]


@requires(Permission.ACCOUNTS_MANAGE)
async def manageable_schools(session: AsyncSession, principal: Principal) -> list[School]:
    """Schools where the caller may create accounts."""
    _roles, schools = _manageable(principal)
    query = select(School).where(School.academy_id == principal.academy_id)
    if schools is not None:
        query = query.where(School.id.in_(sorted(schools)))
    return list(await session.scalars(query.order_by(School.uai)))


@requires(Permission.ACCOUNTS_MANAGE)
async def manageable_accounts(session: AsyncSession, principal: Principal) -> list[AccountView]:
    users = list(
        await session.scalars(
            select(StaffUser)
            .where(
                StaffUser.academy_id == principal.academy_id,
                StaffUser.id.in_(select(RoleGrant.user_id).where(_grant_clause(principal))),
            )
            .order_by(StaffUser.display_name, StaffUser.id)
        )
    )
    grants: dict[int, list[tuple[School | None, Role]]] = {u.id: [] for u in users}
    rows = await session.execute(
        select(RoleGrant.user_id, School, RoleGrant.role)
        .outerjoin(School, School.id == RoleGrant.school_id)
        .where(RoleGrant.user_id.in_(list(grants)))
        .order_by(RoleGrant.id)
    )
    for user_id, school, role in rows:
        grants[user_id].append((school, role))
    return [AccountView(u, grants[u.id]) for u in users]


@requires(Permission.ACCOUNTS_MANAGE)
async def school_for(
    session: AsyncSession, principal: Principal, role: Role, school_id: int | None
) -> School | None:
    """The school where the caller may give ``role`` (None: an académie role), or the refusal
    naming the field."""
    allowed_roles, schools = _manageable(principal)
    if role not in allowed_roles:
        raise ValidationFailed.single(
            "role", "NOT_ALLOWED", "Vous ne pouvez pas créer de compte avec cette fonction."
        )
    if role in ACADEMY_ROLES:
        if school_id is not None:
            raise ValidationFailed.single(
                "schoolId", "INVALID", "Un compte académique n'est pas rattaché à un établissement."
            )
        return None
    if school_id is None:
        raise ValidationFailed.single("schoolId", "REQUIRED", "Choisissez l'établissement.")
    school = await session.scalar(
        select(School).where(School.id == school_id, School.academy_id == principal.academy_id)
    )
    if school is None or (schools is not None and school.id not in schools):
        raise NotFound("School", school_id)
    return school


@requires(Permission.ACCOUNTS_MANAGE)
async def create_account(
    session: AsyncSession, principal: Principal, account: NewAccount
) -> StaffUser:
    login = account.login.strip().lower()
    errors = identity_errors(login, account.password)
    name = " ".join(account.display_name.split())
    if not name:
        errors.append(FieldError("displayName", "REQUIRED", "Le nom affiché est obligatoire."))
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
        email=(account.email or "").strip() or None,
        # argon2 is slow on purpose: off the event loop.
        password_hash=await asyncio.to_thread(hash_password, account.password),
    )
    session.add(user)
    await session.flush()
    session.add(RoleGrant(user_id=user.id, school_id=school.id if school else None, role=role))
    await session.flush()
    return user


@requires(Permission.ACCOUNTS_MANAGE)
async def account_in_reach(session: AsyncSession, principal: Principal, user_id: int) -> StaffUser:
    """The account if the caller manages it (every one of its roles), else ``NotFound``."""
    user = await session.scalar(
        select(StaffUser).where(
            StaffUser.id == user_id,
            StaffUser.academy_id == principal.academy_id,
            StaffUser.id.in_(select(RoleGrant.user_id).where(_grant_clause(principal))),
        )
    )
    # Nobody manages an account that also holds a role beyond their reach (another school's).
    beyond = await session.scalar(
        select(RoleGrant.id).where(RoleGrant.user_id == user_id, not_(_grant_clause(principal)))
    )
    if user is None or beyond is not None:
        raise NotFound("StaffUser", user_id)
    return user


@requires(Permission.ACCOUNTS_MANAGE)
async def set_account_active(
    session: AsyncSession, principal: Principal, user_id: int, active: bool
) -> StaffUser:
    """Deactivating ends the user's sessions at once; nothing is deleted (the trail keeps them)."""
    user = await account_in_reach(session, principal, user_id)
    if user.id == principal.id:
        raise ValidationFailed.single(
            "userId", "SELF", "Vous ne pouvez pas désactiver votre propre compte."
        )
    set_actor(session.sync_session, principal.audit_actor())
    user.is_active = active
    if not active:
        await close_all_sessions(session, user.id)
    await session.flush()
    return user
