"""Structures of a school for a year: divisions (classes) and groups, and who teaches them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped


class Division(Audited, Timestamped, Base):
    __tablename__ = "divisions"
    __table_args__ = (UniqueConstraint("school_id", "school_year_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    code: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(60))
    planned_headcount: Mapped[int | None]


class DivisionMef(Audited, Base):
    """The MEFs a division belongs to (a division may mix several)."""

    __tablename__ = "division_mefs"

    division_id: Mapped[int] = mapped_column(
        ForeignKey("divisions.id", ondelete="CASCADE"), primary_key=True
    )
    mef_id: Mapped[int] = mapped_column(ForeignKey("mefs.id"), primary_key=True)


class Group(Audited, Timestamped, Base):
    """A teaching group across divisions (an option, a language, a half-class)."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("school_id", "school_year_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    code: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))


class GroupDivision(Audited, Base):
    """The divisions a group draws its students from."""

    __tablename__ = "group_divisions"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    division_id: Mapped[int] = mapped_column(
        ForeignKey("divisions.id", ondelete="CASCADE"), primary_key=True
    )


class TeachingAssignment(Audited, Base):
    """A teacher's service: a subject taught to a division or to a group (STS-WEB)."""

    __tablename__ = "teaching_assignments"
    __table_args__ = (
        CheckConstraint("(division_id IS NULL) <> (group_id IS NULL)", name="division_xor_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
