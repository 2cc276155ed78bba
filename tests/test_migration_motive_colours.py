"""Migration 0009: a school still on a first default motive colour gets the new default (and
the audit log says so); a colour the school chose is kept. Down again, the first defaults
come back. Runs on SQLite and on PostgreSQL (see ``engine_name`` in conftest)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from api.resolvers.absences.settings import DEFAULT_MOTIVES
from databases.migrations import alembic_config, upgrade
from tests.conftest import DatabaseUrls

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
NEW = {code: colour for code, _label, _generic, colour, *_ in DEFAULT_MOTIVES}
# (school, code, colour stored before the migration, colour expected after it)
MOTIVES = [
    (1, "MAL", "#e4794a", NEW["MAL"]),  # the first default: moved
    (1, "CNV", "#009081", NEW["CNV"]),
    (1, "SOR", "#68A532", NEW["SOR"]),  # the same default, written in capitals
    (1, "INC", "#666666", NEW["INC"]),
    (2, "MAL", "#123456", "#123456"),  # a colour the school chose: kept
    (2, "MED", "#009081", "#009081"),  # CNV's first default, chosen for another motive: kept
    (2, "XYZ", "#e4794a", "#e4794a"),  # a motive of its own: kept
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
    return metadata.tables  # type: ignore[return-value]


def _fill(connection: Connection) -> list[int]:
    t = _tables(connection)
    connection.execute(
        t["academies"].insert(),
        [{"id": 1, "code": "24", "name": "Créteil", "second_factor_required": False}],
    )
    connection.execute(
        t["schools"].insert(),
        [
            {
                "id": n,
                "academy_id": 1,
                "uai": uai,
                "kind": "college",
                "name": f"Collège {n}",
                "address_line": "",
                "postal_code": "",
                "city": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n, uai in ((1, "0930001W"), (2, "0930002X"))
        ],
    )
    connection.execute(
        t["generic_motives"].insert(),
        [{"id": 1, "code": "MAL", "label": "Maladie de l'élève", "legitimate": True}],
    )
    ids = []
    for school, code, colour, _after in MOTIVES:
        ids.append(
            connection.execute(
                t["absence_motives"]
                .insert()
                .values(
                    school_id=school,
                    code=code,
                    label=code,
                    generic_motive_id=1,
                    colour=colour,
                    for_absence=True,
                    for_lateness=True,
                    is_active=True,
                    created_at=NOW,
                    updated_at=NOW,
                )
                .returning(t["absence_motives"].c.id)
            ).scalar_one()
        )
    return ids


def _colours(connection: Connection) -> dict[int, str]:
    motives = _tables(connection)["absence_motives"]
    return dict(connection.execute(select(motives.c.id, motives.c.colour)).all())


def _audit(connection: Connection) -> list[Any]:
    audit = _tables(connection)["audit_entries"]
    return list(
        connection.execute(
            select(
                audit.c.actor_kind,
                audit.c.school_id,
                audit.c.action,
                audit.c.entity,
                audit.c.entity_id,
                audit.c.before,
                audit.c.after,
            ).order_by(audit.c.id)
        ).all()
    )


async def test_old_default_colours_move_to_the_new_ones(
    unmigrated_database_urls: DatabaseUrls,
) -> None:
    url = unmigrated_database_urls.admin
    await asyncio.to_thread(upgrade, "admin", url, "0008")
    ids = await _on_connection(url, _fill)

    await asyncio.to_thread(upgrade, "admin", url)
    colours = await _on_connection(url, _colours)
    assert [colours[i] for i in ids] == [after for *_, after in MOTIVES]
    entries = await _on_connection(url, _audit)
    moved = {
        motive_id: (before.lower(), after)
        for motive_id, (_school, _code, before, after) in zip(ids, MOTIVES, strict=True)
        if before.lower() != after
    }
    assert len(moved) == 4
    assert sorted((e.entity_id, e.before["colour"], e.after["colour"]) for e in entries) == sorted(
        (motive_id, before, after) for motive_id, (before, after) in moved.items()
    )
    assert {(e.actor_kind, e.school_id, e.action, e.entity) for e in entries} == {
        ("system", 1, "update", "absence_motives")
    }

    # Down again: the first defaults come back, the chosen colours stay.
    await asyncio.to_thread(command.downgrade, alembic_config("admin", url), "0008")
    colours = await _on_connection(url, _colours)
    assert [colours[i] for i in ids] == [before.lower() for _s, _c, before, _a in MOTIVES[:4]] + [
        before for _s, _c, before, _a in MOTIVES[4:]
    ]
    assert len(await _on_connection(url, _audit)) == 8
