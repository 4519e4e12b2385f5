from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.core.timestamps import utcnow
from evidence.core.versioning import Versioned
from evidence.db import Base


class User(Versioned, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret (base32) once enrolment is
    # confirmed, and the newest time step accepted, so a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # The interface language the account chose (evidence.vocabularies.LANGUAGES); none:
    # the browser's.
    language: Mapped[str | None] = mapped_column(String(8))

    @property
    def key(self) -> str:
        return self.name

    # What Flask-Login asks of a user (its UserMixin, without models importing Flask):
    # an account that is not active is refused.
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None


class UserSession(Base):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is kept here.

    Deleting the row ends the session: a copy of the cookie is worthless from then on.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # "second-factor" after the password step of an account with TOTP; "complete" once signed in.
    stage: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # "Firefox on Linux": enough for the owner to recognise it; the full agent only as a hash.
    client: Mapped[str] = mapped_column(String(80), nullable=False)
    agent_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    user: Mapped[User] = relationship(lazy="joined")


class RecoveryCode(Base):
    """A one-time code that stands in for a TOTP code; stored as a SHA-256 of the code."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """A refused sign-in (wrong password or code), counted per account name and per address.

    The address is kept only as a keyed hash (HMAC with the secret key): enough to
    count attempts from it, not a list of where our people connect from.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    account_name: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    address_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
