"""The private iCalendar feed at /ical/<secret>.ics, parsed back as a calendar app would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import recurring_ical_events
from flask import Flask
from icalendar import Calendar
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.services.tokens import create_token
from tests import factories
from tests.conftest import PARIS, PUBLIC_BASE_URL
from volunteers.models import Shift, ShiftException, ShiftPattern

DECEMBER, NEW_YEAR = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def _feed(app: Flask, secret: str) -> Calendar:
    response = app.test_client().get(f"/ical/{secret}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "private" in response.headers["Cache-Control"]
    return Calendar.from_ical(response.data)


def test_a_volunteer_subscribes_to_their_shifts_with_cancellations_and_replacements_applied(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Martin")
    durand = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Durand")
    nights = ShiftPattern(volunteer_id=martin.id, weekdays=[5], start_time="20:00", end_time="08:00",
                          valid_from=date(2026, 1, 1), valid_until=None, motives=["visite_domicile"],
                          holidays="include", created_at=clock())  # fmt: skip
    session.add(nights)
    session.flush()
    session.add_all(
        [
            ShiftException(pattern_id=nights.id, on_date=date(2026, 12, 5), created_at=clock()),
            ShiftException(
                pattern_id=nights.id, on_date=date(2026, 12, 12), replacement_volunteer_id=durand.id, created_at=clock()
            ),
            Shift(
                volunteer_id=martin.id,
                starts_at=datetime(2026, 12, 2, 9, tzinfo=PARIS),
                ends_at=datetime(2026, 12, 2, 12, tzinfo=PARIS),
                motives=[],
                created_at=clock(),
            ),
        ]
    )
    session.commit()

    calendar = _feed(app, martin.ical_secret)
    assert "Paris 20" in str(calendar["X-WR-CALNAME"])
    december = recurring_ical_events.of(calendar).between(DECEMBER, NEW_YEAR)
    starts = sorted(event["DTSTART"].dt.astimezone(PARIS) for event in december)
    assert starts == [
        datetime(2026, 12, 2, 9, tzinfo=PARIS),
        datetime(2026, 12, 19, 20, tzinfo=PARIS),
        datetime(2026, 12, 26, 20, tzinfo=PARIS),
    ]
    night = next(e for e in december if e["DTSTART"].dt.astimezone(PARIS).day == 19)
    assert night["DTEND"].dt - night["DTSTART"].dt == timedelta(hours=12)
    assert "visite à domicile" in str(night["DESCRIPTION"])

    # The replacement sees the night they took, marked as such.
    taken = recurring_ical_events.of(_feed(app, durand.ical_secret)).between(DECEMBER, NEW_YEAR)
    assert [e["DTSTART"].dt.astimezone(PARIS) for e in taken] == [datetime(2026, 12, 12, 20, tzinfo=PARIS)]
    assert "remplacez" in str(taken[0]["DESCRIPTION"])


def test_the_feed_covers_thirty_days_back_and_six_months_ahead_with_nights_across_dst(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 2, 15, 12, tzinfo=PARIS))
    territory = factories.territory(session, clock())
    night = factories.volunteer(session, territory, clock(), on_shift=False)
    session.add(ShiftPattern(volunteer_id=night.id, weekdays=[5], start_time="20:00", end_time="08:00",
                             valid_from=date(2025, 1, 1), valid_until=None, motives=[], holidays="include",
                             created_at=clock()))  # fmt: skip
    session.commit()
    events = list(_feed(app, night.ical_secret).walk("VEVENT"))
    starts = sorted(e["DTSTART"].dt for e in events)
    assert starts[0].astimezone(PARIS).date() == date(2026, 1, 17)  # the first Saturday within 30 days back
    assert starts[-1].astimezone(PARIS).date() <= date(2026, 8, 14)
    lengths = {e["DTSTART"].dt.astimezone(PARIS).date(): e["DTEND"].dt - e["DTSTART"].dt for e in events}
    assert lengths[date(2026, 3, 28)] == timedelta(hours=11)
    assert lengths[date(2026, 3, 21)] == timedelta(hours=12)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_an_unknown_secret_is_not_found(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    client = app.test_client()
    assert client.get("/ical/not-a-secret.ics").status_code == 404
    assert client.get("/ical/" + "x" * 500 + ".ics").status_code == 404
    assert client.get("/ical/.ics").status_code == 404


def test_the_coordinator_reads_the_feed_address_and_can_replace_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    token = create_token(session, "rota", territory.id, clock())
    session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = client.get(f"/api/v1/volunteers/{volunteer.id}/ical", headers=headers).get_json()["url"]
    assert url == f"{PUBLIC_BASE_URL}/ical/{volunteer.ical_secret}.ics"
    old_path = url.removeprefix(PUBLIC_BASE_URL)
    assert client.get(old_path).status_code == 200

    new_url = client.post(f"/api/v1/volunteers/{volunteer.id}/ical", headers=headers).get_json()["url"]
    assert new_url != url
    assert client.get(old_path).status_code == 404
    assert client.get(new_url.removeprefix(PUBLIC_BASE_URL)).status_code == 200
    assert client.get("/api/v1/volunteers/999999/ical", headers=headers).status_code == 404
