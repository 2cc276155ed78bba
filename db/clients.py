"""Third-party API clients (ENT, timetable and grades software) and the keys that sign their tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, utcnow


class ApiClient(Audited, Timestamped, Base):
    """A client registered by an académie administrator (OAuth 2.0 client credentials)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the secret: secrets are 256-bit random strings, never chosen by people.
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    # Space-separated OAuth scopes, as in the token request (``students:read absences:read``).
    scopes: Mapped[str] = mapped_column(String(400))
    requests_per_minute: Mapped[int] = mapped_column(default=600)
    is_active: Mapped[bool] = mapped_column(default=True)
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ApiClientSchool(Audited, Base):
    """A school whose data the client may reach."""

    __tablename__ = "api_client_schools"
    __table_args__ = (UniqueConstraint("client_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))


class SigningKey(Base):
    """A key pair signing access tokens; the public half is published at the JWKS endpoint.

    The private key is stored encrypted with the application key. Retired keys
    stay published until the tokens they signed have expired.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class RevokedToken(Base):
    """An access token revoked before its expiry (RFC 7009), kept until it would have expired."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]
