"""Ring order (language, fairness, pauses, calls, exclusions) and load per volunteer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteers.rota import Rota
from volunteers.rota_cache import RotaSnapshot
from volunteers.routing import Candidate, Load, language_first, load_per_volunteer, ring_order, speakers_first

DOMICILE = "visite_domicile"
TRAITANT = "medecin_traitant"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 11, hour, minute, tzinfo=UTC)


def candidate(
    volunteer_id: int,
    motives: frozenset[str] = frozenset({DOMICILE, TRAITANT}),
    languages: frozenset[str] = frozenset({"fr"}),
    paused: bool = False,
    on_call: bool = False,
    last_offered_at: datetime | None = None,
) -> Candidate:
    return Candidate(volunteer_id, motives, languages, paused, on_call, last_offered_at)


def test_the_least_recently_offered_volunteer_is_rung_first() -> None:
    candidates = [
        candidate(1, last_offered_at=at(10)),
        candidate(2, last_offered_at=at(8)),
        candidate(3, last_offered_at=at(9)),
    ]

    assert ring_order(candidates, DOMICILE) == [2, 3, 1]


def test_a_volunteer_never_offered_a_call_comes_before_everyone_else() -> None:
    candidates = [candidate(1, last_offered_at=at(0)), candidate(2, last_offered_at=None)]

    assert ring_order(candidates, DOMICILE) == [2, 1]


def test_ties_are_broken_by_volunteer_id() -> None:
    candidates = [
        candidate(9, last_offered_at=at(8)),
        candidate(4, last_offered_at=at(8)),
        candidate(7),
        candidate(5),
    ]

    assert ring_order(candidates, DOMICILE) == [5, 7, 4, 9]


def test_speakers_of_the_requested_language_come_first_even_if_offered_more_recently() -> None:
    candidates = [
        candidate(1, languages=frozenset({"fr"}), last_offered_at=None),
        candidate(2, languages=frozenset({"fr", "ar"}), last_offered_at=at(11)),
        candidate(3, languages=frozenset({"ar"}), last_offered_at=at(12)),
        candidate(4, languages=frozenset({"en"}), last_offered_at=at(9)),
    ]

    assert ring_order(candidates, DOMICILE, language="ar") == [2, 3, 1, 4]


def test_french_is_the_default_language() -> None:
    candidates = [candidate(1, languages=frozenset({"en"})), candidate(2, last_offered_at=at(12))]

    assert ring_order(candidates, DOMICILE) == [2, 1]


def test_paused_busy_and_non_accepting_volunteers_are_left_out() -> None:
    candidates = [
        candidate(1, paused=True),
        candidate(2, on_call=True),
        candidate(3, motives=frozenset({TRAITANT})),
        candidate(4),
    ]

    assert ring_order(candidates, DOMICILE) == [4]


def test_volunteers_already_tried_for_the_request_are_excluded() -> None:
    candidates = [candidate(1), candidate(2), candidate(3)]

    assert ring_order(candidates, DOMICILE, exclude={1, 3}) == [2]
    assert ring_order(candidates, DOMICILE, exclude=[1, 2, 3]) == []


def test_a_volunteer_listed_twice_is_rung_once() -> None:
    candidates = [candidate(1, last_offered_at=at(9)), candidate(2), candidate(1, last_offered_at=at(9))]

    assert ring_order(candidates, DOMICILE) == [2, 1]


@settings(max_examples=200)
@given(
    st.lists(
        st.builds(
            candidate,
            volunteer_id=st.integers(1, 30),
            motives=st.frozensets(st.sampled_from([DOMICILE, TRAITANT]), max_size=2),
            languages=st.frozensets(st.sampled_from(["fr", "en", "ar"]), max_size=2),
            paused=st.booleans(),
            on_call=st.booleans(),
            last_offered_at=st.none() | st.datetimes(timezones=st.just(UTC)),
        ),
        max_size=30,
    ),
    st.sets(st.integers(1, 30), max_size=5),
)
def test_the_ring_order_only_holds_eligible_volunteers_once_each(
    candidates: list[Candidate], exclude: set[int]
) -> None:
    order = ring_order(candidates, DOMICILE, "ar", exclude)
    eligible = {
        c.volunteer_id
        for c in candidates
        if DOMICILE in c.motives and not c.paused and not c.on_call and c.volunteer_id not in exclude
    }

    assert len(order) == len(set(order))
    assert set(order) == eligible


def test_load_counts_offers_that_rang_and_acceptances_per_volunteer() -> None:
    attempts = [
        (2, "accepted"),
        (1, "declined"),
        (2, "no_answer"),
        (1, "accepted"),
        (2, "cancelled"),
        (3, "busy"),
        (3, "failed"),
        (1, "accepted"),
    ]

    assert load_per_volunteer(attempts) == [Load(1, 3, 2), Load(2, 3, 1), Load(3, 0, 0)]


def test_an_unknown_attempt_result_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown attempt result"):
        load_per_volunteer([(1, "voicemail")])


def test_the_acceptance_rate_is_undefined_when_nothing_was_offered() -> None:
    assert Load(1, 4, 1).acceptance_rate == 0.25
    assert Load(1, 0, 0).acceptance_rate is None


def test_language_first_puts_the_speakers_first_and_keeps_the_given_order_within_each_group() -> None:
    languages = {1: frozenset({"fr"}), 2: frozenset({"en"}), 3: frozenset({"fr", "en"}), 4: frozenset({"fr"})}
    assert language_first([4, 2, 1, 3], languages, "en") == [2, 3, 4, 1]
    assert language_first([4, 2, 1, 3], languages, "fr") == [4, 1, 3, 2]
    assert language_first([], languages, "fr") == []


def test_a_snapshots_speakers_give_the_order_language_first_gives() -> None:
    languages = {1: frozenset({"fr"}), 2: frozenset({"en"}), 3: frozenset({"fr", "en"}), 4: frozenset({"fr"})}
    snapshot = RotaSnapshot(rota=Rota(), motives={}, languages=languages)
    for language in ("en", "fr", "ar"):
        expected = language_first([4, 2, 1, 3], languages, language)
        assert speakers_first([4, 2, 1, 3], snapshot.speakers(language)) == expected
    assert snapshot.speakers("en") == {2, 3} and snapshot.speakers("en") is snapshot.speakers("en")


def test_when_everyone_speaks_the_language_the_order_is_kept_as_given_and_is_a_new_list() -> None:
    ordered = [4, 2, 1, 3]
    result = speakers_first(ordered, frozenset({1, 2, 3, 4, 5}))
    assert result == [4, 2, 1, 3] and result is not ordered
    assert speakers_first(ordered, {1, 2, 3, 4}) == [4, 2, 1, 3]
