"""The crisis announcement decision: plain values in, the words to say out."""

from __future__ import annotations

from callflows.crisis import announcement


def test_crisis_mode_on_with_a_text_says_the_text() -> None:
    assert announcement(True, "Forte affluence.") == ["Forte affluence."]


def test_crisis_mode_off_says_nothing_even_with_a_text() -> None:
    assert announcement(False, "Forte affluence.") == []


def test_an_empty_or_blank_text_says_nothing() -> None:
    assert announcement(True, None) == []
    assert announcement(True, "") == []
    assert announcement(True, " \n\t ") == []


def test_line_breaks_and_runs_of_spaces_are_said_as_one_space() -> None:
    assert announcement(True, "Forte\naffluence :   patientez.") == ["Forte affluence : patientez."]


def test_braces_are_said_as_written_not_formatted() -> None:
    assert announcement(True, "Tapez {1}") == ["Tapez {1}"]
