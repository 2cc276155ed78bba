"""Builds ``docs/permissions.md``: who sees and does what, read from the declarations themselves
(roles and rights in ``api.auth.rights``, OAuth scopes, ``@requires`` on domain functions,
field permissions of the GraphQL schema, export columns). A test fails when the committed
document differs from a fresh build; ``sconet permissions-table`` rewrites it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import api.exports
import api.resolvers
from api.auth.client_scopes import ONEROSTER_ONLY, SCOPE_LABELS_FR, SCOPE_PERMISSIONS
from api.auth.guard import permission_of
from api.auth.permissions import Permission
from api.auth.rights import (
    RIGHT_LABELS_FR,
    RIGHT_PERMISSIONS,
    ROLE_DEFAULT_RIGHTS,
    ROLE_FIXED_PERMISSIONS,
    ROLE_LABELS_FR,
    staff_permissions,
)
from api.exports.columns import CATALOGUE
from api.schema import schema
from api.schema.field_permissions import permission_table
from db.accounts import Role
from db.delegations import Right

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
YES, NO = "✓", ""


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(*header), _row(*["---"] * len(header)), *(_row(*r) for r in rows), ""]


def _default_permissions(role: Role) -> frozenset[Permission]:
    school = None if role in (Role.RECTORAT, Role.ACADEMY_ADMIN) else 1
    permissions, _teaching = staff_permissions({(school, role)})
    return permissions.get(school, frozenset())


def domain_functions() -> list[tuple[str, Permission]]:
    found = []
    for package in (api.resolvers, api.exports):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
                permission = permission_of(fn)
                if permission is not None and fn.__module__ == module.__name__:
                    found.append((f"{module.__name__.removeprefix('api.')}.{name}", permission))
    return sorted(found)


def build() -> str:
    roles = list(Role)
    lines = [
        "# Permissions: who sees and does what",
        "",
        "Generated from the code by `sconet permissions-table`; do not edit by hand (a test",
        "checks that this file is current).",
        "",
        "## Rights a principal delegates (DELEGCE) and the permissions they open",
        "",
    ]
    lines += _table(
        ["right", "label", "permissions"],
        [
            [
                f"`{r.value}`",
                RIGHT_LABELS_FR[r],
                ", ".join(sorted(p.value for p in RIGHT_PERMISSIONS[r])),
            ]
            for r in Right
        ],
    )
    lines += ["## Default rights of each role in its school", ""]
    lines += _table(
        ["role", *(f"`{r.value}`" for r in Right), "with the role itself"],
        [
            [
                ROLE_LABELS_FR[role],
                *(YES if r in ROLE_DEFAULT_RIGHTS[role] else NO for r in Right),
                ", ".join(sorted(p.value for p in ROLE_FIXED_PERMISSIONS[role])) or "—",
            ]
            for role in roles
        ],
    )
    lines += [
        "## Permissions each role holds by default",
        "",
        "Rectorat and académie administrator hold theirs in every school of the académie;",
        "a teacher reaches only the students of the divisions and groups taught.",
        "",
    ]
    lines += _table(
        ["permission", *(ROLE_LABELS_FR[r] for r in roles)],
        [
            [f"`{p.value}`", *(YES if p in _default_permissions(r) else NO for r in roles)]
            for p in Permission
        ],
    )
    lines += ["## OAuth scopes of third-party clients", ""]
    lines += _table(
        ["scope", "label", "permissions in the client's schools"],
        [
            [
                f"`{s}`",
                SCOPE_LABELS_FR[s],
                ", ".join(sorted(p.value for p in perms))
                + (" (OneRoster only, never GraphQL)" if s in ONEROSTER_ONLY else ""),
            ]
            for s, perms in SCOPE_PERMISSIONS.items()
        ],
    )
    lines += [
        "## GraphQL fields restricted to a permission",
        "",
        "Null unless the caller holds the permission in the school through which the",
        "object was reached. The staff portal hides the same fields.",
        "",
    ]
    lines += _table(
        ["type", "field", "permission"],
        [[t, f, f"`{p.value}`"] for (t, f), p in sorted(permission_table(schema).items())],
    )
    lines += ["## Export columns needing more than `students:export`", ""]
    lines += _table(
        ["column", "header", "permission"],
        [
            [f"`{c.key}`", c.header, f"`{c.permission.value}`"]
            for c in CATALOGUE
            if c.permission is not None
        ],
    )
    lines += [
        "## Domain functions and the permission each requires",
        "",
        "GraphQL, the staff portal and the CLI call these; rows are then scoped to the",
        "schools where the caller holds the permission.",
        "",
    ]
    lines += _table(
        ["function", "permission"], [[f"`{n}`", f"`{p.value}`"] for n, p in domain_functions()]
    )
    return "\n".join(lines).rstrip() + "\n"


def write() -> Path:
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(build(), encoding="utf-8")
    return DOCUMENT
