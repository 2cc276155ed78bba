"""Grades, as much as télé-services publish: a teacher's assessments of a division or group
in a subject, the students' marks, and the school's grading periods (trimesters) over which
averages are computed."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column


class MarkStatus(enum.StrEnum):
    GRADED = "graded"
    ABSENT = "absent"
    EXEMPT = "exempt"
    # Handed in but not marked (yet, or ever): "non noté".
    NOT_GRADED = "not_graded"


class GradingPeriod(Audited, Base):
    """A period of the school year over which averages are computed (T1, T2, T3)."""

    __tablename__ = "grading_periods"
    __table_args__ = (
        UniqueConstraint("school_id", "school_year_id", "label"),
        CheckConstraint("first_day <= last_day", name="starts_before_it_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    label: Mapped[str] = mapped_column(String(40))
    first_day: Mapped[date]
    last_day: Mapped[date]


class Assessment(Audited, Versioned, Timestamped, Base):
    """A test, homework or oral of a class in a subject: its marks are out of ``scale`` and
    weigh ``coefficient`` in the average; families see them from ``published_on``."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("(division_id IS NULL) <> (group_id IS NULL)", name="division_or_group"),
        CheckConstraint("scale > 0", name="positive_scale"),
        CheckConstraint("coefficient > 0", name="positive_coefficient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    title: Mapped[str] = mapped_column(String(120))
    day: Mapped[date]
    scale: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    coefficient: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    published_on: Mapped[date]


class Mark(Audited, Timestamped, Base):
    __tablename__ = "marks"
    __table_args__ = (
        UniqueConstraint("assessment_id", "student_id"),
        CheckConstraint("(status = 'graded') = (value IS NOT NULL)", name="value_when_graded"),
        CheckConstraint("value IS NULL OR value >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    status: Mapped[MarkStatus] = mapped_column(enum_column(MarkStatus, 12))
    value: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
