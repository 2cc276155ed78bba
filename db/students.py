"""Students (élèves): identity as held by the Base élèves."""

from __future__ import annotations

import enum
import unicodedata
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column


class Sex(enum.StrEnum):
    M = "M"
    F = "F"


def search_key(*names: str | None) -> str:
    """Upper-case, accent-free form used for prefix search ("élo" finds "Éloïse")."""
    text = " ".join(n for n in names if n)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.upper().replace("-", " ").replace("'", " ").split())


class Student(Audited, Versioned, Timestamped, Base):
    __tablename__ = "students"
    __table_args__ = (
        Index(
            "ix_students_search",
            "search_name",
            "id",
            postgresql_ops={"search_name": "text_pattern_ops"},
        ),
        # The name order of every list (the index above, for prefix searches, cannot give an
        # order under most collations): a page of the académie-wide list reads its rows only.
        Index("ix_students_name_order", "search_name", "id"),
        Index(
            "ix_students_usage_search",
            "usage_search_name",
            "id",
            postgresql_ops={"usage_search_name": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not unique: a school may not learn that another school holds an INE, so a clash is let
    # through and flagged for the rectorat (``IneConflict``).
    ine: Mapped[str | None] = mapped_column(String(11), index=True)
    family_name: Mapped[str] = mapped_column(String(100))
    usage_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(60))
    first_name_2: Mapped[str | None] = mapped_column(String(60))
    first_name_3: Mapped[str | None] = mapped_column(String(60))
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, 1))
    birth_date: Mapped[date]
    # Born in France: the INSEE commune code and its name; abroad: the INSEE
    # country code (3 digits, 100 is France) and the city as written.
    birth_commune_code: Mapped[str | None] = mapped_column(String(5))
    birth_city: Mapped[str | None] = mapped_column(String(80))
    birth_country_code: Mapped[str] = mapped_column(String(3), default="100")
    nationality_code: Mapped[str | None] = mapped_column(String(3))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    accepts_sms: Mapped[bool] = mapped_column(default=False)
    # ELEVE_ID in SIECLE's exports: a re-import of the same student updates him.
    siecle_id: Mapped[str | None] = mapped_column(String(12), index=True)
    search_name: Mapped[str] = mapped_column(String(200))
    usage_search_name: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    @property
    def display_name(self) -> str:
        return f"{(self.usage_name or self.family_name).upper()} {self.first_name}"


@event.listens_for(Student, "before_insert")
@event.listens_for(Student, "before_update")
def _refresh_search_keys(_mapper: object, _conn: object, student: Student) -> None:
    student.search_name = search_key(student.family_name, student.first_name)
    student.usage_search_name = (
        search_key(student.usage_name, student.first_name) if student.usage_name else None
    )


class IneConflict(Base):
    """Two students given the same INE, by schools that cannot see each other's students:
    the rectorat, which assigns INEs, settles it."""

    __tablename__ = "ine_conflicts"
    __table_args__ = (UniqueConstraint("student_id", "other_student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ine: Mapped[str] = mapped_column(String(11), index=True)
    # The student whose write caused the clash, and the one already holding the INE.
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    other_student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    detected_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
