"""Delegation of rights (DELEGCE): what the principal opens or closes to each staff member.

A role gives a staff member default rights in a school (see
``api.auth.rights``); a ``Delegation`` row records the principal's decision
that departs from them: a right granted beyond the role, or withdrawn from it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, enum_column, utcnow


class Right(enum.StrEnum):
    """An application and its access mode, as the DELEGCE screen lists them."""

    STUDENTS_CONSULT = "base_eleves:consultation"
    STUDENTS_UPDATE = "base_eleves:mise_a_jour"
    STUDENTS_EXPORT = "base_eleves:export"
    ABSENCES_ENTRY = "absences:saisie"
    TELESERVICES = "teleservices"
    FINANCES = "finances"
    SCHOLARSHIPS = "bourses"


class Delegation(Audited, Base):
    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "right"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    right: Mapped[Right] = mapped_column(enum_column(Right, 32))
    # False withdraws a right the staff member's role would otherwise give.
    granted: Mapped[bool]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
