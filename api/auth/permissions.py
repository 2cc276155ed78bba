"""Permissions, and what each role grants.

A permission is declared once beside what it guards: domain functions with
``@requires(...)`` (see ``api.auth.guard``), Strawberry fields with
``permission_classes=[Requires(...)]``. Which rows a permission reaches is
decided by ``api.auth.scopes``.
"""

from __future__ import annotations

import enum

from db.accounts import Role


class Permission(enum.StrEnum):
    STUDENTS_READ = "students:read"
    STUDENTS_WRITE = "students:write"
    STUDENTS_EXPORT = "students:export"
    GUARDIAN_CONTACTS_READ = "guardians:contacts:read"
    STRUCTURES_READ = "structures:read"
    STRUCTURES_WRITE = "structures:write"
    STATISTICS_READ = "statistics:read"
    NOMENCLATURES_READ = "nomenclatures:read"
    AUDIT_READ = "audit:read"


_SCHOOL_READER = {
    Permission.STUDENTS_READ,
    Permission.STRUCTURES_READ,
    Permission.NOMENCLATURES_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PRINCIPAL: frozenset(Permission),
    # The audit trail is read by the principal and the rectorat only.
    Role.REGISTRAR: frozenset(set(Permission) - {Permission.AUDIT_READ}),
    Role.CPE: frozenset(
        _SCHOOL_READER
        | {
            Permission.STUDENTS_EXPORT,
            Permission.GUARDIAN_CONTACTS_READ,
            Permission.STATISTICS_READ,
        }
    ),
    Role.BURSAR: frozenset(
        _SCHOOL_READER | {Permission.GUARDIAN_CONTACTS_READ, Permission.STATISTICS_READ}
    ),
    # A teacher reads only the students of the divisions and groups taught
    # (see scopes.py), and never their guardians' addresses or phones.
    Role.TEACHER: frozenset(_SCHOOL_READER),
    Role.RECTORAT: frozenset(_SCHOOL_READER | {Permission.STATISTICS_READ, Permission.AUDIT_READ}),
}

ROLE_LABELS_FR: dict[Role, str] = {
    Role.PRINCIPAL: "Chef d'établissement",
    Role.REGISTRAR: "Secrétariat",
    Role.CPE: "CPE (vie scolaire)",
    Role.TEACHER: "Enseignant",
    Role.BURSAR: "Gestionnaire",
    Role.RECTORAT: "Rectorat",
}
