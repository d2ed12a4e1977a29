"""The one rule for a volunteer's own pause: who may, until when, and which motives it leaves uncovered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orientation.core.clock import FrozenClock
from volunteers.pause_rules import INACTIVE, NO_SHIFT, decide_pause
from volunteers.shifts import Occurrence

ALL = frozenset({"medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"})
CLOCK = FrozenClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))


def _shift(volunteer_id: int, start_h: float, end_h: float, motives: frozenset[str] = frozenset()) -> Occurrence:
    now = CLOCK()
    return Occurrence(volunteer_id, now + timedelta(hours=start_h), now + timedelta(hours=end_h), motives)


def _decide(**overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "active": True,
        "own_shifts": [_shift(1, -2, 4)],
        "on_duty": [_shift(1, -2, 4)],
        "volunteer_motives": {1: ALL, 2: ALL},
        "available": {1, 2},
        "line_open": True,
        "now": CLOCK(),
    }
    values.update(overrides)
    return decide_pause(1, **values)  # type: ignore[arg-type]


def test_a_deactivated_volunteer_is_never_paused() -> None:
    decision = _decide(active=False)
    assert not decision.allowed and decision.refused == INACTIVE and decision.until is None


def test_a_pause_during_a_shift_ends_with_that_shift() -> None:
    decision = _decide(own_shifts=[_shift(1, -2, 4), _shift(1, 20, 26)])
    assert decision.allowed and decision.current and decision.until == CLOCK() + timedelta(hours=4)


def test_two_overlapping_shifts_in_progress_end_the_pause_with_the_later_one() -> None:
    decision = _decide(own_shifts=[_shift(1, -2, 1), _shift(1, -1, 3)])
    assert decision.until == CLOCK() + timedelta(hours=3)


def test_a_pause_between_shifts_covers_the_next_shift_only() -> None:
    decision = _decide(own_shifts=[_shift(1, 30, 34), _shift(1, 5, 8), _shift(1, -6, -1)], on_duty=[])
    assert decision.allowed and not decision.current
    assert decision.until == CLOCK() + timedelta(hours=8)
    assert decision.uncovered == ()


def test_a_volunteer_without_any_shift_to_come_is_refused_not_paused_forever() -> None:
    decision = _decide(own_shifts=[_shift(1, -6, -1), _shift(2, 1, 5)], on_duty=[])
    assert not decision.allowed and decision.refused == NO_SHIFT and decision.until is None


def test_a_shift_ending_right_now_is_over() -> None:
    decision = _decide(own_shifts=[_shift(1, -6, -2)], on_duty=[], now=CLOCK() - timedelta(hours=2))
    assert decision.refused == NO_SHIFT


def test_the_last_volunteer_on_duty_leaves_every_motive_of_theirs_uncovered() -> None:
    decision = _decide(volunteer_motives={1: frozenset({"visite_domicile", "orientation"})})
    assert decision.uncovered == ("visite_domicile", "orientation")


def test_a_colleague_on_duty_and_available_covers_what_they_take() -> None:
    colleague = _shift(2, -1, 2, frozenset({"medecin_traitant", "orientation"}))
    decision = _decide(on_duty=[_shift(1, -2, 4), colleague])
    assert decision.uncovered == ("visite_domicile", "soins_non_programmes")


def test_a_paused_colleague_covers_nothing() -> None:
    decision = _decide(on_duty=[_shift(1, -2, 4), _shift(2, -1, 2)], available={1})
    assert set(decision.uncovered) == ALL


def test_a_colleague_whose_shift_is_not_in_progress_covers_nothing() -> None:
    decision = _decide(on_duty=[_shift(1, -2, 4), _shift(2, 1, 3)])
    assert set(decision.uncovered) == ALL


def test_a_shift_narrowed_to_some_motives_leaves_only_those_uncovered() -> None:
    mine = _shift(1, -2, 4, frozenset({"visite_domicile"}))
    decision = _decide(own_shifts=[mine], on_duty=[mine])
    assert decision.uncovered == ("visite_domicile",)


def test_nothing_is_uncovered_while_the_line_is_closed() -> None:
    decision = _decide(line_open=False)
    assert decision.allowed and decision.current and decision.uncovered == ()
