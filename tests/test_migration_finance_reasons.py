"""Migration 0016: a receipt's reversal moves its reason out of its reference (which takes
the cancelled receipt's), a reduction's reversal names the reduction it undoes by a column
instead of a prefix in its reason; going down puts both back. Runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from databases.migrations import alembic_config, upgrade
from tests.conftest import DatabaseUrls

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
STAMPS = {"version": 1, "created_at": NOW, "updated_at": NOW}


async def _on_connection(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> dict[str, Any]:
    metadata = MetaData()
    metadata.reflect(connection)
    return dict(metadata.tables)


def _fill(connection: Connection) -> None:
    """As 0015's code wrote them: a cheque reversed ("Chèque impayé" in its reference), a
    transfer, a remise d'ordre reversed (its reason prefixed) and a remise de principe's
    negative adjustment (not a reversal)."""
    t = _tables(connection)
    connection.execute(t["academies"].insert(), [{"id": 1, "code": "A01", "name": "Créteil"}])
    connection.execute(
        t["school_years"].insert(),
        [
            {
                "id": 1,
                "academy_id": 1,
                "start_year": 2026,
                "state": "current",
                "starts_on": date(2026, 9, 1),
                "ends_on": date(2027, 8, 31),
            }
        ],
    )
    connection.execute(
        t["schools"].insert(),
        [
            {
                "id": 1,
                "academy_id": 1,
                "uai": "0750001A",
                "kind": "college",
                "sector": "public",
                "name": "Collège",
                "address_line": "",
                "postal_code": "",
                "city": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )
    connection.execute(
        t["finance_terms"].insert(),
        [
            {
                "id": 1,
                "school_id": 1,
                "school_year_id": 1,
                "rank": 1,
                "label": "1er trimestre",
                "first_day": date(2026, 9, 1),
                "last_day": date(2026, 12, 31),
            }
        ],
    )
    connection.execute(
        t["guardians"].insert(),
        [{"id": 1, "civility": "MME", "family_name": "Martin", "first_name": "Claire", **STAMPS}],
    )
    connection.execute(
        t["students"].insert(),
        [
            {
                "id": 1,
                "family_name": "Martin",
                "first_name": "Lina",
                "sex": "F",
                "birth_date": date(2013, 4, 2),
                "birth_country_code": "100",
                "search_name": "martin lina",
                **STAMPS,
            }
        ],
    )
    connection.execute(
        t["family_accounts"].insert(),
        [{"id": 1, "school_id": 1, "guardian_id": 1, "children_elsewhere": 0, **STAMPS}],
    )
    payment = {
        "school_id": 1,
        "term_id": 1,
        "account_id": 1,
        "amount": 100,
        "received_on": date(2026, 10, 5),
        # Every row names every column: an insert of several rows takes the first one's.
        "reverses_payment_id": None,
        "created_at": NOW,
        "actor_label": "Gestionnaire",
    }
    connection.execute(
        t["payments"].insert(),
        [
            {"id": 1, "kind": "receipt", "method": "cheque", "reference": "Chèque n° 12, BNP"}
            | payment,
            {"id": 2, "kind": "receipt", "method": "transfer", "reference": None} | payment,
            {
                "id": 3,
                "kind": "reversal",
                "method": "cheque",
                "reference": "Chèque impayé",
            }
            | payment
            | {"reverses_payment_id": 1},
        ],
    )
    reduction = {
        "school_id": 1,
        "term_id": 1,
        "concerns_term_id": 1,
        "account_id": 1,
        "student_id": 1,
        "charge_kind": "half_board",
        "origin": "manual",
        "created_at": NOW,
        "actor_label": "Gestionnaire",
    }
    connection.execute(
        t["reductions"].insert(),
        [
            {"id": 1, "kind": "order", "amount": 20, "reason": "Maladie"} | reduction,
            {
                "id": 2,
                "kind": "order",
                "amount": -20,
                "reason": "Annulation de la remise n° 1 : Saisie erronée",
            }
            | reduction,
            {
                "id": 3,
                "kind": "principle",
                "amount": -6,
                "reason": "Régularisation : 20 % de 190,00 €",
            }
            | reduction
            | {"origin": "adjustment"},
        ],
    )


def _payments(connection: Connection) -> set[tuple[Any, ...]]:
    table = _tables(connection)["payments"]
    columns = [table.c.id, table.c.reference] + ([table.c.reason] if "reason" in table.c else [])
    return {tuple(row) for row in connection.execute(select(*columns))}


def _reductions(connection: Connection) -> set[tuple[Any, ...]]:
    table = _tables(connection)["reductions"]
    columns = [table.c.id, table.c.reason] + (
        [table.c.reverses_reduction_id] if "reverses_reduction_id" in table.c else []
    )
    return {tuple(row) for row in connection.execute(select(*columns))}


async def test_reasons_move_to_their_columns_and_back(
    unmigrated_database_urls: DatabaseUrls,
) -> None:
    url = unmigrated_database_urls.admin
    await asyncio.to_thread(upgrade, "admin", url, "0015")
    await _on_connection(url, _fill)
    payments_before = await _on_connection(url, _payments)
    reductions_before = await _on_connection(url, _reductions)

    await asyncio.to_thread(upgrade, "admin", url, "0016")
    assert await _on_connection(url, _payments) == {
        (1, "Chèque n° 12, BNP", None),
        (2, None, None),
        # The reversal carries the cheque's reference and its own reason.
        (3, "Chèque n° 12, BNP", "Chèque impayé"),
    }
    assert await _on_connection(url, _reductions) == {
        (1, "Maladie", None),
        (2, "Saisie erronée", 1),
        (3, "Régularisation : 20 % de 190,00 €", None),
    }

    await asyncio.to_thread(command.downgrade, alembic_config("admin", url), "0015")
    assert await _on_connection(url, _payments) == payments_before
    assert await _on_connection(url, _reductions) == reductions_before
