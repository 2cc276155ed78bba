"""teleservices replication progress: how far the télé-services database has caught up

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 05:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teleservices_replication_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_cursor", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teleservices_replication_progress")),
    )


def downgrade() -> None:
    op.drop_table("teleservices_replication_progress")
