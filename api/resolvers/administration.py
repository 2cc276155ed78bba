"""What the server's operator does through the ``sconet`` command: he acts as the
académie's system administrator, with no staff account of his own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from core.errors import ValidationFailed
from db.accounts import Role
from db.reference import load_absence_references
from db.schools import Academy, School

COMMAND_LINE = "sconet (ligne de commande)"


async def command_line_administrator(session: AsyncSession) -> Principal | None:
    """The académie's administrator as the command line acts, or None before any académie."""
    academy_id = await session.scalar(select(Academy.id).order_by(Academy.id))
    if academy_id is None:
        return None
    return Principal(
        kind="system",
        id=None,
        label=COMMAND_LINE,
        academy_id=academy_id,
        grants=frozenset({(None, Role.ACADEMY_ADMIN)}),
    )


async def command_line_operator(session: AsyncSession, school_uai: str | None) -> Principal | None:
    """The command line acting for a school, as its principal would (imports, exports), and
    for the académie as its administrator; None before any académie. An unknown UAI is
    refused naming the option."""
    administrator = await command_line_administrator(session)
    if administrator is None or school_uai is None:
        return administrator
    school_id = await session.scalar(
        select(School.id).where(
            School.uai == school_uai.strip().upper(),
            School.academy_id == administrator.academy_id,
        )
    )
    if school_id is None:
        raise ValidationFailed.single("school", "NOT_FOUND", f"Aucun établissement {school_uai}.")
    return Principal(
        kind="system",
        id=None,
        label=COMMAND_LINE,
        academy_id=administrator.academy_id,
        grants=frozenset({(None, Role.ACADEMY_ADMIN), (school_id, Role.PRINCIPAL)}),
    )


async def load_national_references(session: AsyncSession) -> tuple[int, int]:
    """Load the national references every school relies on (generic motives, holiday
    periods), after each migration; loading them again adds nothing."""
    return await load_absence_references(session)
