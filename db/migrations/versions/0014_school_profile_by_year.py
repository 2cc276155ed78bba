"""Each school's nomenclature profile (its MEFs and subjects) by school year: the year in
preparation gets its own, edited while the current one goes on.

The profile a school had is copied to every year of its académie, closed ones included (a
profile is history: last year's MEFs still name last year's enrolments). Going down keeps,
for each school, the profile of its current year (else of its latest year).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (its other key column, its other columns)
PROFILES = {
    "school_mefs": ("mef_id", ("next_mef_id",)),
    "school_subjects": ("subject_id", ()),
}


def _table(name: str) -> sa.Table:
    key, others = PROFILES[name]
    return sa.table(
        name,
        sa.column("school_id"),
        sa.column("school_year_id"),
        sa.column(key),
        *(sa.column(other) for other in others),
    )


def _years_by_school(connection: sa.Connection) -> dict[int, list[int]]:
    """Every school's académie's years, the latest first."""
    rows = connection.execute(
        sa.text(
            "SELECT schools.id, school_years.id FROM schools "
            "JOIN school_years ON school_years.academy_id = schools.academy_id "
            "ORDER BY schools.id, school_years.start_year DESC"
        )
    )
    years: dict[int, list[int]] = {}
    for school_id, year_id in rows:
        years.setdefault(school_id, []).append(year_id)
    return years


def upgrade() -> None:
    connection = op.get_bind()
    years = _years_by_school(connection)
    for name, (key, others) in PROFILES.items():
        table = _table(name)
        columns = ["school_id", key, *others]
        rows = [
            dict(zip(columns, row, strict=True))
            for row in connection.execute(sa.select(*(table.c[c] for c in columns)))
        ]
        op.execute(table.delete())
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{name}", type_="primary")
            batch_op.add_column(sa.Column("school_year_id", sa.Integer(), nullable=False))
            batch_op.create_primary_key(f"pk_{name}", ["school_id", "school_year_id", key])
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{name}_school_year_id_school_years"),
                "school_years",
                ["school_year_id"],
                ["id"],
            )
        copies = [
            row | {"school_year_id": year_id}
            for row in rows
            for year_id in years.get(row["school_id"], [])
        ]
        if copies:
            op.bulk_insert(table, copies)


def _current_year_by_school(connection: sa.Connection) -> dict[int, int]:
    rows = connection.execute(
        sa.text(
            "SELECT schools.id, COALESCE(schools.current_year_id, ("
            "SELECT school_years.id FROM school_years "
            "WHERE school_years.academy_id = schools.academy_id "
            "AND school_years.state = 'current')) FROM schools"
        )
    )
    return {school_id: year_id for school_id, year_id in rows if year_id is not None}


def downgrade() -> None:
    connection = op.get_bind()
    current = _current_year_by_school(connection)
    latest_first = _years_by_school(connection)
    for name, (key, others) in PROFILES.items():
        table = _table(name)
        columns = ["school_id", "school_year_id", key, *others]
        by_year: dict[tuple[int, int], list[dict[str, object]]] = {}
        for row in connection.execute(sa.select(*(table.c[c] for c in columns))):
            values = dict(zip(columns, row, strict=True))
            by_year.setdefault((row.school_id, row.school_year_id), []).append(values)
        kept: list[dict[str, object]] = []
        for school_id, years in latest_first.items():
            preferred = [current[school_id]] if school_id in current else []
            for year_id in [*preferred, *years]:
                if (school_id, year_id) in by_year:
                    kept += by_year[(school_id, year_id)]
                    break
        op.execute(table.delete())
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{name}_school_year_id_school_years"), type_="foreignkey"
            )
            batch_op.drop_constraint(f"pk_{name}", type_="primary")
            batch_op.drop_column("school_year_id")
            batch_op.create_primary_key(f"pk_{name}", ["school_id", key])
        if kept:
            op.bulk_insert(
                sa.table(name, *(sa.column(c) for c in columns if c != "school_year_id")),
                [{c: v for c, v in row.items() if c != "school_year_id"} for row in kept],
            )
