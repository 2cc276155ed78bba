"""Migration 0011: guardians' address columns become rows of ``addresses``, one per household
(the guardians of one family at the same address written alike), and each student takes the
address of the first legal guardian he lives with. Down again, the columns come back; up
again, nothing is duplicated. Runs on SQLite and on PostgreSQL (see ``engine_name`` in
conftest)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from databases.migrations import alembic_config, upgrade
from tests.conftest import DatabaseUrls

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
OLD_COLUMNS = ("address_line1", "address_line2", "postal_code", "city", "country_code")
# guardian id: (line 1, line 2, postal code, city, country)
GUARDIANS: dict[int, tuple[str | None, str | None, str | None, str | None, str]] = {
    1: ("12 rue de Paris", "Bât. B", "93100", "Montreuil", "100"),  # Claire Martin
    2: ("12, Rue de  Paris", "bat. b", "93100", "MONTREUIL", "100"),  # Paul, her husband
    3: ("12 rue de Paris", "Bât. B", "93100", "Montreuil", "100"),  # a neighbour's family
    4: ("3 avenue Foch", None, "75016", "Paris", "100"),  # a father who lives elsewhere
    5: (None, None, None, None, "100"),  # no address known
    6: ("Via Roma 1", None, "00100", "Roma", "127"),  # abroad
}
# (student id, guardian id, legal rank, lives with)
LINKS = [
    (1, 1, 1, True),  # Lina lives with Claire and Paul
    (1, 2, 2, True),
    (2, 4, 1, False),  # Noah: his father lives elsewhere, he lives with the neighbour
    (2, 3, 2, True),
    (3, 6, 1, True),  # Éloïse lives abroad with her mother
    (3, 5, 2, True),
    (4, 5, 1, True),  # Tom's only guardian has no address
]


async def _on_connection(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> dict[str, Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return metadata.tables


def _fill(connection: Connection) -> None:
    t = _tables(connection)
    stamps = {"version": 1, "created_at": NOW, "updated_at": NOW}
    connection.execute(
        t["guardians"].insert(),
        [
            {
                "id": gid,
                "civility": "Mme",
                "family_name": f"Famille{gid}",
                "first_name": "Camille",
                **dict(zip(OLD_COLUMNS, values, strict=True)),
                **stamps,
            }
            for gid, values in GUARDIANS.items()
        ],
    )
    connection.execute(
        t["students"].insert(),
        [
            {
                "id": sid,
                "family_name": f"Eleve{sid}",
                "first_name": "Alex",
                "sex": "F",
                "birth_date": date(2015, 1, sid),
                "birth_country_code": "100",
                "search_name": f"eleve{sid} alex",
                **stamps,
            }
            for sid in (1, 2, 3, 4)
        ],
    )
    connection.execute(
        t["guardian_links"].insert(),
        [
            {
                "student_id": sid,
                "guardian_id": gid,
                "legal_rank": rank,
                "relationship": "10",
                "lives_with": lives_with,
                "receives_mail": True,
                "pays_fees": False,
                **stamps,
            }
            for sid, gid, rank, lives_with in LINKS
        ],
    )


def _state(connection: Connection) -> dict[str, Any]:
    t = _tables(connection)
    columns = {c["name"] for c in inspect(connection).get_columns("guardians")}
    guardians = t["guardians"]
    return {
        "addresses": {
            row.id: row
            for row in connection.execute(select(t["addresses"]).order_by(t["addresses"].c.id))
        },
        "guardian_address": dict(
            connection.execute(select(guardians.c.id, guardians.c.address_id)).all()
        ),
        "student_address": dict(
            connection.execute(select(t["students"].c.id, t["students"].c.address_id)).all()
        ),
        "old_columns": sorted(columns & set(OLD_COLUMNS)),
        "old_values": {
            row.id: tuple(row._mapping[name] for name in OLD_COLUMNS)
            for row in connection.execute(select(guardians))
        }
        if OLD_COLUMNS[0] in columns
        else {},
    }


async def test_guardians_addresses_become_shared_rows(
    unmigrated_database_urls: DatabaseUrls,
) -> None:
    url = unmigrated_database_urls.admin
    await asyncio.to_thread(upgrade, "admin", url, "0010")
    await _on_connection(url, _fill)

    await asyncio.to_thread(upgrade, "admin", url, "0011")
    state = await _on_connection(url, _state)
    assert state["old_columns"] == []
    home = state["guardian_address"]
    # Claire and Paul, written differently, share one row; the neighbour at the same address
    # is another family: a row of her own. No address, no row.
    assert home[1] == home[2] and home[1] is not None
    assert len({home[1], home[3], home[4], home[6]}) == 4 and home[5] is None
    rows = state["addresses"]
    assert len(rows) == 4
    martins = rows[home[1]]
    assert (martins.line1, martins.line2, martins.postal_code, martins.city) == (
        "12 rue de Paris",
        "Bât. B",
        "93100",
        "Montreuil",
    )
    assert martins.country_code == "100" and martins.version == 1
    abroad = rows[home[6]]
    assert (abroad.city, abroad.foreign_city, abroad.country_code) == (None, "Roma", "127")
    # Each student takes the address of the first legal guardian he lives with.
    assert state["student_address"] == {1: home[1], 2: home[3], 3: home[6], 4: None}

    # Down again: the columns come back with the addresses (the shared spelling).
    await asyncio.to_thread(command.downgrade, alembic_config("admin", url), "0010")
    state = await _on_connection(url, _state)
    assert state["old_columns"] == sorted(OLD_COLUMNS)
    assert state["old_values"] == {
        1: GUARDIANS[1],
        2: GUARDIANS[1],
        3: GUARDIANS[3],
        4: GUARDIANS[4],
        5: GUARDIANS[5],
        6: GUARDIANS[6],
    }

    # Up again: the rows kept going down are used again, none is added.
    await asyncio.to_thread(upgrade, "admin", url, "0011")
    again = await _on_connection(url, _state)
    assert again["guardian_address"] == home
    assert sorted(again["addresses"]) == sorted(rows)
    assert again["student_address"] == {1: home[1], 2: home[3], 3: home[6], 4: None}

    # The next address written by the application takes a free id (PostgreSQL's sequence
    # was moved past the ids the migration gave).
    def add_one(connection: Connection) -> int:
        table = _tables(connection)["addresses"]
        return connection.execute(
            table.insert()
            .values(
                line1="1 rue Neuve", country_code="100", version=1, created_at=NOW, updated_at=NOW
            )
            .returning(table.c.id)
        ).scalar_one()

    assert await _on_connection(url, add_one) > max(rows)
