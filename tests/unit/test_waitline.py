"""The waiting line's decisions over plain values (orientation.core.waitline) and its French words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orientation.core import waitline as wl
from orientation.core.prompts import spoken_duration, spoken_rank

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def caller(request_id: int, seconds: int, motive: str = "visite_domicile", language: str = "fr") -> wl.Waiting:
    return wl.Waiting(request_id, T0 + timedelta(seconds=seconds), motive, language)


def volunteer(volunteer_id: int, *motives: str, languages: tuple[str, ...] = ("fr",)) -> wl.FreeVolunteer:
    return wl.FreeVolunteer(volunteer_id, frozenset(motives or ("visite_domicile",)), frozenset(languages))


def test_a_caller_waits_when_every_eligible_volunteer_on_duty_is_busy() -> None:
    assert wl.joins_line(on_duty=[1, 2], busy={1, 2}, tried=[])


def test_a_caller_does_not_wait_when_nobody_is_on_duty() -> None:
    assert not wl.joins_line(on_duty=[], busy={1, 2}, tried=[])


def test_a_caller_does_not_wait_for_volunteers_who_already_declined_them() -> None:
    assert not wl.joins_line(on_duty=[1, 2], busy={1}, tried=[1, 2])
    assert wl.joins_line(on_duty=[1, 2], busy={2}, tried=[1])


def test_the_longest_waiting_caller_the_volunteer_can_take_is_next() -> None:
    line = [caller(3, 30), caller(1, 10, "medecin_traitant"), caller(2, 20)]

    assert wl.next_for(volunteer(9, "visite_domicile"), line) == line[2]
    assert wl.next_for(volunteer(9, "medecin_traitant", "visite_domicile"), line) == line[1]


def test_a_caller_already_offered_is_not_offered_again() -> None:
    line = [caller(1, 10), caller(2, 20)]

    assert wl.next_for(volunteer(9), line, taken={1}) == line[1]
    assert wl.next_for(volunteer(9), line, taken={1, 2}) is None


def test_a_caller_speaking_another_language_goes_to_a_volunteer_who_speaks_it() -> None:
    line = [caller(1, 10, language="en"), caller(2, 20)]

    assert wl.next_for(volunteer(9), line) == line[1]
    assert wl.next_for(volunteer(8, languages=("fr", "en")), line) == line[0]


def test_two_callers_of_the_same_instant_are_served_by_request_id() -> None:
    assert [w.request_id for w in wl.in_order([caller(5, 0), caller(4, 0)])] == [4, 5]


def test_the_position_counts_only_the_callers_ahead_that_the_same_volunteers_can_take() -> None:
    line = [caller(1, 10, "medecin_traitant"), caller(2, 20), caller(3, 30)]
    volunteers = [volunteer(9, "visite_domicile")]

    assert wl.position(3, line, volunteers) == 2
    assert wl.position(3, line) == 3  # without the volunteers, every caller ahead counts
    assert wl.position(2, line, volunteers) == 1
    assert wl.position(42, line) is None


def test_no_estimate_is_given_without_enough_answered_waits() -> None:
    assert wl.estimated_wait_seconds(1, [60, 90], volunteers=2) is None
    assert wl.estimated_wait_seconds(1, [60, 90, 120], volunteers=0) is None


def test_the_estimate_scales_the_median_wait_by_the_rounds_ahead() -> None:
    assert wl.estimated_wait_seconds(1, [60, 90, 120], volunteers=2) == 90
    assert wl.estimated_wait_seconds(3, [60, 90, 120, 100], volunteers=2) == 190


def test_outside_crisis_one_volunteer_is_offered_a_caller() -> None:
    free = [volunteer(1), volunteer(2), volunteer(3)]

    assert wl.offers_for(caller(7, 0), free, crisis=False, crisis_offers=3) == [1]


def test_in_crisis_up_to_n_free_volunteers_who_can_take_the_caller_are_offered_it() -> None:
    free = [volunteer(1), volunteer(2, "medecin_traitant"), volunteer(3), volunteer(4), volunteer(5)]

    assert wl.offers_for(caller(7, 0), free, crisis=True, crisis_offers=3) == [1, 3, 4]


def test_a_volunteer_already_offered_a_call_is_never_offered_a_second() -> None:
    free = [volunteer(1), volunteer(2), volunteer(3)]

    assert wl.offers_for(caller(7, 0), free, crisis=True, crisis_offers=3, offered={1, 3}) == [2]


def test_the_wait_limit_is_passed_at_the_limit_not_before() -> None:
    assert not wl.wait_limit_passed(T0, T0 + timedelta(seconds=299), 300)
    assert wl.wait_limit_passed(T0, T0 + timedelta(seconds=300), 300)
    assert wl.waited_seconds(T0, T0 - timedelta(seconds=5)) == 0


def test_only_the_key_1_leaves_the_line() -> None:
    assert wl.leaves_by_key("1")
    assert not wl.leaves_by_key("2")
    assert not wl.leaves_by_key(None)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "première"),
        (2, "deuxième"),
        (4, "quatrième"),
        (5, "cinquième"),
        (9, "neuvième"),
        (11, "onzième"),
        (17, "dix-septième"),
        (21, "vingt-et-unième"),
        (71, "soixante-et-onzième"),
        (80, "quatre-vingtième"),
        (99, "quatre-vingt-dix-neuvième"),
        (100, "centième"),
        (200, "deux-centième"),
    ],
)
def test_a_place_in_the_line_is_a_french_feminine_ordinal(n: int, words: str) -> None:
    assert spoken_rank(n) == words


def test_a_wait_is_said_in_whole_minutes_rounded_up() -> None:
    assert spoken_duration(20) == "moins d'une minute"
    assert spoken_duration(60) == "1 minute"
    assert spoken_duration(61) == "2 minutes"
