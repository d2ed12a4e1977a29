"""The waiting line's figures: time in the line (median, p90) and who left it how, per motive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orientation.core.stats_wait import WaitRow, wait_figures_by_motive

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def row(motive: str | None, seconds: int | None, end: str | None) -> WaitRow:
    return WaitRow(motive, T0, None if seconds is None else T0 + timedelta(seconds=seconds), end)


def test_waits_are_counted_per_motive_and_in_all_with_each_way_of_leaving() -> None:
    rows = [
        row("visite_domicile", 40, "answered"),
        row("visite_domicile", 120, "hung_up"),
        row("visite_domicile", 300, "wait_limit"),
        row("orientation", 15, "chose_message"),
        row("orientation", None, None),
    ]

    figures = wait_figures_by_motive(rows)

    visits = figures["visite_domicile"]
    assert (visits.waited, visits.waiting, visits.answered_from_line) == (3, 0, 1)
    assert (visits.left_hung_up, visits.left_chose_message, visits.left_wait_limit) == (1, 0, 1)
    assert visits.median_wait_seconds == 120
    assert figures["orientation"].left_chose_message == 1
    assert figures["orientation"].waiting == 1
    assert figures["orientation"].median_wait_seconds == 15  # the caller still waiting has no wait yet
    everyone = figures["all"]
    assert (everyone.waited, everyone.waiting) == (5, 1)
    assert everyone.median_wait_seconds == (40 + 120) / 2
    assert figures["medecin_traitant"].waited == 0 and figures["medecin_traitant"].median_wait_seconds is None


def test_the_p90_is_a_wait_a_caller_really_had_by_nearest_rank() -> None:
    rows = [row("orientation", s, "answered") for s in range(10, 110, 10)]  # 10, 20, … 100 s

    figures = wait_figures_by_motive(rows)["orientation"]

    assert figures.p90_wait_seconds == 90  # rank ⌈0.9 × 10⌉ = 9
    assert figures.median_wait_seconds == 55


def test_an_unknown_end_or_motive_counts_as_waited_without_failing() -> None:
    figures = wait_figures_by_motive([row("grippe", 30, "transferred"), row(None, 10, "answered")])

    assert figures["unknown"].waited == 2
    assert figures["unknown"].answered_from_line == 1
    assert figures["all"].left_hung_up + figures["all"].left_chose_message + figures["all"].left_wait_limit == 0


def test_no_rows_give_zeros_and_no_median() -> None:
    figures = wait_figures_by_motive([])["all"]

    assert (figures.waited, figures.median_wait_seconds, figures.p90_wait_seconds) == (0, None, None)
