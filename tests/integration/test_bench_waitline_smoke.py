"""The COVID-line benchmark at a smoke size: the surge loses nobody and never rings a volunteer twice."""

from __future__ import annotations

from pathlib import Path

from bench.bench_waitline import measure


def test_a_small_surge_answers_or_records_every_caller_and_never_offers_a_busy_volunteer(tmp_path: Path) -> None:
    figures = measure(callers=12, volunteers=4, window_seconds=60, seed=7, database_url=f"sqlite:///{tmp_path}/l.db")

    assert figures["lost"] == 0 and figures["still_open_calls"] == 0
    assert figures["answered"] + figures["left_a_message"] == 12
    assert figures["joined_the_line"] > 0  # the surge did fill the line
    assert figures["offered_while_on_a_call"] == 0
    assert figures["wait_in_line_p90_s"] <= 300  # nobody waits past the territory's limit
