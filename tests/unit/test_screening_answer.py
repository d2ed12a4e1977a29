"""The screening answer's decision: what the volunteer hears and whether the attempt changes."""

from __future__ import annotations

import pytest

from orientation.services.screening import answer_for


def test_a_1_on_a_patient_still_waiting_connects_and_records_the_acceptance() -> None:
    assert answer_for(True, None, "routing") == ("connecting", True)


def test_a_1_pressed_again_after_the_acceptance_connects_without_writing_anything() -> None:
    assert answer_for(True, "accepted", "connected") == ("connecting", False)


@pytest.mark.parametrize(("result", "status"), [(None, "connected"), (None, "abandoned"), ("declined", "routing")])
def test_a_1_too_late_hears_the_patient_is_gone_and_changes_nothing(result: str | None, status: str) -> None:
    assert answer_for(True, result, status) == ("gone", False)


def test_any_other_key_declines_once() -> None:
    assert answer_for(False, None, "routing") == ("declined", True)
    assert answer_for(False, "declined", "routing") == ("declined", False)
