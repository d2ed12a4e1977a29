"""The shift feed: parsed back with icalendar and expanded with recurring_ical_events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import recurring_ical_events
from icalendar import Calendar

from volunteers.ical import describe_motives, occurrence_uid, shifts_calendar
from volunteers.rota import Rota
from volunteers.shifts import PARIS, Cancellation, OneOffShift, Replacement, WeeklyPattern

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LINE = "Ligne d'orientation CPTS Paris 20"


@dataclass(frozen=True)
class NoHolidays:
    def is_holiday(self, day: date) -> bool:
        return False


def rota() -> Rota:
    return Rota(
        [
            WeeklyPattern(1, 10, frozenset({5}), time(20), time(8), date(2026, 3, 1)),
            WeeklyPattern(
                2, 30, frozenset({1}), time(8), time(12), date(2026, 3, 1), motives=frozenset({"orientation"})
            ),
        ],
        [OneOffShift(7, 10, datetime(2026, 3, 25, 9, tzinfo=PARIS), datetime(2026, 3, 25, 11, tzinfo=PARIS))],
        cancellations=[Cancellation(1, date(2026, 3, 21))],
        replacements=[Replacement(2, date(2026, 3, 24), 10)],
    )


def feed() -> Calendar:
    occurrences = rota().occurrences(
        datetime(2026, 3, 1, tzinfo=PARIS), datetime(2026, 4, 1, tzinfo=PARIS), NoHolidays(), volunteer_id=10
    )
    return Calendar.from_ical(shifts_calendar("Dr Claire Martin", occurrences, LINE, NOW))


def test_the_feed_names_itself_after_the_line() -> None:
    calendar = feed()

    assert str(calendar["X-WR-CALNAME"]) == "Permanences – Ligne d'orientation CPTS Paris 20"
    assert str(calendar["VERSION"]) == "2.0"
    assert "Orientation" in str(calendar["PRODID"])


def test_the_events_between_two_dates_are_exactly_the_expected_shifts() -> None:
    events = recurring_ical_events.of(feed()).between(datetime(2026, 3, 14), datetime(2026, 3, 30))

    starts = sorted(event.decoded("DTSTART") for event in events)

    assert starts == [
        datetime(2026, 3, 14, 19, tzinfo=UTC),  # Saturday night, CET
        # 21 March is cancelled.
        datetime(2026, 3, 24, 7, tzinfo=UTC),  # the Tuesday morning taken over from volunteer 30
        datetime(2026, 3, 25, 8, tzinfo=UTC),  # the one-off shift
        datetime(2026, 3, 28, 19, tzinfo=UTC),  # the night of the spring change
    ]


def test_the_night_of_the_spring_change_lasts_eleven_hours_in_the_feed() -> None:
    [event] = recurring_ical_events.of(feed()).between(datetime(2026, 3, 28), datetime(2026, 3, 29))

    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=11)
    assert event.decoded("DTEND") == datetime(2026, 3, 29, 6, tzinfo=UTC)


def test_each_event_carries_a_stable_uid_the_stamp_and_french_text() -> None:
    events = {str(e["UID"]): e for e in feed().walk("VEVENT")}

    night = events["pattern-1-20260314@orientation.cpts"]
    taken_over = events["pattern-2-20260324@orientation.cpts"]
    one_off = events["shift-7-20260325@orientation.cpts"]

    assert night.decoded("DTSTAMP") == NOW
    assert str(night["SUMMARY"]) == "Permanence ligne d'orientation"
    assert str(night["DESCRIPTION"]) == "Motifs : tous vos motifs"
    assert str(taken_over["DESCRIPTION"]).startswith("Motifs : autre demande d'orientation\nVous remplacez")
    assert one_off.decoded("DTSTART") == datetime(2026, 3, 25, 8, tzinfo=UTC)


def test_the_same_occurrences_give_the_same_uids_on_every_refresh() -> None:
    first = [str(e["UID"]) for e in feed().walk("VEVENT")]
    second = [str(e["UID"]) for e in feed().walk("VEVENT")]

    assert first == second
    assert len(set(first)) == len(first)


def test_times_are_written_in_utc() -> None:
    occurrences = rota().on_duty(datetime(2026, 3, 14, 22, tzinfo=PARIS), NoHolidays())

    text = shifts_calendar("Dr Claire Martin", occurrences, LINE, NOW).decode()

    assert "DTSTART:20260314T190000Z" in text
    assert "DTEND:20260315T070000Z" in text


def test_motives_are_listed_in_french_in_menu_order() -> None:
    assert (
        describe_motives(frozenset({"visite_domicile", "medecin_traitant", "soins_non_programmes"}))
        == "Motifs : médecin traitant, visite à domicile, soins non programmés"
    )
    assert describe_motives(frozenset({"pediatrie"})) == "Motifs : pediatrie"


def test_a_uid_uses_the_local_date_the_shift_starts_on() -> None:
    early = Rota([WeeklyPattern(3, 10, frozenset({6}), time(0, 30), time(6), date(2026, 3, 1))])
    [occurrence] = early.on_duty(datetime(2026, 3, 15, 1, tzinfo=PARIS), NoHolidays())

    # 00:30 in Paris on Sunday 15 March is still Saturday 14 March in UTC: the UID follows Paris, the
    # date cancellations and replacements are keyed on.
    assert occurrence.starts_at == datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    assert occurrence_uid(occurrence) == "pattern-3-20260315@orientation.cpts"
