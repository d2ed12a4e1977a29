"""Models of the volunteers and their rota: one-off shifts, weekly patterns and their exceptions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orientation.db import Base, UTCDateTime


class Volunteer(Base):
    """A health professional who takes routed calls on their mobile during their shifts."""

    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("territory_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    profession: Mapped[str] = mapped_column(String(64))
    directory_entry_id: Mapped[int | None] = mapped_column(Integer)
    motives: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["fr"])
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_call_request_id: Mapped[int | None] = mapped_column(Integer)
    last_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ical_secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    shifts: Mapped[list[Shift]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan", order_by="Shift.starts_at"
    )
    patterns: Mapped[list[ShiftPattern]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan", order_by="ShiftPattern.id"
    )


class Shift(Base):
    """A one-off shift, between two instants."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    motives: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    volunteer: Mapped[Volunteer] = relationship(back_populates="shifts")


class ShiftPattern(Base):
    """A weekly recurring shift in Europe/Paris wall-clock time ("every Tuesday 09:00–12:00")."""

    __tablename__ = "shift_patterns"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    motives: Mapped[list[str]] = mapped_column(JSON, default=list)
    holidays: Mapped[str] = mapped_column(String(8), default="include")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    volunteer: Mapped[Volunteer] = relationship(back_populates="patterns")
    exceptions: Mapped[list[ShiftException]] = relationship(
        back_populates="pattern", cascade="all, delete-orphan", order_by="ShiftException.on_date"
    )


class ShiftException(Base):
    """One occurrence of a pattern cancelled, or taken by another volunteer."""

    __tablename__ = "shift_exceptions"
    __table_args__ = (UniqueConstraint("pattern_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern_id: Mapped[int] = mapped_column(ForeignKey("shift_patterns.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    replacement_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    pattern: Mapped[ShiftPattern] = relationship(back_populates="exceptions")


class SentReminder(Base):
    """An SMS of the rota already sent (a shift reminder, a day's gap summary): its key is sent once, ever.

    The row and the outbox message are written in one transaction, so a clock process restarted at any
    point, or a second one racing it, never sends the same reminder twice: the unique key refuses it.
    """

    __tablename__ = "sent_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
