"""Failed sends judged by Twilio's answer, the retry schedule, and delivery reports applied in any order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orientation.core import delivery

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("code", [21211, 21614, 21610, 21408, 21606, 21659, 21603, 21705])
def test_the_documented_permanent_errors_are_never_retried(code: int) -> None:
    assert delivery.judge(400, code) == "permanent"


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, None), (401, 20003)])
def test_throttling_server_errors_and_credentials_are_retried(status: int, code: int | None) -> None:
    assert delivery.judge(status, code) == "transient"


def test_another_refusal_of_the_request_is_permanent() -> None:
    assert delivery.judge(400, 21999) == "permanent"
    assert delivery.judge(404, 20404) == "permanent"


def test_a_call_without_an_answer_is_uncertain_only_when_twilio_may_have_placed_it() -> None:
    assert delivery.judge(None, None, maybe_created=False, channel="call") == "transient"
    assert delivery.judge(None, None, maybe_created=True, channel="call") == "uncertain"


def test_an_sms_without_an_answer_is_sent_again_rather_than_lost() -> None:
    assert delivery.judge(None, None, maybe_created=True, channel="sms") == "transient"


def test_retries_back_off_from_one_minute_to_at_most_thirty_then_stop() -> None:
    delays = [delivery.next_attempt_at(n, NOW) for n in range(1, delivery.MAX_ATTEMPTS + 1)]
    assert [d - NOW for d in delays[:-1] if d is not None] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert delays[-1] is None
    assert delivery.next_attempt_at(5, NOW) == NOW + timedelta(minutes=16)


def test_the_longest_wait_is_capped_at_thirty_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "MAX_ATTEMPTS", 20)
    assert delivery.next_attempt_at(10, NOW) == NOW + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("current", "reported", "after"),
    [
        ("sent", "delivered", "delivered"),
        ("sent", "undelivered", "undelivered"),
        ("sent", "failed", "failed"),
        ("queued", "sent", "sent"),
        ("sent", "sending", None),  # nothing new
        ("delivered", "sent", None),  # late: never undoes a final status
        ("undelivered", "delivered", None),
        ("sent", "no-such-status", None),
    ],
)
def test_a_delivery_report_moves_the_status_forward_only(current: str, reported: str, after: str | None) -> None:
    assert delivery.after_report(current, reported) == after
