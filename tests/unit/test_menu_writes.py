"""The menu answer's writes: a miss counted, the motive recorded, or nothing."""

from __future__ import annotations

from orientation.services.menu_step import MenuWrites, writes_for


def test_a_key_records_its_motive_without_a_miss() -> None:
    assert writes_for("visite_domicile", False, False, None) == MenuWrites(False, "visite_domicile")


def test_an_answer_not_understood_counts_a_miss_and_records_no_motive() -> None:
    assert writes_for(None, True, False, None) == MenuWrites(True, None)


def test_a_star_writes_nothing() -> None:
    assert writes_for(None, False, False, None) == MenuWrites(False, None)


def test_the_last_silence_counts_a_miss_and_records_the_default_motive() -> None:
    assert writes_for("orientation", False, True, None) == MenuWrites(True, "orientation", True)


def test_a_key_once_the_motive_is_chosen_keeps_the_first_motive() -> None:
    assert writes_for("soins_non_programmes", False, False, "visite_domicile") == MenuWrites(False, None)
    assert writes_for("orientation", False, True, "visite_domicile") == MenuWrites(False, None)


def test_an_answer_not_understood_counts_even_once_the_motive_is_chosen() -> None:
    assert writes_for(None, True, False, "visite_domicile") == MenuWrites(True, None)
