"""Staff accounts, their roles per school, and their server-side sessions."""

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


class StaffUser(Audited, Timestamped, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"))
    login: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)


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
