"""Guardians (responsables) and their links to students."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column


class Civility(enum.StrEnum):
    M = "M."
    MME = "Mme"


class Relationship(enum.StrEnum):
    """Kinship of a guardian to the student: the codes of SIECLE's nomenclature
    (LIENS_PARENTE/CODE_PARENTE)."""

    MOTHER = "10"
    FATHER = "20"
    SIBLING = "37"
    ASCENDANT = "38"
    OTHER_FAMILY_MEMBER = "39"
    EDUCATOR = "41"
    ASSISTANT_FAMILY = "42"
    TUTOR = "50"
    ASE = "51"
    STUDENT_SELF = "70"
    OTHER = "90"


class Guardian(Audited, Versioned, Timestamped, Base):
    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    civility: Mapped[Civility] = mapped_column(enum_column(Civility, 4))
    family_name: Mapped[str] = mapped_column(String(100))
    usage_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(60))
    phone_home: Mapped[str | None] = mapped_column(String(20))
    phone_mobile: Mapped[str | None] = mapped_column(String(20))
    phone_work: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    accepts_sms: Mapped[bool] = mapped_column(default=False)
    # The PCS profession code of the nomenclature (CODE_PROFESSION).
    profession_code: Mapped[str | None] = mapped_column(String(3))
    # His home (db.addresses), shared with the household he lives with.
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    # PERSONNE_ID in SIECLE's exports.
    siecle_id: Mapped[str | None] = mapped_column(String(12), index=True)

    @property
    def display_name(self) -> str:
        return f"{self.civility.value} {(self.usage_name or self.family_name).upper()} {self.first_name}"


class GuardianLink(Audited, Versioned, Timestamped, Base):
    """A guardian's responsibility for a student.

    ``legal_rank`` is 1 or 2 for the two holders of parental authority and
    empty for any other person in charge or to contact; the unique constraint
    keeps at most one legal guardian 1 and one legal guardian 2 per student
    (NULLs never collide).
    """

    __tablename__ = "guardian_links"
    __table_args__ = (
        UniqueConstraint("student_id", "guardian_id"),
        UniqueConstraint("student_id", "legal_rank"),
        CheckConstraint("legal_rank IN (1, 2)", name="legal_rank_1_or_2"),
        CheckConstraint("responsibility_level IN (1, 2, 3)", name="responsibility_level_1_2_3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id"), index=True)
    legal_rank: Mapped[int | None]
    relationship: Mapped[Relationship] = mapped_column(enum_column(Relationship, 2))
    lives_with: Mapped[bool] = mapped_column(default=True)
    receives_mail: Mapped[bool] = mapped_column(default=True)
    pays_fees: Mapped[bool] = mapped_column(default=False)
    # NIVEAU_RESPONSABILITE: 1 legal guardian, 2 person in charge, 3 contact only.
    responsibility_level: Mapped[int] = mapped_column(default=1)
    receives_aid: Mapped[bool] = mapped_column(default=False)
    contact_first: Mapped[bool] = mapped_column(default=False)
