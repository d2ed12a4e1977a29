"""Which dial actions find their ring already settled: goodbye, nothing to write."""

from __future__ import annotations

import pytest

from orientation.services.dial_step import already_settled, may_be_settled


def test_an_accepted_ring_already_ended_is_settled() -> None:
    assert already_settled("accepted", True)


def test_an_accepted_ring_not_ended_yet_is_judged_by_the_dial_action() -> None:
    # The conversation is finished, and the outcome request sent, by the dial action itself.
    assert not already_settled("accepted", False)


@pytest.mark.parametrize("result", [None, "declined", "no_answer", "busy", "cancelled"])
@pytest.mark.parametrize("ended", [False, True])
def test_any_other_ring_is_judged_on_the_locked_path(result: str | None, ended: bool) -> None:
    # Their answer depends on the request (still routing?) and the call (caller gone?): read under lock.
    assert not already_settled(result, ended)


def test_only_an_answered_ring_is_worth_the_narrow_read_first() -> None:
    assert may_be_settled("completed") and may_be_settled("COMPLETED")
    assert not any(may_be_settled(status) for status in ("busy", "no-answer", "failed", "canceled", "", None))
