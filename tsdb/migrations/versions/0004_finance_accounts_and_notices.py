"""finance accounts and notices: what a family reads of its own accounts in the schools

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-15 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ts_finance_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_name", sa.String(length=120), nullable=False),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ts_finance_accounts")),
    )
    op.create_index(
        op.f("ix_ts_finance_accounts_guardian_id"),
        "ts_finance_accounts",
        ["guardian_id"],
        unique=False,
    )
    op.create_table(
        "ts_finance_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("term_label", sa.String(length=40), nullable=False),
        sa.Column("term_first_day", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("charges", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reductions", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("scholarships", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("payments", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ts_finance_notices")),
    )
    op.create_index(
        op.f("ix_ts_finance_notices_account_id"),
        "ts_finance_notices",
        ["account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ts_finance_notices_account_id"), table_name="ts_finance_notices")
    op.drop_table("ts_finance_notices")
    op.drop_index(op.f("ix_ts_finance_accounts_guardian_id"), table_name="ts_finance_accounts")
    op.drop_table("ts_finance_accounts")
