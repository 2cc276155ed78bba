"""``sconet finances notices|transfer`` against the test world's database: the command acts
for the school as its principal would, writes the term's notices as one PDF and the term's
transfer file, and names its options in the domain's refusals."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from pypdf import PdfReader

from api.cli import main
from api.resolvers.finances.terms import close_term
from tests.api.finances.term_ledger import first_term
from tests.api.test_cli import environment
from tests.world import uai


async def _sconet(database_urls, tmp_path: Path, *args: str) -> Result:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        list(args),
        env=environment(database_urls, tmp_path),
        catch_exceptions=False,
    )


async def test_notices_then_transfer(database_urls, sessionmaker, world, tmp_path, clock):
    ledger = await first_term(world, sessionmaker)
    school = ["--school", uai("0930001"), "--term", "1"]
    pdf = tmp_path / "avis.pdf"
    issued = await _sconet(
        database_urls, tmp_path, "finances", "notices", *school, "--out", str(pdf)
    )
    assert issued.exit_code == 0, issued.output
    assert issued.output == f"1er trimestre : 2 avis émis ; avis du trimestre écrits dans {pdf}.\n"
    pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
    assert len(pages) == 2 and "295,00" in pages[1].extract_text()
    again = await _sconet(
        database_urls, tmp_path, "finances", "notices", *school, "--out", str(pdf)
    )
    assert again.output.startswith("1er trimestre : 0 avis émis")

    csv = tmp_path / "transfert.csv"
    refused = await _sconet(
        database_urls, tmp_path, "finances", "transfer", *school, "--out", str(csv)
    )
    assert refused.exit_code == 1
    assert "--term : Le 1er trimestre 2026-2027 n'est pas clos" in refused.output
    assert not csv.exists()
    clock.advance(timedelta(days=34))
    bursar = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session, session.begin():
        await close_term(session, bursar, ledger.terms[0])
    sent = await _sconet(
        database_urls, tmp_path, "finances", "transfer", *school, "--out", str(csv)
    )
    assert sent.exit_code == 0, sent.output
    # 810,00 charged, 135,00 reduced, 380,00 received (tests/api/finances/term_ledger.py).
    assert sent.output == (
        "Transfert du 1er trimestre envoyé : 7 lignes, droits 810.00, remises 135.00, "
        f"paiements 380.00 ; fichier écrit dans {csv}.\n"
    )
    first = csv.read_bytes()
    assert first.endswith(b"TOTAL;2027-01-05;;;;SOLDE_NET;;;295.00;;;7\r\n")
    clock.advance(timedelta(days=1))
    written = await _sconet(
        database_urls, tmp_path, "finances", "transfer", *school, "--out", str(csv)
    )
    assert "déjà envoyé le 05/01/2027" in written.output and csv.read_bytes() == first
    missing = await _sconet(
        database_urls, tmp_path, "finances", "transfer", "--school", uai("0930001"),
        "--term", "4", "--out", str(csv),
    )  # fmt: skip
    assert (
        missing.exit_code == 1
        and "--term : l'année 2026-2027 n'a pas de trimestre 4" in missing.output
    )
