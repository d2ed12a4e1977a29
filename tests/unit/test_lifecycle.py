"""The request state machine and the judgement of one ring of a volunteer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.lifecycle import (
    ATTEMPT_RESULTS,
    FINAL,
    OUTCOMES,
    STATUSES,
    WAITING,
    TransitionError,
    attempt_result_from_dial,
    can_move,
    move,
    status_for_outcome,
)

ALLOWED = [
    ("received", "in_menu"),
    ("in_menu", "routing"),
    ("routing", "connected"),
    ("routing", "callback_pending"),
    ("connected", "closed"),
    ("callback_pending", "connected"),
    ("callback_pending", "closed"),
    ("received", "callback_pending"),  # the line is closed: a message straight away
    ("in_menu", "abandoned"),
    ("routing", "abandoned"),
    ("abandoned", "callback_pending"),  # a caller who hung up is still called back
    ("abandoned", "closed"),
]

FORBIDDEN = [
    ("closed", "received"),
    ("closed", "routing"),
    ("closed", "connected"),
    ("closed", "callback_pending"),
    ("closed", "abandoned"),
    ("connected", "abandoned"),  # once put through, hanging up is not abandoning
    ("connected", "routing"),
    ("connected", "in_menu"),
    ("routing", "in_menu"),
    ("routing", "received"),
    ("in_menu", "received"),
    ("received", "connected"),  # nobody is connected without being routed
    ("in_menu", "connected"),
    ("callback_pending", "abandoned"),
    ("callback_pending", "routing"),
    ("abandoned", "connected"),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_a_request_follows_the_call(current: str, target: str) -> None:
    assert can_move(current, target)
    assert move(current, target) == target


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_a_request_never_goes_back_or_skips_a_step(current: str, target: str) -> None:
    assert not can_move(current, target)
    with pytest.raises(TransitionError, match=f"from {current} to {target}"):
        move(current, target)


@pytest.mark.parametrize("status", STATUSES)
def test_staying_in_the_same_status_is_allowed(status: str) -> None:
    assert move(status, status) == status


@pytest.mark.parametrize(("current", "target"), [("bogus", "bogus"), ("bogus", "closed"), ("routing", "bogus")])
def test_a_status_the_lifecycle_does_not_know_goes_nowhere(current: str, target: str) -> None:
    assert not can_move(current, target)
    with pytest.raises(TransitionError):
        move(current, target)


@pytest.mark.parametrize("status", sorted(set(STATUSES) - {"closed"}))
def test_every_request_can_still_be_closed(status: str) -> None:
    assert can_move(status, "closed")


def test_a_closed_request_stays_closed() -> None:
    assert [s for s in STATUSES if can_move("closed", s)] == ["closed"]


def test_hanging_up_before_being_connected_abandons_only_a_waiting_request() -> None:
    assert {s for s in STATUSES if s != "abandoned" and can_move(s, "abandoned")} == WAITING


def test_waiting_and_final_statuses_are_known_and_apart() -> None:
    assert (FINAL | WAITING).issubset(STATUSES)
    assert not FINAL & WAITING


@given(st.lists(st.sampled_from(STATUSES), max_size=12))
@settings(max_examples=200)
def test_any_allowed_path_from_received_ends_in_a_known_status(path: list[str]) -> None:
    status = "received"
    for target in path:
        if can_move(status, target):
            status = move(status, target)
        else:
            with pytest.raises(TransitionError):
                move(status, target)

    assert status in STATUSES


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("status", ["connected", "callback_pending", "abandoned", "closed"])
def test_setting_an_outcome_closes_the_request(status: str, outcome: str) -> None:
    assert status_for_outcome(status, outcome) == "closed"


@pytest.mark.parametrize("status", STATUSES)
def test_clearing_an_outcome_leaves_the_status_as_it_is(status: str) -> None:
    assert status_for_outcome(status, None) == status


# ---------------------------------------------------------------- one ring of a volunteer


@pytest.mark.parametrize(
    ("accepted", "dial_status", "bridged", "declined", "result"),
    [
        (True, "completed", True, False, "accepted"),
        (True, "completed", None, False, "accepted"),  # DialBridged not sent: the app's record of the 1 holds
        (True, "completed", False, False, "failed"),  # pressed 1 but the patient had gone
        (True, "no-answer", False, False, "failed"),
        (False, "completed", None, True, "declined"),
        (False, "busy", None, False, "busy"),
        (False, "no-answer", None, False, "no_answer"),
        (False, "failed", None, False, "failed"),
        (False, "canceled", None, False, "cancelled"),
        (False, "completed", True, False, "no_answer"),  # a voicemail picked up and never pressed 1
        (False, "completed", None, False, "no_answer"),
        (False, "answered", None, False, "no_answer"),
        (False, None, None, False, "no_answer"),  # the <Dial> action lost its status
        (False, "BUSY", None, False, "busy"),
        (False, "Canceled", None, False, "cancelled"),
    ],
)
def test_a_ring_is_judged_from_the_pressed_key_first_then_twilio(
    accepted: bool, dial_status: str | None, bridged: bool | None, declined: bool, result: str
) -> None:
    assert attempt_result_from_dial(accepted, dial_status, bridged, declined) == result


@given(
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled", "answered"])),
    st.one_of(st.none(), st.booleans()),
    st.booleans(),
)
@settings(max_examples=200)
def test_only_a_pressed_one_makes_an_accepted_ring(
    accepted: bool, dial_status: str | None, bridged: bool | None, declined: bool
) -> None:
    result = attempt_result_from_dial(accepted, dial_status, bridged, declined)

    assert result in ATTEMPT_RESULTS
    assert (result == "accepted") == (accepted and bridged is not False)
