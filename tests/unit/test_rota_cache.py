"""The per-process rota cache: valid only under the stamp it was built with, bounded, least recently used out."""

from __future__ import annotations

from datetime import date

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
