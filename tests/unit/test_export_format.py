"""The CSV cells and the period of the exports, as plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from orientation.exports import commune_of, format_cell, period_bounds

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("column", "value", "cell"),
    [
        ("match_rate", None, ""),
        ("match_rate", 2 / 3, "0.6667"),
        ("match_rate", 1.0, "1.0000"),
        ("answer_rate", 0.0, "0.0000"),
        ("median_seconds_to_answer", 12.25, "12.2"),
        ("median_callback_delay_seconds", 3600.0, "3600.0"),
        ("requests", 0, "0"),
        ("commune", "Paris 20e", "Paris 20e"),
        ("in_territory", False, "false"),
        ("had_message", True, "true"),
    ],
)
def test_each_cell_is_written_as_the_report_reads_it(column: str, value: object, cell: str) -> None:
    assert format_cell(column, value) == cell


def test_a_period_covers_whole_local_days_across_the_autumn_clock_change() -> None:
    since, until = period_bounds(date(2026, 10, 1), date(2026, 10, 31), PARIS)

    assert since == datetime(2026, 10, 1, tzinfo=PARIS) and since.utcoffset() is not None
    assert until == datetime(2026, 11, 1, tzinfo=PARIS)
    # Same-zone subtraction in Python reads wall clocks: in UTC, October 2026 has its 25-hour day.
    assert (until.astimezone(UTC) - since.astimezone(UTC)).total_seconds() == 31 * 86400 + 3600


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before its start"):
        period_bounds(date(2026, 11, 2), date(2026, 11, 1), PARIS)


def test_a_commune_is_named_when_known_else_the_postcode_stands_for_it() -> None:
    names = {"75020": "Paris"}

    assert commune_of("75020", names) == "Paris"
    assert commune_of("93100", names) == "93100"
    assert commune_of(None, names) is None and commune_of("", names) is None
