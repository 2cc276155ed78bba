"""Students in name order from an index: a page of an académie-wide list costs the same at
any scale

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_students_name_order", "students", ["search_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_students_name_order", table_name="students")
