"""Bring both databases to the latest schema (``sconet migrate``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_LOCATIONS = {
    "admin": ROOT / "db" / "migrations",
    "teleservices": ROOT / "tsdb" / "migrations",
}


def alembic_config(database: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATIONS[database]))
    config.attributes["url"] = url
    return config


def upgrade(database: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database, url), revision)


async def upgrade_from_loop(database: str, url: str, revision: str = "head") -> None:
    """``upgrade`` for callers already inside an event loop (env.py runs its own loop)."""
    await asyncio.to_thread(upgrade, database, url, revision)
