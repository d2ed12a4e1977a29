"""Time figures_by_motive (and the other series) over a year of requests: python -m bench.bench_stats [N]."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from orientation.core.stats import (
    MOTIVES,
    RequestRow,
    aci_rows,
    figures_by_motive,
    hour_weekday_matrix,
    weekly_series,
)

T = TypeVar("T")
PARIS = ZoneInfo("Europe/Paris")
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_SECONDS = 365 * 24 * 3600
COMMUNES = ("Paris", "Bagnolet", "Montreuil", "Les Lilas", "Romainville")


def make_rows(count: int, seed: int = 20) -> list[RequestRow]:
    """Return ``count`` plausible requests spread over one year, reproducibly."""
    rng = random.Random(seed)
    rows: list[RequestRow] = []
    motives: list[str | None] = [*MOTIVES, None]
    for _ in range(count):
        created = YEAR_START + timedelta(seconds=rng.randrange(YEAR_SECONDS))
        draw = rng.random()
        connected_at = callback_requested_at = callback_done_at = None
        outcome: str | None
        if draw < 0.6:
            status = "closed"
            connected_at = created + timedelta(seconds=rng.randrange(5, 180))
            outcome = rng.choice(["matched", "matched", "oriented", "no_solution", None])
        elif draw < 0.75:
            status = "abandoned"
            outcome = rng.choice(["abandoned", None])
        elif draw < 0.9:
            callback_requested_at = created + timedelta(seconds=rng.randrange(30, 300))
            if rng.random() < 0.5:
                status = "callback_pending"
                outcome = None
            else:
                status = "closed"
                callback_done_at = callback_requested_at + timedelta(seconds=rng.randrange(600, 86400))
                connected_at = callback_done_at
                outcome = rng.choice(["matched", "oriented", "unreachable"])
        else:
            status = "closed"
            outcome = rng.choice(["emergency_redirect", "out_of_territory"])
        commune = rng.choice(COMMUNES)
        rows.append(
            RequestRow(
                motive=rng.choice(motives),
                status=status,
                outcome=outcome,
                created_at=created,
                connected_at=connected_at,
                callback_requested_at=callback_requested_at,
                callback_done_at=callback_done_at,
                commune=commune,
                postcode="75020" if commune == "Paris" else "93170",
            )
        )
    return rows


def _timed(label: str, func: Callable[..., T], *args: object) -> T:
    start = time.perf_counter()
    result = func(*args)
    print(f"{label:<22} {time.perf_counter() - start:6.2f} s")
    return result


def main(argv: list[str]) -> None:
    """Build the rows, then time each function once and print the headline figures."""
    count = int(argv[0]) if argv else 1_000_000
    start = time.perf_counter()
    rows = make_rows(count)
    print(f"built {count:,} rows       {time.perf_counter() - start:6.2f} s")
    figures = _timed("figures_by_motive", figures_by_motive, rows)
    _timed("weekly_series", weekly_series, rows, PARIS)
    _timed("hour_weekday_matrix", hour_weekday_matrix, rows, PARIS)
    _timed("aci_rows", aci_rows, rows, PARIS)
    total = figures["all"]
    print(
        f"all: requests={total.requests:,} match_rate={total.match_rate} "
        f"median_to_answer={total.median_seconds_to_answer}s p90={total.p90_seconds_to_answer}s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
