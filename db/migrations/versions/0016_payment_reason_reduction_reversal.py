"""A payment's reason (why a receipt was reversed or a credit refunded) and the reduction a
reversal undoes.

Until now a receipt's reversal kept its reason in its reference (80 characters), and a
reduction's reversal named the reduction in its reason ("Annulation de la remise n° 12 :
…"). Going up moves both into the new columns: the reversal's reason leaves its reference,
which takes the reference of the receipt it cancels (the cheque, the transfer); the prefix
leaves the reduction's reason for ``reverses_reduction_id`` (unique: a reduction is
reversed once). Going down puts them back the
old way (a reason cut to 80 characters in the reference; a refund's reason, which had no
place, is lost).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:39:39
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What 0015's code wrote before a reduction reversal's reason.
PREFIX = re.compile(r"^Annulation de la remise n° (\d+) : (.*)$", re.DOTALL)
REFERENCE_MAX, REASON_MAX = 80, 300

PAYMENTS = sa.table(
    "payments",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("reference", sa.String),
    sa.column("reverses_payment_id", sa.Integer),
    sa.column("reason", sa.String),
)
REDUCTIONS = sa.table(
    "reductions",
    sa.column("id", sa.Integer),
    sa.column("amount", sa.Numeric),
    sa.column("reason", sa.String),
    sa.column("reverses_reduction_id", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=300), nullable=True))

    with op.batch_alter_table("reductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverses_reduction_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_reductions_reverses_reduction_id"), ["reverses_reduction_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reductions_reverses_reduction_id_reductions"),
            "reductions",
            ["reverses_reduction_id"],
            ["id"],
        )

    connection = op.get_bind()
    references = dict(
        connection.execute(
            sa.select(PAYMENTS.c.id, PAYMENTS.c.reference).where(PAYMENTS.c.kind == "receipt")
        ).all()
    )
    reversals = connection.execute(
        sa.select(PAYMENTS.c.id, PAYMENTS.c.reference, PAYMENTS.c.reverses_payment_id).where(
            PAYMENTS.c.kind == "reversal"
        )
    ).all()
    for id_, reason, receipt_id in reversals:
        connection.execute(
            PAYMENTS.update()
            .where(PAYMENTS.c.id == id_)
            .values(reason=reason, reference=references.get(receipt_id))
        )
    reversed_reductions = connection.execute(
        sa.select(REDUCTIONS.c.id, REDUCTIONS.c.reason).where(
            REDUCTIONS.c.amount < 0, REDUCTIONS.c.reason.like("Annulation de la remise n° %")
        )
    ).all()
    for id_, reason in reversed_reductions:
        found = PREFIX.match(reason)
        if found is not None:
            connection.execute(
                REDUCTIONS.update()
                .where(REDUCTIONS.c.id == id_)
                .values(reverses_reduction_id=int(found[1]), reason=found[2])
            )


def downgrade() -> None:
    connection = op.get_bind()
    reversals = connection.execute(
        sa.select(PAYMENTS.c.id, PAYMENTS.c.reason).where(PAYMENTS.c.kind == "reversal")
    ).all()
    for id_, reason in reversals:
        connection.execute(
            PAYMENTS.update()
            .where(PAYMENTS.c.id == id_)
            .values(reference=(reason or "")[:REFERENCE_MAX] or None)
        )
    reversed_reductions = connection.execute(
        sa.select(REDUCTIONS.c.id, REDUCTIONS.c.reason, REDUCTIONS.c.reverses_reduction_id).where(
            REDUCTIONS.c.reverses_reduction_id.is_not(None)
        )
    ).all()
    for id_, reason, reduction_id in reversed_reductions:
        connection.execute(
            REDUCTIONS.update()
            .where(REDUCTIONS.c.id == id_)
            .values(reason=f"Annulation de la remise n° {reduction_id} : {reason}"[:REASON_MAX])
        )

    with op.batch_alter_table("reductions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reductions_reverses_reduction_id_reductions"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_reductions_reverses_reduction_id"), type_="unique")
        batch_op.drop_column("reverses_reduction_id")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("reason")
