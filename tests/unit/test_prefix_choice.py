"""Choosing a free reference prefix: pure, over what the caller says is taken."""

from __future__ import annotations

from itertools import islice

import pytest

from orientation.services.territories import PrefixTaken, free_prefix, prefix_candidates


def test_candidates_are_the_prefix_then_numbered_variants_that_fit_six_characters() -> None:
    assert list(islice(prefix_candidates("b"), 4)) == ["B", "B2", "B3", "B4"]
    assert list(islice(prefix_candidates("ABCDEF"), 3)) == ["ABCDEF", "ABCDE2", "ABCDE3"]
    assert all(len(c) <= 6 for c in prefix_candidates("ABCDEF"))


def test_the_first_candidate_not_taken_is_chosen() -> None:
    taken = {"B", "B2", "B4"}

    assert free_prefix("B", taken.__contains__) == "B3"
    assert free_prefix("P20", taken.__contains__) == "P20"


def test_a_prefix_without_any_free_variant_is_refused() -> None:
    with pytest.raises(PrefixTaken):
        free_prefix("B", lambda _: True)
