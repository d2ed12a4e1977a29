"""Each territory's built rota, kept in memory while the territory's rota stamp is unchanged.

Building a territory's rota from the database (every pattern, the shifts and exceptions around the day,
each volunteer's motives) took most of a routing decision: ~90 ms for 300 volunteers. It changes only when a
coordinator edits the rota, and every such change renews the territory's stamp (volunteers.models), so a
decision reads the stamp (one primary-key lookup) and rebuilds only when it differs from the one the cached
rota was built under. Plain data, no database here: volunteers.services reads and fills it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from volunteers.on_duty import OnDutyMemo
from volunteers.rota import Rota

# Entries are per territory and day (shifts and exceptions are loaded around a day): a national instance of
# ~1,000 territories keeps today's and, around midnight, yesterday's.
CAPACITY = 2048
# Builds of different territories run side by side unless their keys share one of these locks.
BUILD_LOCKS = 64


@dataclass(frozen=True)
class RotaSnapshot:
    """What routing needs that only a rota change can change: the rota, and each active volunteer's own
    motives and languages (who is paused, on a call or was offered last is read fresh every time)."""

    rota: Rota
    motives: Mapping[int, frozenset[str]]
    languages: Mapping[int, frozenset[str]]
    # Who is on duty, per motive, until the rota's next boundary: computed from this rota, dropped with it.
    on_duty: OnDutyMemo = field(default_factory=OnDutyMemo, compare=False, repr=False)
    _speakers: dict[str, frozenset[int]] = field(default_factory=dict, compare=False, repr=False)

    def speakers(self, language: str) -> frozenset[int]:
        """The ids of the volunteers who speak `language` (computed once per snapshot and language)."""
        found = self._speakers.get(language)
        if found is None:
            found = frozenset(i for i, spoken in self.languages.items() if language in spoken)
            self._speakers[language] = found
        return found


class RotaCache:
    """A bounded, thread-safe map (territory, day) → (stamp, snapshot), least recently used out first."""

    def __init__(self, capacity: int = CAPACITY, build_lock: Callable[[], threading.Lock] = threading.Lock) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, date], tuple[str, RotaSnapshot]] = OrderedDict()
        self._lock = threading.Lock()
        self._build_locks = [build_lock() for _ in range(BUILD_LOCKS)]

    def get_or_build(self, territory_id: int, day: date, stamp: str, build: Callable[[], RotaSnapshot]) -> RotaSnapshot:
        """The snapshot built under that stamp, built now by `build` when missing: once per process, the other
        threads that miss it meanwhile waiting for that build instead of each running their own.

        A threaded worker's first routing decisions after a start or a rota change all miss together: its four
        threads each built the rota (0.24 s of CPU each for 300 volunteers, under one GIL), and the calls routed
        meanwhile waited for all four (p99 of voice.postcode at 8 connections: 545 ms).
        """
        found = self.get(territory_id, day, stamp)
        if found is not None:
            return found
        # A build reads the database without locking any row: a thread holding row locks may wait here for it.
        with self._build_locks[hash((territory_id, day)) % BUILD_LOCKS]:
            found = self.get(territory_id, day, stamp)  # built by the thread waited for
            if found is not None:
                return found
            snapshot = build()
            self.put(territory_id, day, stamp, snapshot)
            return snapshot

    def get(self, territory_id: int, day: date, stamp: str) -> RotaSnapshot | None:
        """The snapshot built under that stamp, or None (never built, evicted, or the rota changed since)."""
        key = (territory_id, day)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, territory_id: int, day: date, stamp: str, snapshot: RotaSnapshot) -> None:
        """Keep the snapshot built under that stamp, evicting the least recently used beyond capacity."""
        key = (territory_id, day)
        with self._lock:
            self._entries[key] = (stamp, snapshot)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


# One per process: gunicorn workers each keep theirs, all validated by the same stamps in the database.
CACHE = RotaCache()
