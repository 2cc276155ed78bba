"""The families portal's "Situation financière": a payer signed in sees his own accounts'
balances and notices, never another family's; a student's account and an anonymous visitor
see none."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portals.familles.rendering import balance_fr
from replication.run import replicate
from tests.portals.familles.family_steps import CSRF, TODAY, give_code, open_account
from tests.replication.finance_rows import FinanceRows, write_finance_rows
from tsdb.models import TsFinanceAccount

PASSWORD = "un mot de passe long"
NBSP = "\u00a0"


async def _two_families(world, sessionmaker, ts_sessionmaker) -> tuple[dict[str, str], FinanceRows]:
    """Codes of Claire Martin (for Lina) and Sophie Élan (for Éloïse), the finance rows,
    replicated. Paul Martin has no code: his account in school B stays out."""
    codes = {
        key: await give_code(
            world, sessionmaker, world.school_a, world.students[child], world.guardians[key],
            "principal_a",
        )
        for key, child in (("mother", "lina"), ("elan", "eloise"))
    }  # fmt: skip
    rows = await write_finance_rows(sessionmaker, world)
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    return codes, rows


async def test_each_family_sees_its_own_balance_and_notices_only(
    world, sessionmaker, ts_sessionmaker, families
):
    codes, rows = await _two_families(world, sessionmaker, ts_sessionmaker)
    async with ts_sessionmaker() as ts:
        held = set(await ts.scalars(select(TsFinanceAccount.id)))
    assert held == {rows.accounts["mother"], rows.accounts["elan"]}

    await open_account(families, codes["mother"], "2015-03-14", "claire", PASSWORD)
    page = await families.get("/situation-financiere")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Situation financière</h1>" in text
    assert 'href="/situation-financiere">Situation financière</a>' in text
    assert '<h2 id="titre-compte-' in text and "Collège Jean Moulin" in text
    # 180,00 + 450,00 − 30,00 − 200,00 = 400,00 owed.
    assert f"Vous devez 400,00{NBSP}€" in text
    assert "1er trimestre — avis du 02/12/2026" in text
    for expected in (
        "Lina Martin",
        "Demi-pension, 1er trimestre",
        "48 jours sur 60",
        f"180,00{NBSP}€",
        "Remise gracieuse",
        f"-30,00{NBSP}€",
        f'Total pour Noah Martin</th><td class="familles-amount">420,00{NBSP}€',
        "Chèque n° 1234",
        "05/10/2026",
        f"630,00{NBSP}€",
    ):
        assert expected in text, expected
    # Nothing of Sophie Élan's account (a 50,00 € credit) nor of Paul Martin's (120,00 €).
    for foreign in ("créditeur", ">150,00", "-50,00", ">120,00", "Louise Michel"):
        assert foreign not in text, foreign
    printable = await families.get(f"/situation-financiere/avis/{rows.notices['mother']}")
    assert printable.status_code == 200
    assert "<h1>Avis aux familles — 1er trimestre</h1>" in printable.text
    assert f"Vous devez 400,00{NBSP}€" in printable.text
    other = await families.get(f"/situation-financiere/avis/{rows.notices['elan']}")
    unknown = await families.get("/situation-financiere/avis/987654")
    assert other.status_code == unknown.status_code == 404
    assert other.text == unknown.text and "150,00" not in other.text

    await families.post("/deconnexion", data={"csrf_token": CSRF.search(page.text).group(1)})
    await open_account(families, codes["elan"], "2015-06-30", "sophie", PASSWORD)
    page = await families.get("/situation-financiere")
    # 150,00 − 200,00 = −50,00: a credit.
    assert f"Votre compte est créditeur de 50,00{NBSP}€" in page.text
    for foreign in ("Vous devez", "400,00", "Lina", "Noah", "Chèque n° 1234"):
        assert foreign not in page.text, foreign
    printable = await families.get(f"/situation-financiere/avis/{rows.notices['elan']}")
    assert printable.status_code == 200
    assert (
        await families.get(f"/situation-financiere/avis/{rows.notices['mother']}")
    ).status_code == 404


async def test_a_student_account_and_a_visitor_see_no_account(
    world, sessionmaker, ts_sessionmaker, families
):
    await _two_families(world, sessionmaker, ts_sessionmaker)
    anonymous = await families.get("/situation-financiere")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/"
    noah = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    await open_account(families, noah, "2015-11-02", "noah.martin", PASSWORD)
    page = await families.get("/situation-financiere")
    assert page.status_code == 200 and 'id="aucun-compte"' in page.text
    assert "Vous devez" not in page.text and "€" not in page.text


def test_a_balance_tells_who_owes_whom() -> None:
    assert balance_fr(Decimal("1234.5")) == f"Vous devez 1\u202f234,50{NBSP}€"
    assert balance_fr(Decimal("-0.01")) == f"Votre compte est créditeur de 0,01{NBSP}€"
    assert balance_fr(Decimal("0.00")) == "À jour"
