"""INE conflicts: an INE is no longer unique among students; clashes across schools are flagged for the rectorat

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 04:31:07.921541
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ine_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ine", sa.String(length=11), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("other_student_id", sa.Integer(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["other_student_id"],
            ["students.id"],
            name=op.f("fk_ine_conflicts_other_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_ine_conflicts_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ine_conflicts")),
        sa.UniqueConstraint(
            "student_id",
            "other_student_id",
            name=op.f("uq_ine_conflicts_student_id_other_student_id"),
        ),
    )
    with op.batch_alter_table("ine_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ine_conflicts_ine"), ["ine"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ine_conflicts_other_student_id"), ["other_student_id"], unique=False
        )

    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_students_ine"), type_="unique")
        batch_op.create_index(batch_op.f("ix_students_ine"), ["ine"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_students_ine"))
        batch_op.create_unique_constraint(batch_op.f("uq_students_ine"), ["ine"])

    with op.batch_alter_table("ine_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ine_conflicts_other_student_id"))
        batch_op.drop_index(batch_op.f("ix_ine_conflicts_ine"))

    op.drop_table("ine_conflicts")
