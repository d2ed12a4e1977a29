"""Which caller numbers the inbound call's one look-up can match without knowing the line's region; the line's words."""

from __future__ import annotations

from typing import Any

from orientation.core import prompts
from orientation.services.inbound import Line, region_free_number


def test_an_international_spelling_is_read_without_the_region() -> None:
    assert region_free_number("+33612345678") == (True, "+33612345678")
    assert region_free_number(" 0033612345678 ") == (True, "+33612345678")


def test_a_hidden_or_odd_number_is_known_to_be_nobody() -> None:
    assert region_free_number(None) == (True, None)
    assert region_free_number("") == (True, None)
    assert region_free_number("+266696687") == (True, None)


def test_a_national_spelling_needs_the_lines_region() -> None:
    assert region_free_number("0612345678") == (False, None)
    assert region_free_number("anonymous") == (False, None)


def _line(settings: dict[str, Any] | None) -> Line:
    return Line(1, "CPTS Paris 20", "P20", "FR", "Europe/Paris", None, "24/7", settings, False, None)


def test_the_line_speaks_its_own_wording_over_the_catalogues() -> None:
    own = _line({"prompts": {"welcome": "Bienvenue à la {territory}."}})

    assert own.say()("welcome", territory="CPTS Paris 20") == "Bienvenue à la CPTS Paris 20."
    assert own.say()("menu") == prompts.text("menu")


def test_a_line_without_settings_speaks_the_catalogue() -> None:
    for settings in (None, {}, {"prompts": None}):
        assert _line(settings).say()("welcome", territory="CPTS X") == prompts.text("welcome", territory="CPTS X")
