"""The principal: who is calling (a staff member or an API client), with what, over which schools."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from api.auth.permissions import Permission
from api.auth.rights import staff_permissions
from db.accounts import Role
from db.audit import AuditActor


class PermissionDenied(Exception):
    def __init__(self, permission: Permission) -> None:
        super().__init__(f"permission {permission.value} required")
        self.permission = permission


@dataclass(frozen=True, eq=False)
class Principal:
    """Every request carries one; domain functions receive it explicitly.

    ``grants`` pairs a school id (``None`` for the whole académie) with a role;
    ``school_permissions`` is what they add up to with the principal's
    delegations (computed from ``grants`` alone when not given), per school
    (``None``: every school of the académie). ``teaching_only`` are the
    (school, permission) pairs where a teacher reaches only the divisions and groups
    taught (``taught_division_ids``, ``taught_group_ids``).
    """

    kind: str
    id: int | None
    label: str
    academy_id: int
    grants: frozenset[tuple[int | None, Role]]
    taught_division_ids: frozenset[int] = field(default_factory=frozenset)
    taught_group_ids: frozenset[int] = field(default_factory=frozenset)
    remote_addr: str | None = None
    school_permissions: Mapping[int | None, frozenset[Permission]] | None = None
    teaching_only: frozenset[tuple[int, Permission]] | None = None
    # OAuth scopes of an API client (empty for staff).
    scopes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.school_permissions is None:
            permissions, teaching_only = staff_permissions(self.grants)
            object.__setattr__(self, "school_permissions", permissions)
            if self.teaching_only is None:
                object.__setattr__(self, "teaching_only", teaching_only)
        elif self.teaching_only is None:
            object.__setattr__(self, "teaching_only", frozenset())

    @property
    def _permissions(self) -> Mapping[int | None, frozenset[Permission]]:
        assert self.school_permissions is not None
        return self.school_permissions

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(role for _school, role in self.grants)

    def permissions_in(self, school_id: int | None) -> frozenset[Permission]:
        granted = set(self._permissions.get(None, frozenset()))
        if school_id is not None:
            granted |= self._permissions.get(school_id, frozenset())
        return frozenset(granted)

    def has(self, permission: Permission) -> bool:
        """True when the permission is granted in at least one school."""
        return any(permission in granted for granted in self._permissions.values())

    def academy_wide(self, permission: Permission) -> bool:
        return permission in self._permissions.get(None, frozenset())

    def school_ids(self, permission: Permission) -> frozenset[int]:
        """Schools where the permission is granted at school level."""
        return frozenset(
            school
            for school, granted in self._permissions.items()
            if school is not None and permission in granted
        )

    def teaching_only_school_ids(self, permission: Permission) -> frozenset[int]:
        """Schools where the permission comes from the teacher role alone."""
        assert self.teaching_only is not None
        schools = frozenset(s for s, p in self.teaching_only if p == permission)
        return self.school_ids(permission) & schools

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
