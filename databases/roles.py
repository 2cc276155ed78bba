"""The PostgreSQL roles the processes run as, kept apart from the role that owns the schemas.

Migrations run as the owner (``sconet migrate``). The staff application connects to the
admin database as a role that owns nothing, may read and write every table but may only read
and append to ``audit_entries``: it can neither update, delete nor truncate the audit log,
nor drop or disable its append-only trigger (only an owner can); ``sconet db grant-app-role
ROLE``. The families portal connects to the télé-services database as a role that may only
read the replicated tables (``ts_*``) and write the families' account tables (``family_*``);
``sconet db grant-families-role ROLE``. Both again after each migration that adds tables.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(Exception):
    """The role cannot be set up; the message says why, in French."""


def grant_statements(role: str) -> list[str]:
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(
            f"Nom de rôle invalide : {role!r} (minuscules, chiffres et _ ; 63 caractères au plus)."
        )
    quoted = f'"{role}"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        # The audit log: read and append only.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM {quoted}",
        # The schema's version belongs to migrations.
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
    ]


# The families portal's tables in the télé-services database.
REPLICATED_TABLES = (
    "ts_schools",
    "ts_students",
    "ts_absences",
    "ts_marks",
    "ts_codes",
    "ts_finance_accounts",
    "ts_finance_notices",
)
ACCOUNT_TABLES = (
    "family_accounts",
    "family_code_uses",
    "family_sessions",
    "family_failure_counters",
    "family_mails",
    "family_tokens",
)


def families_grant_statements(role: str) -> list[str]:
    grant_statements(role)  # checks the name
    quoted = f'"{role}"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT SELECT ON {', '.join(REPLICATED_TABLES)} TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(ACCOUNT_TABLES)} TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]


async def grant_families_role(owner_url: str, role: str) -> None:
    """Run as the télé-services schema's owner: the families portal's rights, nothing more."""
    await _grant(owner_url, role, families_grant_statements(role), "ts_codes")


async def grant_application_role(owner_url: str, role: str) -> None:
    """Run as the schema's owner: give ``role`` the application's rights, nothing more."""
    await _grant(owner_url, role, grant_statements(role), "audit_entries")


async def _grant(owner_url: str, role: str, statements: list[str], owned_table: str) -> None:
    if not owner_url.startswith("postgresql"):
        raise RoleError(
            "Les rôles ne concernent que PostgreSQL : la base embarquée (SQLite) n'en a pas."
        )
    engine = create_async_engine(owner_url)
    try:
        async with engine.begin() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
            )
            if not exists:
                raise RoleError(
                    f"Le rôle {role} n'existe pas : créez-le d'abord "
                    f"(CREATE ROLE {role} LOGIN PASSWORD '…')."
                )
            owns = await connection.scalar(
                text("SELECT 1 FROM pg_tables WHERE tablename = :t AND tableowner = :r"),
                {"t": owned_table, "r": role},
            )
            if owns:
                raise RoleError(
                    f"Le rôle {role} possède les tables : l'application doit se connecter avec "
                    "un autre rôle que celui des migrations."
                )
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
