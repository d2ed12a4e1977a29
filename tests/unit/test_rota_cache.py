"""The per-process rota cache: valid only under the stamp it was built with, bounded, least recently used out."""

from __future__ import annotations

import threading
from datetime import date
from typing import cast

import pytest

from volunteers.rota import Rota
from volunteers.rota_cache import RotaCache, RotaSnapshot

DAY = date(2026, 11, 24)


def _snapshot() -> RotaSnapshot:
    return RotaSnapshot(rota=Rota([], [], [], []), motives={1: frozenset({"orientation"})}, languages={})


def test_a_snapshot_is_found_under_the_stamp_it_was_built_with_only() -> None:
    cache = RotaCache()
    snapshot = _snapshot()
    cache.put(1, DAY, "a" * 32, snapshot)
    assert cache.get(1, DAY, "a" * 32) is snapshot
    assert cache.get(1, DAY, "b" * 32) is None
    assert cache.get(2, DAY, "a" * 32) is None
    assert cache.get(1, date(2026, 11, 25), "a" * 32) is None


def test_a_new_stamp_replaces_the_territorys_snapshot_of_that_day() -> None:
    cache = RotaCache()
    cache.put(1, DAY, "old", _snapshot())
    newer = _snapshot()
    cache.put(1, DAY, "new", newer)
    assert cache.get(1, DAY, "old") is None
    assert cache.get(1, DAY, "new") is newer
    assert len(cache) == 1


def test_the_cache_keeps_at_most_its_capacity_and_drops_the_least_recently_used() -> None:
    cache = RotaCache(capacity=2)
    cache.put(1, DAY, "s1", _snapshot())
    cache.put(2, DAY, "s2", _snapshot())
    assert cache.get(1, DAY, "s1") is not None  # 1 is now the most recently used
    cache.put(3, DAY, "s3", _snapshot())
    assert len(cache) == 2
    assert cache.get(2, DAY, "s2") is None
    assert cache.get(1, DAY, "s1") is not None and cache.get(3, DAY, "s3") is not None


class _NoticedLock:
    """A lock that tells, before each acquire, that a thread is about to wait for it (or take it)."""

    def __init__(self, acquiring: threading.Event) -> None:
        self._lock = threading.Lock()
        self._acquiring = acquiring

    def __enter__(self) -> bool:
        self._acquiring.set()
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_threads_missing_the_same_snapshot_together_build_it_once() -> None:
    # Set when the second thread reaches the build lock (or, were there none, its own build).
    arrived = threading.Event()
    cache = RotaCache(build_lock=lambda: cast(threading.Lock, _NoticedLock(arrived)))
    building, release = threading.Event(), threading.Event()
    built: list[str] = []
    got: dict[str, RotaSnapshot] = {}
    snapshot = _snapshot()

    def first_build() -> RotaSnapshot:
        built.append("first")
        building.set()
        assert release.wait(10)
        return snapshot

    def second_build() -> RotaSnapshot:
        built.append("second")
        arrived.set()
        return _snapshot()

    first = threading.Thread(target=lambda: got.update(first=cache.get_or_build(1, DAY, "s", first_build)))
    first.start()
    assert building.wait(10)
    arrived.clear()
    second = threading.Thread(target=lambda: got.update(second=cache.get_or_build(1, DAY, "s", second_build)))
    second.start()
    assert arrived.wait(10)  # then the first build ends
    release.set()
    first.join(10)
    second.join(10)
    assert built == ["first"]
    assert got["first"] is snapshot and got["second"] is snapshot


def test_a_failed_build_leaves_the_next_thread_to_build() -> None:
    cache = RotaCache()

    def broken() -> RotaSnapshot:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get_or_build(1, DAY, "s", broken)
    snapshot = _snapshot()
    assert cache.get_or_build(1, DAY, "s", lambda: snapshot) is snapshot
    assert cache.get_or_build(1, DAY, "s", broken) is snapshot
