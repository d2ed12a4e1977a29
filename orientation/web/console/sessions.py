"""Console sessions kept in the database: started at login, ended by logout, a password change or a disable.

Why a table rather than a per-user generation number in the signed cookie: a row per browser lets a logout
end that browser's session alone (a coordinator's phone stays logged in when the office PC logs out), and
keeps the time of last activity on the server, where a cookie copied and replayed cannot reset it. Every web
process reads the same rows, so an ended session is ended everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from orientation.web.console.models import ConsoleSession

MAX_AGE = timedelta(hours=12)  # a session ends 12 hours after login, however active
DEFAULT_IDLE = timedelta(minutes=30)
# Last activity is written at most once a minute: a page's assets and quick clicks cost no write each.
TOUCH_EVERY = timedelta(minutes=1)


def digest(session_id: str) -> str:
    """The stored form of a cookie's session id (a stolen table gives no usable cookie)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def is_live(created_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta) -> bool:
    """True while a session is neither idle for `idle` nor older than MAX_AGE."""
    return now - last_seen_at < idle and now - created_at < MAX_AGE


def start(db: Session, user_id: int, now: datetime, idle: timedelta) -> str:
    """A new session for the account; returns the random id for the cookie (the caller commits)."""
    # The account's dead sessions go now: the table holds live sessions and a few stale ones, never years of them.
    db.execute(
        delete(ConsoleSession).where(
            ConsoleSession.user_id == user_id,
            or_(ConsoleSession.last_seen_at <= now - idle, ConsoleSession.created_at <= now - MAX_AGE),
        )
    )
    session_id = secrets.token_urlsafe(32)
    db.add(ConsoleSession(id_hash=digest(session_id), user_id=user_id, created_at=now, last_seen_at=now))
    db.flush()
    return session_id


def resume(db: Session, session_id: str, now: datetime, idle: timedelta) -> ConsoleSession | None:
    """The live session of a cookie's id, its activity noted; None (and the row gone) when it has ended."""
    row = db.get(ConsoleSession, digest(session_id))
    if row is None:
        return None
    if not is_live(row.created_at, row.last_seen_at, now, idle):
        db.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end(db: Session, session_id: str) -> None:
    """End one session (logout)."""
    db.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == digest(session_id)))


def end_all(db: Session, user_id: int) -> int:
    """End every session of an account (password change, disabled account); returns how many there were."""
    result = db.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
