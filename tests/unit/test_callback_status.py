"""The call-back block of a request's page, pure: from the request, its attempts, the policy and a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Request
from orientation.web.console.callback_status import callback_status

NAMES = {1: "Dr Claire Martin", 2: "Marc Petit", 3: "Inès Roux"}
SETTINGS = {"callback_max_attempts": 4, "callback_spacing_minutes": 30}


def waiting(clock: FrozenClock, **fields: Any) -> Request:
    values: dict[str, Any] = {
        "status": "callback_pending",
        "caller": "+33611223344",
        "callback_requested_at": clock() - timedelta(hours=2),
        "callback_attempts": 0,
    }
    values.update(fields)
    return Request(**values)


def attempt(volunteer_id: int, offered_at: datetime, result: str | None = None, ended: bool = False) -> Attempt:
    return Attempt(
        kind="callback",
        volunteer_id=volunteer_id,
        offered_at=offered_at,
        result=result,
        ended_at=offered_at + timedelta(minutes=1) if ended else None,
    )


def test_a_round_in_progress_names_the_volunteer_asked_and_turns_the_button_off() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    request = waiting(clock, callback_attempts=1)
    attempts = [
        attempt(2, clock() - timedelta(minutes=6), "no_answer", ended=True),
        attempt(1, clock() - timedelta(minutes=2)),
    ]
    status = callback_status(request, attempts, SETTINGS, clock(), NAMES)
    assert status.state == "offering"
    assert (status.offered_to, status.offered_at) == (1, clock() - timedelta(minutes=2))
    assert [(p.volunteer_id, p.result) for p in status.passed] == [(2, "no_answer")]
    assert (status.failed_calls, status.max_attempts) == (1, 4)
    assert status.waiting_since == clock() - timedelta(hours=2)
    assert not status.can_trigger
    assert status.reason == "un tour de rappel est en cours : Dr Claire Martin est appelé(e)"


def test_a_volunteer_dialling_the_patient_keeps_the_button_off_until_the_dial_ends() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    request = waiting(clock)
    dialling = attempt(3, clock() - timedelta(minutes=1), "accepted")
    status = callback_status(request, [dialling], SETTINGS, clock(), NAMES)
    assert status.state == "dialling" and status.reason == "Inès Roux est en train de rappeler le patient"
    dialling.ended_at = clock()
    after = callback_status(request, [dialling], SETTINGS, clock(), NAMES)
    assert after.state == "waiting" and after.can_trigger


def test_between_rounds_the_next_round_is_given_and_a_new_round_may_start_at_once() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    request = waiting(clock, callback_attempts=2, next_callback_at=clock() + timedelta(minutes=30))
    status = callback_status(request, [], SETTINGS, clock(), NAMES)
    assert status.state == "waiting" and status.next_round_at == clock() + timedelta(minutes=30)
    assert not status.round_due and status.can_trigger
    assert status.button == "Relancer un tour de rappel maintenant"
    clock.advance(minutes=31)
    assert callback_status(request, [], SETTINGS, clock(), NAMES).round_due


def test_a_request_closed_as_unreachable_says_so_and_cannot_be_called_back() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    request = waiting(clock, status="closed", outcome="unreachable", callback_attempts=3, next_callback_at=None)
    status = callback_status(request, [], None, clock(), NAMES)
    assert status.state == "unreachable" and status.max_attempts == 3 and status.failed_calls == 3
    assert status.waiting_since is None and status.reason == "demande close"


def test_an_abandoned_call_may_be_called_back_and_an_unknown_number_may_not() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    abandoned = Request(status="abandoned", outcome="abandoned", caller="+33611223344", callback_attempts=0)
    status = callback_status(abandoned, [], None, clock(), NAMES)
    assert status.state == "none" and status.can_trigger and status.button == "Déclencher un rappel maintenant"
    hidden = Request(status="abandoned", outcome="abandoned", caller=None, callback_attempts=0)
    assert callback_status(hidden, [], None, clock(), NAMES).reason == "numéro du patient inconnu"
    live = Request(status="routing", caller="+33611223344", callback_attempts=0)
    assert callback_status(live, [], None, clock(), NAMES).reason == "appel en cours"


def test_a_patient_reached_by_a_call_back_is_shown_reached() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    request = waiting(clock, status="connected", callback_done_at=clock(), volunteer_id=1)
    done = attempt(1, clock() - timedelta(minutes=3), "accepted", ended=True)
    status = callback_status(request, [done], SETTINGS, clock(), NAMES)
    assert status.state == "reached" and status.can_trigger is True and status.passed == ()


def test_a_round_due_while_the_line_is_closed_waits_for_its_reopening() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 19, 30, tzinfo=UTC))
    request = waiting(clock, next_callback_at=clock() - timedelta(minutes=5))
    tomorrow = clock() + timedelta(hours=12)
    periods = [(tomorrow, tomorrow + timedelta(hours=10))]
    status = callback_status(request, [], SETTINGS, clock(), NAMES, periods)
    assert status.next_round_at == tomorrow and not status.round_due
    open_now = [(clock() - timedelta(hours=1), clock() + timedelta(hours=1))]
    now_status = callback_status(request, [], SETTINGS, clock(), NAMES, open_now)
    assert now_status.next_round_at == clock() and now_status.round_due


def test_a_next_round_after_closing_time_moves_to_the_next_opening() -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 17, 30, tzinfo=UTC))
    request = waiting(clock, next_callback_at=clock() + timedelta(hours=1))
    today = (clock() - timedelta(hours=9), clock() + timedelta(minutes=30))
    tomorrow = (clock() + timedelta(hours=14), clock() + timedelta(hours=26))
    status = callback_status(request, [], SETTINGS, clock(), NAMES, [tomorrow, today])
    assert status.next_round_at == tomorrow[0]
    assert callback_status(request, [], SETTINGS, clock(), NAMES).next_round_at == clock() + timedelta(hours=1)
