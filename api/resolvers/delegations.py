"""Delegation of rights (DELEGCE): the principal opens or closes each application and mode to
each staff member of the school. Only departures from the role's defaults are stored; a
decision applies from the staff member's next request (the principal is rebuilt each time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.rights import UNDELEGABLE_ROLES, effective_rights
from core.errors import NotFound, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import set_actor
from db.delegations import Delegation, Right


@dataclass(frozen=True)
class StaffRights:
    """One staff member's rights in one school, as the DELEGCE screen shows them."""

    user: StaffUser
    roles: frozenset[Role]
    defaults: frozenset[Right]
    rights: frozenset[Right]

    @property
    def delegable(self) -> bool:
        return not self.roles & UNDELEGABLE_ROLES

    @property
    def departures(self) -> frozenset[Right]:
        return self.rights ^ self.defaults


def _school_in_reach(principal: Principal, school_id: int) -> None:
    if school_id not in principal.school_ids(Permission.DELEGATIONS_MANAGE):
        raise NotFound("School", school_id)


async def _staff(
    session: AsyncSession, school_id: int, user_ids: Iterable[int] | None = None
) -> list[StaffRights]:
    query = (
        select(StaffUser, RoleGrant.role)
        .join(RoleGrant, RoleGrant.user_id == StaffUser.id)
        .where(RoleGrant.school_id == school_id, StaffUser.is_active.is_(True))
        .order_by(StaffUser.display_name, StaffUser.id)
    )
    if user_ids is not None:
        query = query.where(StaffUser.id.in_(list(user_ids)))
    users: dict[int, StaffUser] = {}
    roles: dict[int, set[Role]] = {}
    for user, role in await session.execute(query):
        users[user.id] = user
        roles.setdefault(user.id, set()).add(role)
    decisions: dict[int, dict[Right, bool]] = {}
    for user_id, right, granted in await session.execute(
        select(Delegation.user_id, Delegation.right, Delegation.granted).where(
            Delegation.school_id == school_id, Delegation.user_id.in_(list(users))
        )
    ):
        decisions.setdefault(user_id, {})[right] = granted
    return [
        StaffRights(
            user=user,
            roles=frozenset(roles[user_id]),
            defaults=effective_rights(roles[user_id], {}),
            rights=effective_rights(roles[user_id], decisions.get(user_id, {})),
        )
        for user_id, user in users.items()
    ]


@requires(Permission.DELEGATIONS_MANAGE)
async def school_staff_rights(
    session: AsyncSession, principal: Principal, school_id: int
) -> list[StaffRights]:
    """Every staff member of the school with their roles, default and effective rights."""
    _school_in_reach(principal, school_id)
    return await _staff(session, school_id)


@requires(Permission.DELEGATIONS_MANAGE)
async def set_staff_rights(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    user_id: int,
    rights: Iterable[Right],
) -> StaffRights:
    """Give a staff member exactly these rights in the school (audited, school recorded)."""
    _school_in_reach(principal, school_id)
    found = await _staff(session, school_id, [user_id])
    if not found:
        raise NotFound("StaffUser", user_id)
    current = found[0]
    if not current.delegable:
        raise ValidationFailed.single(
            "userId",
            "NOT_DELEGABLE",
            "Le chef d'établissement détient tous les droits : ils ne se délèguent ni ne se retirent.",
        )
    wanted = frozenset(rights)
    set_actor(session.sync_session, principal.audit_actor(school_id))
    stored = {
        row.right: row
        for row in await session.scalars(
            select(Delegation).where(
                Delegation.school_id == school_id, Delegation.user_id == user_id
            )
        )
    }
    for right in Right:
        departs = (right in wanted) != (right in current.defaults)
        row = stored.get(right)
        if not departs:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(
                Delegation(
                    user_id=user_id,
                    school_id=school_id,
                    right=right,
                    granted=right in wanted,
                    decided_by_id=principal.id,
                )
            )
        elif row.granted != (right in wanted):
            row.granted = right in wanted
            row.decided_by_id = principal.id
    await session.flush()
    return StaffRights(
        user=current.user, roles=current.roles, defaults=current.defaults, rights=wanted
    )
