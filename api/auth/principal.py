"""The principal: who is calling, with which roles, over which schools."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.auth.permissions import ROLE_PERMISSIONS, Permission
from db.accounts import Role
from db.audit import AuditActor


class PermissionDenied(Exception):
    def __init__(self, permission: Permission) -> None:
        super().__init__(f"permission {permission.value} required")
        self.permission = permission


@dataclass(frozen=True)
class Principal:
    """Every request carries one; domain functions receive it explicitly.

    ``grants`` pairs a school id (``None`` for the whole académie) with a role.
    ``taught_division_ids`` and ``taught_group_ids`` restrict what a teacher
    sees in the schools where teaching is their only role.
    """

    kind: str
    id: int | None
    label: str
    academy_id: int
    grants: frozenset[tuple[int | None, Role]]
    taught_division_ids: frozenset[int] = field(default_factory=frozenset)
    taught_group_ids: frozenset[int] = field(default_factory=frozenset)
    remote_addr: str | None = None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(role for _school, role in self.grants)

    def permissions_in(self, school_id: int | None) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for grant_school, role in self.grants:
            if grant_school is None or grant_school == school_id:
                granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def has(self, permission: Permission) -> bool:
        """True when the permission is granted in at least one school."""
        return any(permission in ROLE_PERMISSIONS[role] for _school, role in self.grants)

    def academy_wide(self, permission: Permission) -> bool:
        return any(
            school is None and permission in ROLE_PERMISSIONS[role] for school, role in self.grants
        )

    def school_ids(self, permission: Permission) -> frozenset[int]:
        """Schools where the permission is granted by a school-level role."""
        return frozenset(
            school
            for school, role in self.grants
            if school is not None and permission in ROLE_PERMISSIONS[role]
        )

    def teaching_only_school_ids(self, permission: Permission) -> frozenset[int]:
        """Schools where the permission comes from the teacher role alone."""
        restricted = set()
        for school in self.school_ids(permission):
            roles = {role for s, role in self.grants if s == school}
            if roles == {Role.TEACHER}:
                restricted.add(school)
        return frozenset(restricted)

    def require(self, permission: Permission) -> None:
        if not self.has(permission):
            raise PermissionDenied(permission)

    def audit_actor(self, school_id: int | None = None) -> AuditActor:
        return AuditActor(
            kind=self.kind,
            id=self.id,
            label=self.label,
            remote_addr=self.remote_addr,
            school_id=school_id,
        )
