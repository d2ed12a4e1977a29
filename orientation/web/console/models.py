"""Console accounts and the counters that throttle failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orientation.core.db import Base, UTCDateTime

ROLES = ("admin", "coordinator")


class User(Base):
    """Someone who logs in to the console: an administrator (every territory) or a coordinator (one)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # flask-login's protocol, spelled out rather than inherited from UserMixin to keep the model plain.
    @property
    def is_authenticated(self) -> bool:
        """Always True for a loaded account."""
        return True

    @property
    def is_active(self) -> bool:
        """A disabled account cannot log in, and its open sessions stop working."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str:
        """The id flask-login keeps in the session."""
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        """True for an administrator (all territories)."""
        return self.role == "admin"

    def can_see(self, territory_id: int) -> bool:
        """True when this account may see that territory's pages."""
        return self.is_admin or self.territory_id == territory_id


class ConsoleSession(Base):
    """A logged-in browser: its cookie carries a random id whose digest is the key here.

    Kept in the database so that every web process sees a logout, a password change or a disabled account at
    once, and so that inactivity is measured where a copied cookie cannot reset it.
    """

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """Failed logins per account or per address: past a few, that account (or address) is locked for a while."""

    __tablename__ = "login_throttles"

    # sha256 of "account\n<email>" or "address\n<IP>": the table keeps no address or email in clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
