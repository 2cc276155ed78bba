"""replication lock outside tables: the lease columns go (replication/lock.py locks instead)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 04:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("replication_state") as batch_op:
        batch_op.drop_column("held_until")
        batch_op.drop_column("holder")


def downgrade() -> None:
    with op.batch_alter_table("replication_state") as batch_op:
        batch_op.add_column(sa.Column("holder", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
