"""Real data in and out: schools' sector and school years' dates, nomenclatures as data
(MEF details, programmes, coded lists, each school's next MEF), shared addresses, the SIECLE
ids and codes of students, guardians and enrolments, elected options, STS-WEB teachers and
staff invitations, and the exchange history.

New NOT NULL columns get a server default so that existing rows take a value; existing
school years get 1 September - 31 August; an existing guardian link with a legal rank is a
legal guardian (level 1), any other one a person in charge (level 2).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:54:33.119012
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("siecle_id", sa.String(length=12), nullable=True),
        sa.Column("line1", sa.String(length=120), nullable=True),
        sa.Column("line2", sa.String(length=120), nullable=True),
        sa.Column("line3", sa.String(length=120), nullable=True),
        sa.Column("line4", sa.String(length=120), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("foreign_city", sa.String(length=80), nullable=True),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addresses_siecle_id"), ["siecle_id"], unique=False)

    op.create_table(
        "nomenclature_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("short_label", sa.String(length=40), nullable=False),
        sa.Column("long_label", sa.String(length=120), nullable=False),
        sa.Column("edition_label", sa.String(length=120), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomenclature_entries")),
        sa.UniqueConstraint(
            "list", "year", "code", name=op.f("uq_nomenclature_entries_list_year_code")
        ),
    )
    op.create_table(
        "mef_subjects",
        sa.Column("mef_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("election_modality", sa.String(length=1), nullable=False),
        sa.Column("weekly_hours", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["mef_id"], ["mefs.id"], name=op.f("fk_mef_subjects_mef_id_mefs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_mef_subjects_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "mef_id", "subject_id", "election_modality", name=op.f("pk_mef_subjects")
        ),
    )
    op.create_table(
        "exchange_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("academy_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("school_year_id", sa.Integer(), nullable=True),
        sa.Column(
            "format",
            sa.Enum(
                "schools_csv",
                "bee_nomenclatures",
                "sts_edt",
                "bee_eleves",
                "bee_responsables",
                "import_eleves",
                name="exchangeformat",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum("import", "export", name="exchangedirection", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "previewed",
                "applied",
                "refused",
                "abandoned",
                "written",
                name="exchangestate",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["academy_id"], ["academies.id"], name=op.f("fk_exchange_runs_academy_id_academies")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_users.id"], name=op.f("fk_exchange_runs_actor_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_exchange_runs_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_years.id"],
            name=op.f("fk_exchange_runs_school_year_id_school_years"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_runs")),
    )
    with op.batch_alter_table("exchange_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_runs_school_started", ["school_id", "started_at"], unique=False
        )

    op.create_table(
        "staff_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_invitations_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_invitations_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitations_token_hash")),
    )
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_invitations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "exchange_files",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["exchange_runs.id"],
            name=op.f("fk_exchange_files_run_id_exchange_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_exchange_files")),
    )
    op.create_table(
        "enrollment_options",
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("election_modality", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_enrollment_options_enrollment_id_enrollments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_enrollment_options_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("enrollment_id", "subject_id", name=op.f("pk_enrollment_options")),
    )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_mef_code", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("previous_division_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("regime_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("exit_motive_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("status_code", sa.String(length=3), nullable=True))
        batch_op.add_column(
            sa.Column("repeating", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("elenoet", sa.String(length=12), nullable=True))

    with op.batch_alter_table("guardian_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("responsibility_level", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("receives_aid", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("contact_first", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_check_constraint(
            op.f("ck_guardian_links_responsibility_level_1_2_3"),
            "responsibility_level IN (1, 2, 3)",
        )
    op.execute("UPDATE guardian_links SET responsibility_level = 2 WHERE legal_rank IS NULL")

    with op.batch_alter_table("guardians", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accepts_sms", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("profession_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("address_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("siecle_id", sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f("ix_guardians_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guardians_siecle_id"), ["siecle_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_guardians_address_id_addresses"), "addresses", ["address_id"], ["id"]
        )

    with op.batch_alter_table("mefs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_code", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("statistics_code", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("opens_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closes_on", sa.Date(), nullable=True))

    with op.batch_alter_table("school_mefs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_mef_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_school_mefs_next_mef_id_mefs"), "mefs", ["next_mef_id"], ["id"]
        )

    with op.batch_alter_table("school_years", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
    connection = op.get_bind()
    years = sa.table(
        "school_years",
        sa.column("id", sa.Integer),
        sa.column("start_year", sa.Integer),
        sa.column("starts_on", sa.Date),
        sa.column("ends_on", sa.Date),
    )
    for year_id, start_year in connection.execute(sa.select(years.c.id, years.c.start_year)).all():
        connection.execute(
            years.update()
            .where(years.c.id == year_id)
            .values(starts_on=date(start_year, 9, 1), ends_on=date(start_year + 1, 8, 31))
        )
    with op.batch_alter_table("school_years", schema=None) as batch_op:
        batch_op.alter_column("starts_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("ends_on", existing_type=sa.Date(), nullable=False)

    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sector",
                sa.Enum(
                    "public",
                    "private_under_contract",
                    name="schoolsector",
                    native_enum=False,
                    length=24,
                ),
                nullable=False,
                server_default="public",
            )
        )

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sts_id", sa.String(length=20), nullable=True))
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=200), nullable=True)
        batch_op.create_index(batch_op.f("ix_staff_users_sts_id"), ["sts_id"], unique=False)

    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nationality_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("address_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("accepts_sms", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("siecle_id", sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f("ix_students_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_students_siecle_id"), ["siecle_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_students_address_id_addresses"), "addresses", ["address_id"], ["id"]
        )

    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edition_label", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_column("edition_label")

    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_students_address_id_addresses"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_students_siecle_id"))
        batch_op.drop_index(batch_op.f("ix_students_address_id"))
        batch_op.drop_column("siecle_id")
        batch_op.drop_column("accepts_sms")
        batch_op.drop_column("address_id")
        batch_op.drop_column("nationality_code")

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_users_sts_id"))
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.drop_column("sts_id")

    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("sector")

    with op.batch_alter_table("school_years", schema=None) as batch_op:
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")

    with op.batch_alter_table("school_mefs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_school_mefs_next_mef_id_mefs"), type_="foreignkey")
        batch_op.drop_column("next_mef_id")

    with op.batch_alter_table("mefs", schema=None) as batch_op:
        batch_op.drop_column("closes_on")
        batch_op.drop_column("opens_on")
        batch_op.drop_column("statistics_code")
        batch_op.drop_column("attachment_code")

    with op.batch_alter_table("guardians", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_guardians_address_id_addresses"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_guardians_siecle_id"))
        batch_op.drop_index(batch_op.f("ix_guardians_address_id"))
        batch_op.drop_column("siecle_id")
        batch_op.drop_column("address_id")
        batch_op.drop_column("profession_code")
        batch_op.drop_column("accepts_sms")

    with op.batch_alter_table("guardian_links", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_guardian_links_responsibility_level_1_2_3"), type_="check"
        )
        batch_op.drop_column("contact_first")
        batch_op.drop_column("receives_aid")
        batch_op.drop_column("responsibility_level")

    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_column("elenoet")
        batch_op.drop_column("repeating")
        batch_op.drop_column("status_code")
        batch_op.drop_column("exit_motive_code")
        batch_op.drop_column("regime_code")
        batch_op.drop_column("previous_division_code")
        batch_op.drop_column("previous_mef_code")

    op.drop_table("enrollment_options")
    op.drop_table("exchange_files")
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_invitations_user_id"))

    op.drop_table("staff_invitations")
    with op.batch_alter_table("exchange_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_runs_school_started")

    op.drop_table("exchange_runs")
    op.drop_table("mef_subjects")
    op.drop_table("nomenclature_entries")
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addresses_siecle_id"))

    op.drop_table("addresses")
