"""Télé-services on the staff side: which services a school opens, how its grades are
published, and the activation codes families create their accounts with.

A CAR (code d'activation responsable) belongs to a (student, guardian) pair of one school, a
CAE (code d'activation élève) to a student of one school. A pair, or a student, has at most
one valid code at a time (a partial unique index says so to the database itself); a new
code invalidates the previous one, and every code stays in the history with its creation,
invalidation, notification and use. The code itself is sealed (encrypted) here, so that
staff can show it again; the télé-services database only ever gets a slow hash of it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, enum_column, utcnow


class Teleservice(enum.StrEnum):
    ABSENCES = "absences"
    GRADES = "grades"


class GradesPublication(enum.StrEnum):
    # A mark is visible from its assessment's publication date.
    CONTINUOUS = "continuous"
    # Marks are visible from deadlines set per (MEF, division) pair.
    DEADLINES = "deadlines"


class CodeKind(enum.StrEnum):
    CAR = "car"
    CAE = "cae"


class SchoolTeleservice(Audited, Timestamped, Base):
    """A télé-service of a school; closing it keeps its settings."""

    __tablename__ = "school_teleservices"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    service: Mapped[Teleservice] = mapped_column(enum_column(Teleservice, 12), primary_key=True)
    is_open: Mapped[bool] = mapped_column(default=False)


class GradesSettings(Audited, Timestamped, Base):
    __tablename__ = "grades_settings"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    publication: Mapped[GradesPublication] = mapped_column(
        enum_column(GradesPublication, 12), default=GradesPublication.CONTINUOUS
    )


class PublicationDeadline(Audited, Base):
    """A date from which the marks of a (MEF, division) pair are published."""

    __tablename__ = "publication_deadlines"
    __table_args__ = (UniqueConstraint("division_id", "mef_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    mef_id: Mapped[int] = mapped_column(ForeignKey("mefs.id"))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id", ondelete="CASCADE"))
    day: Mapped[date]


class ActivationCode(Audited, Base):
    __tablename__ = "activation_codes"
    __table_args__ = (
        CheckConstraint("(kind = 'car') = (guardian_id IS NOT NULL)", name="guardian_for_car"),
        # One valid code per (student, guardian) pair, and one per student for CAEs.
        Index(
            "uq_activation_codes_valid_car",
            "school_id",
            "student_id",
            "guardian_id",
            unique=True,
            sqlite_where=text("is_valid AND kind = 'car'"),
            postgresql_where=text("is_valid AND kind = 'car'"),
        ),
        Index(
            "uq_activation_codes_valid_cae",
            "school_id",
            "student_id",
            unique=True,
            sqlite_where=text("is_valid AND kind = 'cae'"),
            postgresql_where=text("is_valid AND kind = 'cae'"),
        ),
        Index("ix_activation_codes_student", "student_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CodeKind] = mapped_column(enum_column(CodeKind, 3))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id"), index=True)
    # The code, encrypted (api.auth.sealing, purpose "activation-codes").
    sealed_code: Mapped[str] = mapped_column(String(255))
    # What the télé-services database gets instead of the code: a slow salted hash (argon2id),
    # and 16 bits of its SHA-256 to find it among the codes of a birth date.
    code_hash: Mapped[str] = mapped_column(String(255))
    lookup: Mapped[str] = mapped_column(String(4))
    is_valid: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_label: Mapped[str] = mapped_column(String(120))
    invalidated_at: Mapped[datetime | None]
    # The last time the code was sent to its holder (letter or e-mail).
    notified_at: Mapped[datetime | None]
    # Reported back by replication: an account was created or attached with it.
    used_at: Mapped[datetime | None]
    # Bumped by every change the télé-services database must receive (replication).
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class ReplicationProgress(Base):
    """How far the télé-services database has caught up, written by each replication run (one
    row): the staff side tells from it when a new code becomes usable by the family."""

    __tablename__ = "teleservices_replication_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The admin database's audit log is applied up to this id.
    audit_cursor: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime]
    # When the next run is due, if runs are scheduled (``sconet serve``, ``replicate --every``).
    next_run_at: Mapped[datetime | None]
