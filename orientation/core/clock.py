"""The clock: decisions take "now" as a value; the app reads it from one injectable place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock for tests and simulations: stands still until told to move."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.at = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta given as keywords (seconds=20, minutes=1…)."""
        self.at += timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> None:
        """Jump to another instant."""
        self.at = at.astimezone(UTC)
