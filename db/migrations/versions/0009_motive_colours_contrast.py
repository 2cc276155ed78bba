"""Default motive colours that can be read: a school still on a first default colour gets the
new one (a colour it chose itself is kept)

The first defaults failed WCAG 2.1: white letters on four of them below 4.5:1 (MED 2.06,
MAL 2.94, SOR 2.99, CNV 3.96), three below 3:1 against the white page, and two pairs of the
same luminance. A motive still has its default when it keeps the default's code with the
default's colour; each one moved is written to the audit log, as the system.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code: (first default, new default), as api/resolvers/absences/settings.py DEFAULT_MOTIVES
# had and has them; written out here so that this migration never changes with the code.
COLOURS = {
    "MAL": ("#e4794a", "#c04f1d"),
    "MED": ("#f3a35c", "#b38c27"),
    "FAM": ("#a558a0", "#482645"),
    "TRA": ("#465f9d", "#2e3e66"),
    "CNV": ("#009081", "#007267"),
    "SOR": ("#68a532", "#5b902c"),
    "NVA": ("#ce0500", "#9c0400"),
    "INC": ("#666666", "#595959"),
}
ACTOR_LABEL = "migration 0009 (couleurs des motifs)"

motives = sa.table(
    "absence_motives",
    sa.column("id", sa.Integer),
    sa.column("school_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("colour", sa.String),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
audit = sa.table(
    "audit_entries",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_kind", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("actor_label", sa.String),
    sa.column("school_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def _replace(pairs: dict[str, tuple[str, str]]) -> None:
    """For each code, the motives coloured ``old`` become ``new`` (audited)."""
    connection = op.get_bind()
    now = datetime.now(UTC)
    for code, (old, new) in pairs.items():
        found = connection.execute(
            sa.select(motives.c.id, motives.c.school_id).where(
                motives.c.code == code, sa.func.lower(motives.c.colour) == old
            )
        ).all()
        if not found:
            continue
        ids = [row.id for row in found]
        connection.execute(
            motives.update().where(motives.c.id.in_(ids)).values(colour=new, updated_at=now)
        )
        connection.execute(
            audit.insert(),
            [
                {
                    "at": now,
                    "actor_kind": "system",
                    "actor_id": None,
                    "actor_label": ACTOR_LABEL,
                    "school_id": row.school_id,
                    "action": "update",
                    "entity": "absence_motives",
                    "entity_id": row.id,
                    "before": {"colour": old},
                    "after": {"colour": new},
                }
                for row in found
            ],
        )


def upgrade() -> None:
    _replace(COLOURS)


def downgrade() -> None:
    _replace({code: (new, old) for code, (old, new) in COLOURS.items()})
