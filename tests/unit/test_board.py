"""The live board, computed from plain values and a clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orientation.core.board import (
    FREE,
    OFFERED,
    ON_CALL,
    PAUSED,
    Board,
    VolunteerNow,
    WaitingCaller,
    build_board,
    state_of,
)
from orientation.core.stats import RequestRow
from orientation.core.stats_wait import WaitRow

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ALL_MOTIVES = frozenset({"medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"})


def ago(seconds: int) -> datetime:
    return NOW - timedelta(seconds=seconds)


def board(**overrides: Any) -> Board:
    values: dict[str, Any] = {
        "now": NOW,
        "waiting": [],
        "volunteers": [],
        "today_rows": [],
        "today_waits": [],
        "crisis_enabled": False,
        "crisis_offers": 3,
        "wait_limit_seconds": 300,
    }
    values.update(overrides)
    return build_board(**values)


def test_waiting_callers_are_grouped_per_motive_longest_wait_first_with_their_waits() -> None:
    result = board(
        waiting=[
            WaitingCaller("P20-2026-000003", "visite_domicile", ago(30)),
            WaitingCaller("P20-2026-000001", "visite_domicile", ago(200)),
            WaitingCaller("P20-2026-000002", "medecin_traitant", ago(75)),
        ]
    )

    lines = {line.motive: line for line in result.motives}
    assert list(lines) == ["medecin_traitant", "visite_domicile"]
    visits = lines["visite_domicile"]
    assert [(w.reference, w.waited_seconds) for w in visits.waiting] == [
        ("P20-2026-000001", 200),
        ("P20-2026-000003", 30),
    ]
    assert visits.longest_seconds == 200
    assert result.waiting_total == 3


def test_a_caller_waiting_past_the_limit_is_flagged() -> None:
    result = board(
        waiting=[
            WaitingCaller("P20-2026-000001", "orientation", ago(301)),
            WaitingCaller("P20-2026-000002", "orientation", ago(300)),
        ],
        wait_limit_seconds=300,
    )

    assert [w.over_limit for w in result.motives[0].waiting] == [True, False]


def test_a_wait_started_in_the_future_by_clock_skew_shows_zero_not_a_negative_wait() -> None:
    result = board(waiting=[WaitingCaller("P20-2026-000001", "orientation", NOW + timedelta(seconds=2))])

    assert result.motives[0].waiting[0].waited_seconds == 0


def test_a_volunteer_on_a_call_is_on_a_call_even_when_offered_or_paused() -> None:
    assert state_of(VolunteerNow(1, "A", ALL_MOTIVES, on_call=True, offered=True, paused=True)) == ON_CALL
    assert state_of(VolunteerNow(1, "A", ALL_MOTIVES, offered=True, paused=True)) == OFFERED
    assert state_of(VolunteerNow(1, "A", ALL_MOTIVES, paused=True)) == PAUSED
    assert state_of(VolunteerNow(1, "A", ALL_MOTIVES)) == FREE


def test_volunteers_are_counted_per_state_and_the_free_ones_per_motive_they_take() -> None:
    result = board(
        volunteers=[
            VolunteerNow(1, "Dr Zoé", frozenset({"visite_domicile"})),
            VolunteerNow(2, "Dr Alain", ALL_MOTIVES, on_call=True),
            VolunteerNow(3, "Inf. Basile", frozenset({"visite_domicile", "orientation"}), offered=True),
            VolunteerNow(4, "Dr Chloé", ALL_MOTIVES, paused=True),
        ]
    )

    assert result.states == {FREE: 1, OFFERED: 1, ON_CALL: 1, PAUSED: 1}
    lines = {line.motive: (line.on_duty, line.free) for line in result.motives}
    assert lines == {
        "medecin_traitant": (2, 0),
        "visite_domicile": (4, 1),
        "soins_non_programmes": (2, 0),
        "orientation": (3, 0),
    }
    # Free first, then offered, on a call, paused; by name within a state.
    assert [(v.name, v.state) for v in result.volunteers] == [
        ("Dr Zoé", FREE),
        ("Inf. Basile", OFFERED),
        ("Dr Alain", ON_CALL),
        ("Dr Chloé", PAUSED),
    ]
    assert result.volunteers[1].motives == ("visite_domicile", "orientation")


def test_a_caller_without_a_motive_is_shown_under_unknown_rather_than_lost() -> None:
    result = board(waiting=[WaitingCaller("P20-2026-000009", None, ago(10))])

    assert [line.motive for line in result.motives] == ["unknown"]
    assert result.waiting_total == 1


def test_todays_figures_count_calls_connections_and_the_waiting_line() -> None:
    rows = [
        RequestRow("visite_domicile", "connected", None, ago(600), connected_at=ago(500)),
        RequestRow("orientation", "abandoned", "abandoned", ago(400)),
        RequestRow("orientation", "routing", None, ago(100)),
    ]
    waits = [
        WaitRow("visite_domicile", ago(590), ago(500), "answered"),
        WaitRow("orientation", ago(390), ago(330), "hung_up"),
        WaitRow("orientation", ago(90), None, None),
    ]

    result = board(today_rows=rows, today_waits=waits)

    assert (result.today.requests, result.today.connected, result.today.abandoned) == (3, 1, 1)
    assert result.today.median_seconds_to_answer == 100
    assert (result.today_wait.waited, result.today_wait.waiting) == (3, 1)
    assert (result.today_wait.answered_from_line, result.today_wait.left_hung_up) == (1, 1)
    assert result.today_wait.median_wait_seconds == 75  # (90 + 60) / 2, over the callers who left the line


def test_the_board_carries_the_crisis_settings_and_the_instant_it_was_computed() -> None:
    result = board(crisis_enabled=True, crisis_offers=4, wait_limit_seconds=600)

    assert (result.at, result.crisis_enabled, result.crisis_offers, result.wait_limit_seconds) == (NOW, True, 4, 600)
    assert result.motives == ()
