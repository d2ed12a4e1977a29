"""Models of the line itself: territories, requests and their timeline, outbox, API tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from orientation.core.db import Base, UTCDateTime
from orientation.core.sms_sender import replies_on


class Territory(Base):
    """A CPTS line: its numbers, postcodes, opening hours and settings."""

    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    reference_prefix: Mapped[str] = mapped_column(String(6))
    region: Mapped[str] = mapped_column(String(2), default="FR")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    holiday_subdivision: Mapped[str | None] = mapped_column(String(8))
    opening_hours: Mapped[str] = mapped_column(String(500), default="24/7")
    postcodes: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["fr"])
    coordinator_phone: Mapped[str | None] = mapped_column(String(20))
    ring_seconds: Mapped[int] = mapped_column(Integer, default=20)
    max_wait_seconds: Mapped[int] = mapped_column(Integer, default=240)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Migration 0012: who the SMS come from (None: the line's number; see orientation.core.sms_sender), and whether
    # they may ask for an SMS answer (None: the sender's default, true only for a number).
    sms_sender: Mapped[str | None] = mapped_column(String(34))
    sms_replies: Mapped[bool | None] = mapped_column(Boolean)
    # Waiting line and crisis mode (migration 0015).
    queue_wait_limit_seconds: Mapped[int] = mapped_column(Integer, default=300, server_default="300")
    crisis_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    crisis_offers: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    crisis_announcement: Mapped[str | None] = mapped_column(Text)

    numbers: Mapped[list[TerritoryNumber]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="TerritoryNumber.id"
    )
    neighbours: Mapped[list[Neighbour]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="Neighbour.id"
    )

    if TYPE_CHECKING:
        # Mapped below the TerritoryNumber class (a deferred subquery): the first of `numbers`, when loaded.
        first_number: str | None

    @property
    def main_number(self) -> str | None:
        """The first number of the line (caller ID of outgoing calls and SMS)."""
        return self.numbers[0].phone if self.numbers else None

    @property
    def replies_by_sms(self) -> bool:
        """Whether the line's SMS may ask volunteers to answer by SMS (sms_replies, else the sender's default)."""
        return replies_on(self.sms_sender, self.sms_replies)


# Two territories with one prefix would number requests alike (requests.reference is unique), so the
# second one's calls could not be recorded: a prefix is unique whatever its case (migration 0010).
Index("uq_territories_reference_prefix_upper", func.upper(Territory.reference_prefix), unique=True)


class TerritoryNumber(Base):
    """A phone number that reaches a territory's line; the called number selects the territory."""

    __tablename__ = "territory_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)

    territory: Mapped[Territory] = relationship(back_populates="numbers")


# Territory.first_number: the line's number as a subquery of the statement that loads the territory. Deferred:
# only the webhooks' request lookup asks for it (services.requests), so that their caller ID needs no
# statement of its own (territories.main_number). Set here, once TerritoryNumber exists.
# FIRST_NUMBER is the same subquery for Core statements over the territories table (services.legs, postcode_step).
FIRST_NUMBER = (
    select(TerritoryNumber.phone)
    .where(TerritoryNumber.territory_id == Territory.id)
    .order_by(TerritoryNumber.id)
    .limit(1)
    .correlate_except(TerritoryNumber)
    .scalar_subquery()
)
setattr(  # noqa: B010 - declarative maps an attribute set on the class; declared for mypy in Territory
    Territory,
    "first_number",
    column_property(FIRST_NUMBER, deferred=True),
)


class Neighbour(Base):
    """A neighbouring CPTS known by its number and the postcodes it covers."""

    __tablename__ = "neighbours"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    postcodes: Mapped[list[str]] = mapped_column(JSON, default=list)

    territory: Mapped[Territory] = relationship(back_populates="neighbours")


class ReferenceCounter(Base):
    """The last request number handed out per territory and year (P20-2026-000123)."""

    __tablename__ = "reference_counters"

    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Request(Base):
    """A patient's request: one inbound call, or a message, and everything that follows."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_territory_created", "territory_id", "created_at"),
        Index("ix_requests_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    caller: Mapped[str | None] = mapped_column(String(20), index=True)
    caller_is_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="received")
    motive: Mapped[str | None] = mapped_column(String(32))
    postcode: Mapped[str | None] = mapped_column(String(5))
    in_territory: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    menu_misses: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_entry_id: Mapped[int | None] = mapped_column(Integer)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Who set the outcome and who wrote the note (an audit actor): a volunteer's link changes only their own.
    outcome_by: Mapped[str | None] = mapped_column(String(120))
    outcome_note_by: Mapped[str | None] = mapped_column(String(120))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    callback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    callback_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    had_message: Mapped[bool] = mapped_column(Boolean, default=False)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)
    # Call-backs (migration 0004): how many times the patient was dialled back without being reached, and
    # not before when the clock process may start the next round of asking volunteers.
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Retention (orientation.services.privacy): the number gives way to a keyed pseudonym, then nothing on erasure.
    caller_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    pseudonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The waiting line (migration 0015): when the caller joined and left it, and how they left it
    # ("answered", "hung_up", "chose_message", "wait_limit").
    wait_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wait_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wait_end: Mapped[str | None] = mapped_column(String(16))

    territory: Mapped[Territory] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Attempt.id"
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Event.id"
    )


# The callers in the waiting line now, per territory (migration 0017): the live board reads them every 10 s.
Index(
    "ix_requests_board_waiting",
    Request.territory_id,
    Request.wait_started_at,
    postgresql_where=Request.wait_started_at.is_not(None) & Request.wait_ended_at.is_(None),
    sqlite_where=Request.wait_started_at.is_not(None) & Request.wait_ended_at.is_(None),
)
# The callers who waited, per territory, by when their wait ended (migration 0018): the wait estimate spoken at
# each turn of the line reads the last hours' answered waits.
Index(
    "ix_requests_wait_ended",
    Request.territory_id,
    Request.wait_ended_at,
    postgresql_where=Request.wait_ended_at.is_not(None),
    sqlite_where=Request.wait_ended_at.is_not(None),
)


class Attempt(Base):
    """One volunteer offered one request: rung live, or called back later."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="live")
    result: Mapped[str | None] = mapped_column(String(16))
    leg_call_sid: Mapped[str | None] = mapped_column(String(64))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[Request] = relationship(back_populates="attempts")


# The attempts still without a result, per volunteer (migration 0018): "is this phone ringing" at every routing
# decision reads these few rows instead of the volunteers' whole history.
Index(
    "ix_attempts_volunteer_unanswered",
    Attempt.volunteer_id,
    Attempt.offered_at,
    postgresql_where=Attempt.result.is_(None),
    sqlite_where=Attempt.result.is_(None),
)
# The conversations going on, per volunteer (migration 0019): the live board's "on a call" reads these few rows.
_IN_CONVERSATION = text("result = 'accepted' AND ended_at IS NULL")
Index(
    "ix_attempts_volunteer_in_conversation",
    Attempt.volunteer_id,
    postgresql_where=_IN_CONVERSATION,
    sqlite_where=_IN_CONVERSATION,
)


class Event(Base):
    """One entry of a request's timeline; Twilio callbacks are keyed so a retry is stored once."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    request: Mapped[Request | None] = relationship(back_populates="events")


class OutboxMessage(Base):
    """An SMS or call the line sends: kept here, and handed to Twilio when credentials are set."""

    __tablename__ = "outbox"
    # Migration 0012: the dispatcher's due rows, and a request's messages (a call-back's status callback).
    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(40), default="")
    to_number: Mapped[str] = mapped_column(String(20))
    # A number, an alphanumeric sender ID or a Messaging Service SID (34 characters): see orientation.core.sms_sender.
    from_number: Mapped[str | None] = mapped_column(String(34))
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    # orientation.core.delivery: stored, queued, sent, delivered, undelivered, failed, uncertain.
    status: Mapped[str] = mapped_column(String(16), default="stored")
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Migration 0012: Twilio's error code of a failed send or delivery, the tries made and when the next may be,
    # and the status callback of a call, kept with the row so that a call placed again still reports.
    error_code: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_callback: Mapped[str | None] = mapped_column(String(500))


class ApiToken(Base):
    """A bearer token of the JSON API, stored hashed; optionally scoped to one territory."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # how the CLI and the audit log name it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who read or changed which request, and when: kept after the request is pseudonymised or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_territory_at", "territory_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    # No foreign key to territories: the log outlives what it speaks of.
    territory_id: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    reference: Mapped[str | None] = mapped_column(String(32), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StatsRollup(Base):
    """The stored stats tally of one territory's requests created on one UTC day or in one UTC month.

    Written by orientation.services.stats_rollups, only for days at least half a day old. No foreign key: a
    row that outlives its territory is never read again.
    """

    __tablename__ = "stats_rollups"

    territory_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # "day" or "month"
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    tally: Mapped[str] = mapped_column(Text)  # orientation.core.stats_tally.Tally.to_json()
    # The day's version (a month: the sum of its days' versions) read before its requests were counted.
    version: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatsDayVersion(Base):
    """How many times the requests of a territory's UTC day changed once older than a few hours.

    Written by the database's triggers on requests (migration 0009), never by the application: a stored
    tally counted at a lower version is out of date. Versions only grow, so a slow recount can never pass
    a newer one off as current.
    """

    __tablename__ = "stats_day_versions"

    territory_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
