"""Addresses live in one place: each guardian's address columns become a row of ``addresses``,
shared by the guardians of one family who live at the same address, and by each student
with the first legal guardian he lives with.

Two guardians share a row when they are of one family (linked, through their children, to
each other) and their address is the same once written alike (case, accents, spaces);
neighbours of a building never share one. A guardian who already has an address row keeps
it, and so does a student. Going down, the columns come back from the rows (lines 3 and 4,
which the columns never had, are appended to the second line); the rows and the links to
them stay, as migration 0010 left room for them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COLUMNS = ("address_line1", "address_line2", "postal_code", "city", "country_code")
FRANCE = "100"

addresses = sa.table(
    "addresses",
    sa.column("id", sa.Integer),
    sa.column("line1", sa.String),
    sa.column("line2", sa.String),
    sa.column("line3", sa.String),
    sa.column("line4", sa.String),
    sa.column("postal_code", sa.String),
    sa.column("city", sa.String),
    sa.column("foreign_city", sa.String),
    sa.column("country_code", sa.String),
    sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
guardians = sa.table(
    "guardians",
    sa.column("id", sa.Integer),
    sa.column("address_id", sa.Integer),
    *(sa.column(name, sa.String) for name in OLD_COLUMNS),
)
links = sa.table(
    "guardian_links",
    sa.column("id", sa.Integer),
    sa.column("student_id", sa.Integer),
    sa.column("guardian_id", sa.Integer),
    sa.column("legal_rank", sa.Integer),
    sa.column("lives_with", sa.Boolean),
)
students = sa.table("students", sa.column("id", sa.Integer), sa.column("address_id", sa.Integer))


def _written_alike(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace(",", " ").split()).upper()


def _families(connection: sa.Connection) -> dict[int, int]:
    """Guardian id -> a representative of his family (guardians linked through children)."""
    parent: dict[int, int] = {}

    def root(g: int) -> int:
        parent.setdefault(g, g)
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    first_of_student: dict[int, int] = {}
    for student_id, guardian_id in connection.execute(
        sa.select(links.c.student_id, links.c.guardian_id).order_by(links.c.id)
    ):
        other = first_of_student.setdefault(student_id, guardian_id)
        parent[root(guardian_id)] = root(other)
    return {g: root(g) for g in parent}


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    families = _families(connection)
    found = connection.execute(
        sa.select(guardians)
        .where(
            guardians.c.address_id.is_(None),
            sa.or_(
                *(
                    sa.func.coalesce(sa.func.trim(guardians.c[name]), "") != ""
                    for name in OLD_COLUMNS[:4]
                )
            ),
        )
        .order_by(guardians.c.id)
    ).all()
    # One row per (family, address written alike), in the order of the first guardian.
    households: dict[tuple[object, ...], list[int]] = {}
    values: dict[tuple[object, ...], dict[str, object]] = {}
    for g in found:
        country = (g.country_code or FRANCE).strip() or FRANCE
        key = (
            families.get(g.id, -g.id),
            *(_written_alike(g._mapping[name]) for name in OLD_COLUMNS[:4]),
            country,
        )
        households.setdefault(key, []).append(g.id)
        values.setdefault(
            key,
            {
                "line1": g.address_line1,
                "line2": g.address_line2,
                "postal_code": g.postal_code,
                # Abroad, the city as written is SIECLE's COMMUNE_ETRANGERE.
                "city": g.city if country == FRANCE else None,
                "foreign_city": None if country == FRANCE else g.city,
                "country_code": country,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
    if households:
        # Ids given here, in one insert of many rows; PostgreSQL's sequence then moves past them.
        first = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(addresses.c.id), 0))) + 1
        ids = range(first, first + len(households))
        connection.execute(
            addresses.insert(),
            [{"id": i, **row} for i, row in zip(ids, values.values(), strict=True)],
        )
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('addresses', 'id'), "
                    "(SELECT MAX(id) FROM addresses))"
                )
            )
        connection.execute(
            guardians.update()
            .where(guardians.c.id == sa.bindparam("g_id"))
            .values(address_id=sa.bindparam("a_id")),
            [
                {"g_id": guardian_id, "a_id": address_id}
                for address_id, members in zip(ids, households.values(), strict=True)
                for guardian_id in members
            ],
        )
    _students_take_their_guardians_address(connection)
    with op.batch_alter_table("guardians", schema=None) as batch_op:
        for name in OLD_COLUMNS:
            batch_op.drop_column(name)


def _students_take_their_guardians_address(connection: sa.Connection) -> None:
    """A student without an address takes the one of the first guardian he lives with: legal
    guardian 1, then 2, then any other person in charge."""
    rows = connection.execute(
        sa.select(links.c.student_id, guardians.c.address_id)
        .join(guardians, guardians.c.id == links.c.guardian_id)
        .join(students, students.c.id == links.c.student_id)
        .where(
            links.c.lives_with.is_(True),
            guardians.c.address_id.is_not(None),
            students.c.address_id.is_(None),
        )
        .order_by(links.c.student_id, links.c.legal_rank.is_(None), links.c.legal_rank, links.c.id)
    ).all()
    chosen: dict[int, int] = {}
    for student_id, address_id in rows:
        chosen.setdefault(student_id, address_id)
    if chosen:
        connection.execute(
            students.update()
            .where(students.c.id == sa.bindparam("s_id"))
            .values(address_id=sa.bindparam("a_id")),
            [{"s_id": s, "a_id": a} for s, a in chosen.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("guardians", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_line1", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("address_line2", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("postal_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("city", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("country_code", sa.String(length=3), nullable=False, server_default=FRANCE)
        )
    with op.batch_alter_table("guardians", schema=None) as batch_op:
        batch_op.alter_column("country_code", server_default=None)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(guardians.c.id, addresses).join(
            addresses, addresses.c.id == guardians.c.address_id
        )
    ).all()
    if rows:
        connection.execute(
            guardians.update()
            .where(guardians.c.id == sa.bindparam("g_id"))
            .values(
                address_line1=sa.bindparam("l1"),
                address_line2=sa.bindparam("l2"),
                postal_code=sa.bindparam("pc"),
                city=sa.bindparam("ct"),
                country_code=sa.bindparam("cc"),
            ),
            [
                {
                    "g_id": row[0],
                    "l1": row.line1,
                    "l2": " ".join(filter(None, (row.line2, row.line3, row.line4)))[:120] or None,
                    "pc": row.postal_code,
                    "ct": row.city or row.foreign_city,
                    "cc": row.country_code or FRANCE,
                }
                for row in rows
            ],
        )
