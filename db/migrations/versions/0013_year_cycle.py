"""The school year's cycle: passage decisions, each school's current year and rentrée
switches, INE requests and probable duplicates, frozen headcounts (constat de rentrée).

A school without a current year of its own follows its académie's.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:09:30.360245
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "headcount_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_headcount_snapshots_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_years.id"],
            name=op.f("fk_headcount_snapshots_school_year_id_school_years"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_headcount_snapshots")),
        sa.UniqueConstraint(
            "school_id",
            "school_year_id",
            name=op.f("uq_headcount_snapshots_school_id_school_year_id"),
        ),
    )
    op.create_table(
        "probable_duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("other_student_id", sa.Integer(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_by_label", sa.String(length=120), nullable=True),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["other_student_id"],
            ["students.id"],
            name=op.f("fk_probable_duplicates_other_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_probable_duplicates_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probable_duplicates")),
    )
    with op.batch_alter_table("probable_duplicates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_probable_duplicates_other_student_id"),
            ["other_student_id"],
            unique=False,
        )

    op.create_table(
        "rentrees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("previous_year_id", sa.Integer(), nullable=False),
        sa.Column("switched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("closed_enrollments", sa.Integer(), nullable=False),
        sa.Column("leavers", sa.Integer(), nullable=False),
        sa.Column("ended_accesses", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_year_id"],
            ["school_years.id"],
            name=op.f("fk_rentrees_previous_year_id_school_years"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_rentrees_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_years.id"],
            name=op.f("fk_rentrees_school_year_id_school_years"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rentrees")),
        sa.UniqueConstraint(
            "school_id", "school_year_id", name=op.f("uq_rentrees_school_id_school_year_id")
        ),
    )
    op.create_table(
        "headcount_anomalies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["headcount_snapshots.id"],
            name=op.f("fk_headcount_anomalies_snapshot_id_headcount_snapshots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_headcount_anomalies_student_id_students"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_headcount_anomalies")),
    )
    with op.batch_alter_table("headcount_anomalies", schema=None) as batch_op:
        batch_op.create_index("ix_headcount_anomalies_snapshot", ["snapshot_id"], unique=False)

    op.create_table(
        "headcount_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("mef_code", sa.String(length=11), nullable=False),
        sa.Column("mef_label", sa.String(length=120), nullable=False),
        sa.Column("division_code", sa.String(length=8), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("regime_code", sa.String(length=3), nullable=True),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.String(length=3), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["headcount_snapshots.id"],
            name=op.f("fk_headcount_lines_snapshot_id_headcount_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_headcount_lines")),
    )
    with op.batch_alter_table("headcount_lines", schema=None) as batch_op:
        batch_op.create_index("ix_headcount_lines_snapshot", ["snapshot_id"], unique=False)

    op.create_table(
        "ine_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("sent_run_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_run_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "assigned",
                "duplicate",
                "rejected",
                name="immatriculationoutcome",
                native_enum=False,
                length=12,
            ),
            nullable=True,
        ),
        sa.Column("ine", sa.String(length=11), nullable=True),
        sa.Column("message", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_run_id"],
            ["exchange_runs.id"],
            name=op.f("fk_ine_requests_answered_run_id_exchange_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_ine_requests_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["sent_run_id"],
            ["exchange_runs.id"],
            name=op.f("fk_ine_requests_sent_run_id_exchange_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_ine_requests_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ine_requests")),
    )
    with op.batch_alter_table("ine_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ine_requests_school_answered", ["school_id", "answered_at"], unique=False
        )

    op.create_table(
        "passage_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "promoted",
                "repeating",
                "leaving",
                name="passageoutcome",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("next_mef_id", sa.Integer(), nullable=True),
        sa.Column(
            "exit_reason",
            sa.Enum(
                "end_of_cycle",
                "change_of_school",
                "move",
                "orientation",
                "apprenticeship",
                "work",
                "home_schooling",
                "abroad",
                "other",
                name="exitreason",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("exit_motive_code", sa.String(length=3), nullable=True),
        sa.Column("destination_uai", sa.String(length=8), nullable=True),
        sa.Column("destination_name", sa.String(length=120), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_passage_decisions_enrollment_id_enrollments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["next_mef_id"], ["mefs.id"], name=op.f("fk_passage_decisions_next_mef_id_mefs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passage_decisions")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_passage_decisions_enrollment_id")),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_year_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_schools_current_year_id_school_years"),
            "school_years",
            ["current_year_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_schools_current_year_id_school_years"), type_="foreignkey"
        )
        batch_op.drop_column("current_year_id")

    op.drop_table("passage_decisions")
    with op.batch_alter_table("ine_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_ine_requests_school_answered")

    op.drop_table("ine_requests")
    with op.batch_alter_table("headcount_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_headcount_lines_snapshot")

    op.drop_table("headcount_lines")
    with op.batch_alter_table("headcount_anomalies", schema=None) as batch_op:
        batch_op.drop_index("ix_headcount_anomalies_snapshot")

    op.drop_table("headcount_anomalies")
    op.drop_table("rentrees")
    with op.batch_alter_table("probable_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_probable_duplicates_other_student_id"))

    op.drop_table("probable_duplicates")
    op.drop_table("headcount_snapshots")
