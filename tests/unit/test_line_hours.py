"""Whether the line is open when a call comes in, and when it reopens, from its settings' plain values."""

from __future__ import annotations

from datetime import UTC, datetime

from callflows.line_hours import line_open
from orientation.core.calendar import PARIS


def test_a_line_open_all_the_time_is_open_with_no_reopening_to_say() -> None:
    assert line_open("24/7", None, "Europe/Paris", datetime(2026, 12, 25, 3, 0, tzinfo=UTC)) == (True, None)


def test_a_closed_line_says_when_it_next_opens_in_its_own_time_zone() -> None:
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=PARIS)

    assert line_open("Mo-Fr 08:00-20:00", None, "Europe/Paris", saturday) == (
        False,
        datetime(2026, 11, 30, 8, 0, tzinfo=PARIS).astimezone(UTC),
    )
    # The same wall-clock hours on Réunion's clock (UTC+4) open four hours earlier in UTC than in Paris (UTC+1).
    assert line_open("Mo-Fr 08:00-20:00", "974", "Indian/Reunion", saturday)[1] == datetime(
        2026, 11, 30, 4, 0, tzinfo=UTC
    )


def test_a_public_holiday_of_the_lines_subdivision_closes_a_line_off_on_holidays() -> None:
    good_friday = datetime(2026, 4, 3, 10, 0, tzinfo=PARIS)  # a holiday in Alsace-Moselle only

    assert line_open("Mo-Fr 08:00-20:00; PH off", None, "Europe/Paris", good_friday) == (True, None)
    assert line_open("Mo-Fr 08:00-20:00; PH off", "57", "Europe/Paris", good_friday)[0] is False


def test_hours_that_do_not_parse_never_close_the_line() -> None:
    assert line_open("Mo-Fr 8h-20h", None, "Europe/Paris", datetime(2026, 11, 28, 15, 0, tzinfo=PARIS)) == (True, None)


def test_a_line_open_only_on_a_day_that_never_comes_has_no_reopening() -> None:
    assert line_open("off", None, "Europe/Paris", datetime(2026, 11, 28, 15, 0, tzinfo=PARIS)) == (False, None)
