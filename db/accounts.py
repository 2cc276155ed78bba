"""Staff accounts, their roles per school, second factor, and their server-side sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, enum_column, utcnow


class Role(enum.StrEnum):
    PRINCIPAL = "principal"
    REGISTRAR = "registrar"
    CPE = "cpe"
    TEACHER = "teacher"
    BURSAR = "bursar"
    RECTORAT = "rectorat"
    # Manages the académie's principals, académie-level accounts and API clients.
    ACADEMY_ADMIN = "academy_admin"


class SessionStage(enum.StrEnum):
    """How far a browser got through login; only ``active`` sessions act as the user."""

    ACTIVE = "active"
    # Password accepted, the TOTP code (or a recovery code) is still awaited.
    SECOND_FACTOR = "second_factor"
    # Password accepted, the académie requires a second factor the user has not enrolled yet.
    ENROLMENT = "enrolment"


class StaffUser(Audited, Timestamped, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"))
    login: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    # Empty until the person sets a password from an invitation (accounts created by an
    # import or by an administrator): no password can match it.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The INDIVIDU ID of STS-WEB for a teacher imported from the school's structures.
    sts_id: Mapped[str | None] = mapped_column(String(20), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The TOTP (RFC 6238) shared secret, encrypted with the application key; set
    # during enrolment, confirmed (``totp_enrolled_at``) by a first valid code.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(400))
    totp_enrolled_at: Mapped[datetime | None]
    # The last accepted time step: a code is accepted once, never replayed.
    totp_last_step: Mapped[int | None]


class StaffInvitation(Base):
    """A link sent by e-mail that lets a new staff member choose his password once."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RoleGrant(Audited, Base):
    """A role held by a staff member in a school; ``school_id`` is empty for académie roles."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code when the phone is lost."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class StaffSession(Base):
    """A logged-in browser; the cookie carries a random token whose hash is the key."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    stage: Mapped[SessionStage] = mapped_column(
        enum_column(SessionStage, 16), default=SessionStage.ACTIVE
    )
