"""``sconet finances generate``: the preview's totals of a term, then its application, as
the school's principal would from the portal (Lina, Noah, Éloïse: DP 220,00 € each)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from api.cli import main
from db.finances import Charge
from tests.api.finances.charges_world import school_terms, tariffs
from tests.api.test_cli import environment
from tests.world import World, uai


async def _sconet(database_urls, tmp_path: Path, *args: str) -> Result:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        list(args),
        env=environment(database_urls, tmp_path),
        catch_exceptions=False,
    )


async def test_generate_then_apply(database_urls, sessionmaker, world: World, tmp_path) -> None:
    command = ["finances", "generate", "--school", uai("0930001"), "--term", "1"]
    missing = await _sconet(database_urls, tmp_path, *command)
    assert missing.exit_code != 0
    assert "pas de trimestre 1 en 2026-2027" in missing.output
    terms = await school_terms(sessionmaker, world)
    await tariffs(sessionmaker, world, terms, {"2": ("flat_term", "220,00")})
    preview = await _sconet(database_urls, tmp_path, *command, "--year", "2026")
    assert preview.exit_code == 0, preview.output
    # 3 × 220,00 = 660,00.
    assert preview.output == (
        "Septembre : 3 lignes, dû 660,00\u00a0€, déjà constaté 0,00\u00a0€, à écrire "
        "660,00\u00a0€ (3 lignes), remise de principe 0,00\u00a0€ (à écrire 0,00\u00a0€), "
        "0 avertissements\n"
    )
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Charge)) == 0
    applied = await _sconet(database_urls, tmp_path, *command, "--apply")
    assert applied.exit_code == 0, applied.output
    assert applied.output.endswith(
        "Appliqué : 3 droits constatés (660,00\u00a0€), 0 remises (0,00\u00a0€).\n"
    )
    async with sessionmaker() as session:
        assert await session.scalar(select(func.sum(Charge.amount))) == 660
