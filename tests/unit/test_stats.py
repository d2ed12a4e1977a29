"""The figures reported to the Assurance Maladie: edge cases, definitions and invariants."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.stats import (
    ALL,
    MATCH_RATE_DEFINITION_EN,
    MATCH_RATE_DEFINITION_FR,
    MOTIVES,
    OUTCOMES,
    STATUSES,
    UNKNOWN_MOTIVE,
    RequestRow,
    WeeklyPoint,
    aci_rows,
    figures_by_motive,
    hour_weekday_matrix,
    nearest_rank_percentile,
    week_start,
    weekly_series,
)

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def row(
    motive: str | None = "medecin_traitant",
    status: str = "closed",
    outcome: str | None = None,
    created_at: datetime = T0,
    answered_after: float | None = None,
    **kwargs: object,
) -> RequestRow:
    connected_at = created_at + timedelta(seconds=answered_after) if answered_after is not None else None
    return RequestRow(
        motive=motive,
        status=status,
        outcome=outcome,
        created_at=created_at,
        connected_at=connected_at,
        **kwargs,  # type: ignore[arg-type]
    )


# --- figures_by_motive -------------------------------------------------------------------------------


def test_an_empty_period_has_every_motive_with_zeros_and_no_rates() -> None:
    figures = figures_by_motive([])
    assert set(figures) == {*MOTIVES, UNKNOWN_MOTIVE, ALL}
    for fig in figures.values():
        assert fig.requests == 0
        assert fig.match_rate is None
        assert fig.answer_rate is None
        assert fig.abandon_rate is None
        assert fig.median_seconds_to_answer is None
        assert fig.p90_seconds_to_answer is None
        assert fig.median_callback_delay_seconds is None


def test_requests_without_outcome_have_no_match_rate_rather_than_zero() -> None:
    figures = figures_by_motive([row(status="routing"), row(status="callback_pending")])
    fig = figures["medecin_traitant"]
    assert fig.requests == 2
    assert fig.with_outcome == 0
    assert fig.match_rate is None


def test_requests_without_outcome_do_not_count_in_the_match_rate_denominator() -> None:
    rows = [row(outcome="matched"), row(outcome="no_solution"), row(status="routing", outcome=None)]
    fig = figures_by_motive(rows)["medecin_traitant"]
    assert fig.with_outcome == 2
    assert fig.match_rate == 0.5


def test_the_match_rate_counts_every_final_outcome_in_its_denominator() -> None:
    rows = [row(outcome="matched")] + [row(outcome=outcome) for outcome in sorted(OUTCOMES) if outcome != "matched"]
    fig = figures_by_motive(rows)["medecin_traitant"]
    assert fig.with_outcome == len(OUTCOMES)
    assert fig.match_rate == pytest.approx(1 / len(OUTCOMES))


def test_a_request_whose_outcome_changed_counts_once_with_its_current_outcome() -> None:
    # First reported "no_solution", then corrected to "matched": the row carries the current state.
    corrected = row(outcome="matched")
    fig = figures_by_motive([corrected])["medecin_traitant"]
    assert (fig.with_outcome, fig.matched, fig.no_solution, fig.match_rate) == (1, 1, 0, 1.0)


def test_an_abandoned_request_with_abandoned_outcome_is_counted_once() -> None:
    rows = [
        row(status="abandoned", outcome="abandoned"),
        row(status="abandoned", outcome=None),
        row(status="closed", outcome="abandoned"),
        row(status="closed", outcome="matched"),
    ]
    fig = figures_by_motive(rows)["medecin_traitant"]
    assert fig.abandoned == 3
    assert fig.abandon_rate == 0.75


def test_the_answer_rate_and_times_are_over_live_connections() -> None:
    rows = [row(answered_after=10), row(answered_after=30), row(status="abandoned"), row(status="routing")]
    fig = figures_by_motive(rows)["medecin_traitant"]
    assert fig.connected == 2
    assert fig.answer_rate == 0.5
    assert fig.median_seconds_to_answer == 20.0
    assert fig.p90_seconds_to_answer == 30.0


def test_a_connection_made_by_a_call_back_is_not_a_live_answer() -> None:
    requested = T0 + timedelta(minutes=2)
    called_back = row(
        status="closed",
        outcome="matched",
        answered_after=3 * 3600,
        callback_requested_at=requested,
        callback_done_at=T0 + timedelta(hours=3),
    )
    fig = figures_by_motive([called_back, row(answered_after=12)])["medecin_traitant"]
    assert fig.connected == 1
    assert fig.median_seconds_to_answer == 12.0
    assert fig.median_callback_delay_seconds == 3 * 3600 - 120


def test_a_request_connected_before_it_went_to_call_back_still_counts_as_answered() -> None:
    # Connected, then the volunteer asked to call back later: the live answer happened.
    r = row(answered_after=15, callback_requested_at=T0 + timedelta(minutes=5))
    assert figures_by_motive([r])["medecin_traitant"].connected == 1


def test_callbacks_pending_counts_the_current_status_only() -> None:
    rows = [
        row(status="callback_pending", callback_requested_at=T0),
        row(status="closed", callback_requested_at=T0, callback_done_at=T0 + timedelta(minutes=40)),
    ]
    fig = figures_by_motive(rows)["medecin_traitant"]
    assert fig.callbacks_pending == 1
    assert fig.median_callback_delay_seconds == 2400.0


def test_a_request_without_motive_counts_in_all_and_unknown_but_in_no_motive() -> None:
    rows = [row(motive=None, status="abandoned", outcome="abandoned"), row(motive="orientation")]
    figures = figures_by_motive(rows)
    assert figures[UNKNOWN_MOTIVE].requests == 1
    assert figures["orientation"].requests == 1
    assert figures[ALL].requests == 2
    assert figures[ALL].abandoned == 1


def test_the_total_is_the_sum_of_the_buckets_and_its_rates_are_recomputed_not_averaged() -> None:
    rows = [row(motive="medecin_traitant", outcome="matched")] + [
        row(motive="visite_domicile", outcome="no_solution") for _ in range(3)
    ]
    figures = figures_by_motive(rows)
    assert figures["medecin_traitant"].match_rate == 1.0
    assert figures["visite_domicile"].match_rate == 0.0
    assert figures[ALL].match_rate == 0.25  # not the 0.5 an average of rates would give


def test_the_total_median_is_over_all_answer_times() -> None:
    rows = [
        row(motive="medecin_traitant", answered_after=1),
        row(motive="visite_domicile", answered_after=2),
        row(motive="visite_domicile", answered_after=100),
    ]
    assert figures_by_motive(rows)[ALL].median_seconds_to_answer == 2.0


def test_figures_accept_a_one_shot_iterator() -> None:
    figures = figures_by_motive(iter([row(outcome="matched")]))
    assert figures[ALL].matched == 1


# --- row validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"motive": "urgence"},
        {"status": "done"},
        {"outcome": "match"},
        {"created_at": datetime(2026, 3, 10, 9, 0)},
    ],
)
def test_a_row_with_a_misspelt_code_or_a_naive_time_is_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        row(**kwargs)  # type: ignore[arg-type]


def test_a_row_connected_before_it_was_created_is_rejected() -> None:
    with pytest.raises(ValueError, match="connected_at"):
        row(answered_after=-1)


def test_a_call_back_done_without_being_requested_is_rejected() -> None:
    with pytest.raises(ValueError, match="callback_done_at"):
        row(callback_done_at=T0 + timedelta(hours=1))


# --- percentiles -------------------------------------------------------------------------------------


def test_the_p90_of_one_value_is_that_value() -> None:
    assert nearest_rank_percentile([7.0], 90) == 7.0


def test_the_p90_of_two_values_is_the_larger_one() -> None:
    assert nearest_rank_percentile([3.0, 8.0], 90) == 8.0


def test_the_p90_of_ten_values_is_the_ninth() -> None:
    assert nearest_rank_percentile([float(v) for v in range(1, 11)], 90) == 9.0


def test_the_p90_of_no_value_is_none() -> None:
    assert nearest_rank_percentile([], 90) is None


def test_the_median_of_two_answer_times_is_their_mean() -> None:
    fig = figures_by_motive([row(answered_after=10), row(answered_after=21)])["medecin_traitant"]
    assert fig.median_seconds_to_answer == 15.5
    assert fig.p90_seconds_to_answer == 21.0


def test_the_median_and_p90_of_ten_answer_times() -> None:
    rows = [row(answered_after=s) for s in (50, 10, 40, 20, 30, 100, 60, 90, 70, 80)]
    fig = figures_by_motive(rows)["medecin_traitant"]
    assert fig.median_seconds_to_answer == 55.0
    assert fig.p90_seconds_to_answer == 90.0


def test_the_p90_of_one_answer_time_is_that_time() -> None:
    fig = figures_by_motive([row(answered_after=42)])["medecin_traitant"]
    assert fig.median_seconds_to_answer == fig.p90_seconds_to_answer == 42.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=300), st.integers(1, 100))
@settings(max_examples=200)
def test_a_nearest_rank_percentile_is_an_observed_value_with_enough_values_below(
    values: list[float], percent: int
) -> None:
    values.sort()
    result = nearest_rank_percentile(values, percent)
    assert result in values
    at_or_below = sum(1 for v in values if v <= result)
    assert at_or_below >= math.ceil(percent * len(values) / 100)


def test_a_percentile_outside_0_to_100_is_rejected() -> None:
    with pytest.raises(ValueError):
        nearest_rank_percentile([1.0], 0)


# --- weeks, hours, months in Europe/Paris ------------------------------------------------------------


def test_sunday_night_before_spring_dst_belongs_to_the_week_that_ends() -> None:
    # 29 March 2026 is the last Sunday of March: clocks go from 02:00 to 03:00.
    late_sunday = datetime(2026, 3, 29, 23, 30, tzinfo=PARIS)  # 21:30 UTC
    assert week_start(late_sunday, PARIS) == date(2026, 3, 23)


def test_just_after_midnight_on_the_monday_after_spring_dst_starts_a_new_week() -> None:
    monday = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # 00:30 in Paris, summer time
    assert week_start(monday, PARIS) == date(2026, 3, 30)
    assert week_start(monday, UTC) == date(2026, 3, 23)  # the UTC week would be wrong


def test_week_boundary_after_autumn_dst_is_midnight_paris_time() -> None:
    # 25 October 2026: clocks go back from 03:00 to 02:00; Paris is UTC+1 from then on.
    assert week_start(datetime(2026, 10, 25, 22, 59, tzinfo=UTC), PARIS) == date(2026, 10, 19)
    assert week_start(datetime(2026, 10, 25, 23, 0, tzinfo=UTC), PARIS) == date(2026, 10, 26)


def test_weekly_series_fills_empty_weeks_and_every_motive_with_zeros() -> None:
    rows = [
        row(created_at=datetime(2026, 3, 29, 21, 30, tzinfo=UTC), outcome="matched"),  # Sun, week 23/3
        row(created_at=datetime(2026, 4, 6, 8, 0, tzinfo=UTC), motive="visite_domicile"),  # week 6/4
    ]
    series = weekly_series(rows, PARIS)
    weeks = sorted({point.week_start for point in series})
    assert weeks == [date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6)]
    assert len(series) == 3 * len(MOTIVES)
    assert WeeklyPoint(date(2026, 3, 23), "medecin_traitant", 1, 1, 1) in series
    assert WeeklyPoint(date(2026, 3, 30), "medecin_traitant", 0, 0, 0) in series
    assert WeeklyPoint(date(2026, 4, 6), "visite_domicile", 1, 0, 0) in series


def test_weekly_series_shows_unknown_motive_only_in_weeks_that_have_some() -> None:
    rows = [
        row(motive=None, status="abandoned", created_at=datetime(2026, 3, 10, 8, tzinfo=UTC)),
        row(created_at=datetime(2026, 3, 17, 8, tzinfo=UTC)),
    ]
    unknown = [p for p in weekly_series(rows, PARIS) if p.motive == UNKNOWN_MOTIVE]
    assert unknown == [WeeklyPoint(date(2026, 3, 9), UNKNOWN_MOTIVE, 1, 0, 0)]


def test_weekly_series_of_no_rows_is_empty() -> None:
    assert weekly_series([], PARIS) == []


def test_hour_weekday_matrix_uses_paris_hours() -> None:
    rows = [
        row(created_at=datetime(2026, 1, 5, 7, 15, tzinfo=UTC)),  # Monday 08:15 CET
        row(created_at=datetime(2026, 7, 5, 21, 59, tzinfo=UTC)),  # Sunday 23:59 CEST
    ]
    matrix = hour_weekday_matrix(rows, PARIS)
    assert len(matrix) == 7
    assert all(len(hours) == 24 for hours in matrix)
    assert matrix[0][8] == 1
    assert matrix[6][23] == 1
    assert sum(map(sum, matrix)) == 2


def test_aci_rows_group_by_paris_month_commune_and_motive() -> None:
    rows = [
        # 31 January 23:30 in Paris is still January even though it is 22:30 UTC.
        row(created_at=datetime(2026, 1, 31, 22, 30, tzinfo=UTC), commune="Paris", outcome="matched"),
        # 31 January 23:30 UTC is 1 February in Paris.
        row(created_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC), commune="Paris", outcome="no_solution"),
        row(created_at=datetime(2026, 1, 10, 9, tzinfo=UTC), commune=None, motive="visite_domicile"),
        row(created_at=datetime(2026, 1, 10, 9, tzinfo=UTC), commune="Bagnolet", outcome="oriented"),
    ]
    result = aci_rows(rows, PARIS)
    keys = [(r["month"], r["commune"], r["motive"]) for r in result]
    assert keys == [
        ("2026-01", "Bagnolet", "medecin_traitant"),
        ("2026-01", "Paris", "medecin_traitant"),
        ("2026-01", None, "visite_domicile"),
        ("2026-02", "Paris", "medecin_traitant"),
    ]
    paris_january = result[1]
    assert paris_january["requests"] == 1
    assert paris_january["matched"] == 1
    assert paris_january["match_rate"] == 1.0
    assert result[3]["match_rate"] == 0.0


def test_the_match_rate_definitions_say_what_is_divided_by_what() -> None:
    assert "÷" in MATCH_RATE_DEFINITION_FR and "issue" in MATCH_RATE_DEFINITION_FR
    assert "÷" in MATCH_RATE_DEFINITION_EN and "final outcome" in MATCH_RATE_DEFINITION_EN


# --- invariants --------------------------------------------------------------------------------------

_minutes = st.integers(0, 60 * 24 * 400)
_rows = st.builds(
    lambda motive, status, outcome, start, answer, callback: RequestRow(
        motive=motive,
        status=status,
        outcome=outcome,
        created_at=T0 + timedelta(minutes=start),
        connected_at=T0 + timedelta(minutes=start, seconds=answer) if answer is not None else None,
        callback_requested_at=T0 + timedelta(minutes=start + 1) if callback else None,
    ),
    st.sampled_from([*MOTIVES, None]),
    st.sampled_from(sorted(STATUSES)),
    st.sampled_from([*sorted(OUTCOMES), None]),
    _minutes,
    st.none() | st.integers(0, 3600),
    st.booleans(),
)


@given(st.lists(_rows, max_size=60))
@settings(max_examples=200)
def test_rates_stay_between_zero_and_one_and_counts_are_nested(rows: list[RequestRow]) -> None:
    figures = figures_by_motive(rows)
    for fig in figures.values():
        assert fig.matched <= fig.with_outcome <= fig.requests
        assert fig.matched + fig.oriented + fig.no_solution <= fig.with_outcome
        assert fig.connected <= fig.requests
        assert fig.abandoned <= fig.requests
        for rate in (fig.match_rate, fig.answer_rate, fig.abandon_rate):
            assert rate is None or 0 <= rate <= 1
        assert (fig.match_rate is None) == (fig.with_outcome == 0)
        if fig.median_seconds_to_answer is not None:
            assert fig.p90_seconds_to_answer is not None
            assert 0 <= fig.median_seconds_to_answer <= fig.p90_seconds_to_answer
    buckets = [figures[key] for key in (*MOTIVES, UNKNOWN_MOTIVE)]
    assert sum(f.requests for f in buckets) == figures[ALL].requests == len(rows)
    assert sum(f.matched for f in buckets) == figures[ALL].matched
    assert sum(f.with_outcome for f in buckets) == figures[ALL].with_outcome


@given(st.lists(_rows, max_size=60))
@settings(max_examples=100)
def test_weekly_series_monthly_rows_and_matrix_count_every_request_once(rows: list[RequestRow]) -> None:
    series = weekly_series(rows, PARIS)
    assert sum(p.requests for p in series) == len(rows)
    assert sum(p.matched for p in series) == sum(1 for r in rows if r.outcome == "matched")
    assert all(p.week_start.weekday() == 0 for p in series)
    assert sum(map(sum, hour_weekday_matrix(rows, PARIS))) == len(rows)
    assert sum(r["requests"] for r in aci_rows(rows, PARIS)) == len(rows)
