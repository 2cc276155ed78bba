"""The rentrée switch (bascule) of a school: the year in preparation becomes its current year.

``School.current_year_id`` says which year is current for a school; a ``Rentree`` row records
each switch (who, when, what it closed) and makes running it again harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, utcnow


class Rentree(Audited, Base):
    # Audited: its entry, attributed to the school, is also what tells the replication to
    # copy the school's scope again (replication.changes).
    __tablename__ = "rentrees"
    __table_args__ = (UniqueConstraint("school_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # The year that became current, and the one it closed.
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    previous_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    switched_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))
    closed_enrollments: Mapped[int] = mapped_column(default=0)
    leavers: Mapped[int] = mapped_column(default=0)
    # Families' accounts whose access ended with the leavers.
    ended_accesses: Mapped[int] = mapped_column(default=0)
