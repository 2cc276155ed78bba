"""Kinship codes as SIECLE's nomenclature has them: 51 for the ASE (it was stored as 37, which
is "fratrie"), 39 for another member of the family (stored as 30, a code the nomenclature
does not have); 37 (fratrie) and 38 (ascendant) become kinships of their own.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 37 first: after it, no row holds the old meaning of a code the next step writes.
    op.execute("UPDATE guardian_links SET relationship = '51' WHERE relationship = '37'")
    op.execute("UPDATE guardian_links SET relationship = '39' WHERE relationship = '30'")


def downgrade() -> None:
    # Brothers, sisters and grandparents had no code of their own: another family member.
    op.execute(
        "UPDATE guardian_links SET relationship = '30' WHERE relationship IN ('37', '38', '39')"
    )
    op.execute("UPDATE guardian_links SET relationship = '37' WHERE relationship = '51'")
