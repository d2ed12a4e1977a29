"""What a running app holds (config, database, clock, telephony), reachable from views and jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from orientation.core.clock import Clock
from orientation.core.config import Config


class Sender(Protocol):
    """What the outbox (services.messaging) needs of a telephony provider (callflows.telephony.TwilioTelephony fits)."""

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str: ...

    def place_call(
        self, to: str, from_: str, url: str, status_callback: str | None = None, timeout: int = 20
    ) -> str: ...


@dataclass
class Runtime:
    """The app's collaborators, built once by create_app."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    sender: Sender | None

    @property
    def live_messaging(self) -> bool:
        """True when SMS and calls really leave (credentials set), False when they stay in the outbox."""
        return self.sender is not None


def runtime() -> Runtime:
    """The current app's runtime."""
    return current_app.extensions["orientation"]


def db() -> Session:
    """The request-scoped database session, closed at the end of the request."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    return g.db_session


def now() -> datetime:
    """The current instant from the app's clock."""
    return runtime().clock()


def close_db(_exc: BaseException | None = None) -> None:
    """Teardown: close the request's session if one was opened."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
