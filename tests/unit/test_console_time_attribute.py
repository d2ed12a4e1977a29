"""The machine-readable time of the console's <time datetime> attributes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from orientation.web.console.web import machine_datetime


def test_a_stored_time_with_microseconds_becomes_a_valid_html_datetime_to_the_second_in_utc() -> None:
    moment = datetime(2026, 11, 24, 10, 5, 7, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    assert machine_datetime(moment) == "2026-11-24T09:05:07+00:00"


def test_a_time_on_the_second_keeps_its_second() -> None:
    assert machine_datetime(datetime(2026, 3, 29, 1, 0, 0, tzinfo=ZoneInfo("UTC"))) == "2026-03-29T01:00:00+00:00"
