"""The live board's data read from the database; the board itself is computed by orientation.core.board (pure)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import literal_column, or_, select
from sqlalchemy.orm import Session

from orientation.core.board import Board, VolunteerNow, WaitingCaller, build_board
from orientation.core.models import Attempt, Request, Territory
from orientation.core.stats import MOTIVES
from orientation.services.stats import request_rows
from orientation.services.stats_wait import wait_rows
from volunteers.services import RINGING_WINDOW, on_duty_volunteers


def waiting_callers(session: Session, territory_id: int) -> list[WaitingCaller]:
    """The territory's callers in the waiting line now (joined it, not left it)."""
    query = select(Request.reference, Request.motive, Request.wait_started_at).where(
        Request.territory_id == territory_id,
        Request.wait_started_at.is_not(None),
        Request.wait_ended_at.is_(None),
    )
    return [WaitingCaller(r.reference, r.motive, r.wait_started_at) for r in session.execute(query)]


def volunteers_now(session: Session, territory: Territory, now: datetime) -> list[VolunteerNow]:
    """The volunteers on duty now, with the motives they take now and whether on a call, offered, paused."""
    on_duty = on_duty_volunteers(session, territory, None, now)
    if not on_duty:
        return []
    ids = [v.id for v in on_duty]
    takes: dict[int, set[str]] = {i: set() for i in ids}
    for motive in MOTIVES:  # a shift may narrow the volunteer's motives: ask the rota per motive
        for volunteer in on_duty_volunteers(session, territory, motive, now):
            takes.setdefault(volunteer.id, set()).add(motive)
    # The existing meanings (services.requests, volunteers.services): on a call = on_call_request_id, or an
    # offer answered and not ended; offered = an offer without answer nor result, within the ringing window.
    # Two statements, each served by a partial index whatever the history (migrations 0018 and 0019); as one OR
    # PostgreSQL read every attempt ever made. 'accepted' is a literal so that 0019's predicate matches in a
    # generic plan of the prepared statement too.
    undecided = select(Attempt.volunteer_id, Attempt.answered_at).where(
        Attempt.volunteer_id.in_(ids),
        Attempt.result.is_(None),
        Attempt.ended_at.is_(None),
        or_(Attempt.answered_at.is_not(None), Attempt.offered_at > now - RINGING_WINDOW),
    )
    in_conversation = select(Attempt.volunteer_id, Attempt.answered_at).where(
        Attempt.volunteer_id.in_(ids),
        Attempt.result == literal_column("'accepted'"),
        Attempt.ended_at.is_(None),
        Attempt.answered_at.is_not(None),
    )
    attempts = [*session.execute(undecided).all(), *session.execute(in_conversation).all()]
    answered = {a.volunteer_id for a in attempts if a.answered_at is not None}
    offered = {a.volunteer_id for a in attempts if a.answered_at is None}
    return [
        VolunteerNow(
            id=v.id,
            name=v.name,
            motives=frozenset(takes.get(v.id, ())),
            on_call=v.on_call_request_id is not None or v.id in answered,
            offered=v.id in offered,
            paused=bool(v.paused) and (v.paused_until is None or v.paused_until > now),
        )
        for v in on_duty
    ]


def local_day(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Today in the territory's time zone, as [midnight, next midnight)."""
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)


def board_for(session: Session, territory: Territory, now: datetime) -> Board:
    """The live board of a territory at `now`."""
    since, until = local_day(now, ZoneInfo(territory.timezone))
    return build_board(
        now=now,
        waiting=waiting_callers(session, territory.id),
        volunteers=volunteers_now(session, territory, now),
        today_rows=request_rows(session, territory.id, since, until),
        today_waits=wait_rows(session, territory.id, since, until),
        crisis_enabled=territory.crisis_enabled,
        crisis_offers=territory.crisis_offers,
        wait_limit_seconds=territory.queue_wait_limit_seconds,
    )
