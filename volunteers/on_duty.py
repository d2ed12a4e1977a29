"""Who is on duty, remembered until the rota's next boundary (a shift starting or ending). Pure.

Who is on duty at t only changes when an occurrence starts or ends, so a routing decision need not rebuild
the on-duty list (hundreds of occurrences) each time: the list computed at t holds for every instant up to
the first start or end after t. The memo lives in a rota snapshot (volunteers.rota_cache), so a rota change
(a new stamp, a new snapshot) drops it with the rota it was computed from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from volunteers.rota import Rota
from volunteers.shifts import HolidayCalendar

# How far ahead a boundary is looked for: at most one recomputation an hour when nothing starts or ends.
HORIZON = timedelta(hours=1)


def next_change(
    rota: Rota, at: datetime, holidays: HolidayCalendar, tz: ZoneInfo, horizon: timedelta = HORIZON
) -> datetime:
    """The first instant after `at` when an occurrence starts or ends (at most `at + horizon`).

    Until then the set of occurrences containing t is the one containing `at`, whatever the motive.
    """
    until = at + horizon
    for occ in rota.occurrences(at, until, holidays, tz):
        boundary = occ.starts_at if occ.starts_at > at else occ.ends_at
        until = min(until, boundary)
    return until


@dataclass(frozen=True, slots=True)
class OnDuty:
    """The on-duty volunteers' ids (rota order) computed at `since`, valid for every t in [since, until)."""

    ids: tuple[int, ...]
    members: frozenset[int]
    since: datetime
    until: datetime

    def holds_at(self, at: datetime) -> bool:
        """True when `at` lies in the span the list was computed for."""
        return self.since <= at < self.until


@dataclass
class OnDutyMemo:
    """On-duty lists of one rota snapshot, per (timezone, holiday subdivision, motive); thread-safe.

    The next boundary does not depend on the motive: it is found once per (timezone, subdivision) and span.
    """

    _lists: dict[tuple[str, str | None, str | None], OnDuty] = field(default_factory=dict)
    _boundaries: dict[tuple[str, str | None], tuple[datetime, datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(
        self,
        key: tuple[str, str | None, str | None],
        at: datetime,
        compute: Callable[[], list[int]],
        boundary: Callable[[], datetime],
    ) -> OnDuty:
        """The list for `key` at `at`: remembered when `at` is in its span, else computed (with its span)."""
        with self._lock:
            entry = self._lists.get(key)
            span = self._boundaries.get(key[:2])
        if entry is not None and entry.holds_at(at):
            return entry
        if span is None or not span[0] <= at < span[1]:
            span = (at, boundary())
        ids = tuple(compute())
        entry = OnDuty(ids, frozenset(ids), span[0], span[1])
        with self._lock:
            self._lists[key] = entry
            self._boundaries[key[:2]] = span
        return entry
