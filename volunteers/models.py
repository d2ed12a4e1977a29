"""Models of the volunteers and their rota: one-off shifts, weekly patterns and their exceptions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from itertools import chain
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstanceState, Mapped, Session, mapped_column, relationship

from orientation.core.db import Base, UTCDateTime


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
    """A weekly recurring shift in the territory's wall-clock time ("every Tuesday 09:00–12:00")."""

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


class RotaVersion(Base):
    """A random stamp per territory, renewed in the transaction of every change of its rota.

    Routing keeps each territory's built rota in memory (volunteers.rota_cache) and trusts it only while
    the stamp it reads is the one it was built under: a change committed by any process is seen at once.
    """

    __tablename__ = "rota_versions"

    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))


# What routing reads of a volunteer that changes with the rota; paused, on-call and last-offered change on
# every call and are read fresh, so they never renew the stamp.
ROTA_COLUMNS = ("territory_id", "motives", "languages", "active")


def renew_rota_stamp(connection: Connection, territory_id: int) -> None:
    """Give the territory's rota a new random stamp, in the connection's current transaction."""
    upsert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = upsert(RotaVersion).values(territory_id=territory_id, stamp=uuid.uuid4().hex)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["territory_id"], set_={"stamp": statement.excluded.stamp})
    )


def _changed_territories(session: Session) -> set[int]:
    """The territories whose rota the objects of this flush change (read before the flush is applied)."""
    territories: set[int] = set()
    volunteer_ids: set[int] = set()
    pattern_ids: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, Volunteer | Shift | ShiftPattern | ShiftException):
            continue
        state: InstanceState[Any] = inspect(obj)
        # Read what is loaded, never a lazy load: a deleted row cannot be read back any more.
        values = state.dict
        if isinstance(obj, Volunteer):
            if obj in session.dirty and not any(state.attrs[name].history.has_changes() for name in ROTA_COLUMNS):
                continue
            territories.update(t for t in (values.get("territory_id"), *state.attrs.territory_id.history.deleted) if t)
        elif isinstance(obj, ShiftException):
            pattern_ids.add(values.get("pattern_id") or 0)
            volunteer_ids.add(values.get("replacement_volunteer_id") or 0)
        else:
            volunteer_ids.add(values.get("volunteer_id") or 0)
            volunteer_ids.update(v for v in state.attrs.volunteer_id.history.deleted if v)
    pattern_ids.discard(0)
    volunteer_ids.discard(0)
    connection = session.connection()
    if pattern_ids:
        volunteer_ids.update(
            connection.execute(
                select(ShiftPattern.volunteer_id).where(ShiftPattern.id.in_(sorted(pattern_ids)))
            ).scalars()
        )
    if volunteer_ids:
        territories.update(
            connection.execute(select(Volunteer.territory_id).where(Volunteer.id.in_(sorted(volunteer_ids)))).scalars()
        )
    return territories


@event.listens_for(Session, "after_flush")
def _renew_rota_stamps(session: Session, _context: Any) -> None:
    """Any change of a rota through the ORM, by whatever code, renews its territory's stamp."""
    for territory_id in sorted(_changed_territories(session)):
        renew_rota_stamp(session.connection(), territory_id)
