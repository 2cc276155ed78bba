"""The teachers on a caller's roster: staff with a teaching assignment (STS-WEB) to a
division or group of an open year, or the teacher role, in a school in reach (2 queries)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.oneroster.reach import RosterReach, audited_times
from db.accounts import Role, RoleGrant, StaffUser
from db.structures import Division, Group, TeachingAssignment


@dataclass(frozen=True)
class Assignment:
    id: int
    user_id: int
    school_id: int
    division_id: int | None
    group_id: int | None


@dataclass
class Teachers:
    # The staff rows (or their last known state) by id.
    users: dict[int, Any]
    assignments: list[Assignment]
    schools_of: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # When each assignment was last written (assignments have no timestamps).
    assigned_at: dict[int, datetime] = field(default_factory=dict)


def assignments_in(reach: RosterReach, year_ids: list[int]) -> tuple[ColumnElement[bool], ...]:
    return (
        TeachingAssignment.school_id.in_(reach.school_ids()),
        or_(
            TeachingAssignment.division_id.in_(
                select(Division.id).where(Division.school_year_id.in_(year_ids))
            ),
            TeachingAssignment.group_id.in_(
                select(Group.id).where(Group.school_year_id.in_(year_ids))
            ),
        ),
    )


async def roster_teachers(
    session: AsyncSession, reach: RosterReach, year_ids: list[int]
) -> Teachers:
    where = assignments_in(reach, year_ids)
    assignments = [
        Assignment(*row)
        for row in await session.execute(
            select(
                TeachingAssignment.id,
                TeachingAssignment.user_id,
                TeachingAssignment.school_id,
                TeachingAssignment.division_id,
                TeachingAssignment.group_id,
            )
            .where(*where)
            .order_by(TeachingAssignment.id)
        )
    ]
    grants = (
        await session.execute(
            select(RoleGrant.user_id, RoleGrant.school_id).where(
                RoleGrant.role == Role.TEACHER, RoleGrant.school_id.in_(reach.school_ids())
            )
        )
    ).all()
    user_ids = {a.user_id for a in assignments} | {user_id for user_id, _ in grants}
    users = {
        user.id: user
        for user in await session.scalars(
            select(StaffUser).where(
                StaffUser.id.in_(
                    select(TeachingAssignment.user_id)
                    .where(*where)
                    .union(
                        select(RoleGrant.user_id).where(
                            RoleGrant.role == Role.TEACHER,
                            RoleGrant.school_id.in_(reach.school_ids()),
                        )
                    )
                ),
                StaffUser.is_active.is_(True),
            )
        )
        if user.id in user_ids
    }
    teachers = Teachers(users, [a for a in assignments if a.user_id in users])
    for assignment in teachers.assignments:
        teachers.schools_of[assignment.user_id].add(assignment.school_id)
    for user_id, school_id in grants:
        if user_id in users and school_id is not None:
            teachers.schools_of[user_id].add(school_id)
    teachers.assigned_at = await audited_times(
        session,
        "teaching_assignments",
        select(TeachingAssignment.id).where(*where),
    )
    return teachers
