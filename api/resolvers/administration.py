"""What the server's operator does through the ``sconet`` command: he acts as the
académie's system administrator, with no staff account of his own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from db.accounts import Role
from db.reference import load_absence_references
from db.schools import Academy

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


async def load_national_references(session: AsyncSession) -> tuple[int, int]:
    """Load the national references every school relies on (generic motives, holiday
    periods), after each migration; loading them again adds nothing."""
    return await load_absence_references(session)
