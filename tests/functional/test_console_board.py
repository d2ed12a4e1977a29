"""The live board page over real rows: waiting callers, volunteers' states, today's figures (issue 19)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Request, Territory
from tests import factories
from tests.conftest import PARIS
from tests.functional.console_client import account, login
from volunteers.models import Volunteer

CALLER = "+33611223344"


def coordinator(app: Flask, session: Session, clock: FrozenClock) -> tuple[Territory, FlaskClient, str]:
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    return territory, login(app, "coord@example.org"), f"/t/{territory.id}/direct"


def request_row(session: Session, territory: Territory, number: int, created: datetime, **values: object) -> Request:
    fields: dict[str, object] = {
        "territory_id": territory.id,
        "reference": f"P20-2026-{number:06d}",
        "call_sid": f"CA{number:032d}",
        "caller": CALLER,
        "motive": "visite_domicile",
        "status": "routing",
        "created_at": created,
        "updated_at": created,
    }
    fields.update(values)
    request = Request(**fields)
    session.add(request)
    session.flush()
    return request


def value(page: str, attribute: str, name: str, scope: str = "") -> str:
    match = re.search(scope + rf'{attribute}="{name}"[^>]*data-value="([^"]*)"', page, flags=re.S)
    assert match, f"{attribute}={name} not on the page"
    return match.group(1)


def test_the_board_shows_waiting_callers_by_reference_with_their_waits_and_never_their_number(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=PARIS))
    territory, client, page = coordinator(app, session, clock)
    now = clock()
    request_row(session, territory, 1, now - timedelta(seconds=150), wait_started_at=now - timedelta(seconds=125))
    request_row(session, territory, 2, now - timedelta(seconds=40), wait_started_at=now - timedelta(seconds=20))
    request_row(  # left the line: not waiting any more
        session,
        territory,
        3,
        now - timedelta(seconds=600),
        wait_started_at=now - timedelta(seconds=590),
        wait_ended_at=now - timedelta(seconds=500),
        wait_end="hung_up",
        status="abandoned",
    )
    session.commit()

    response = client.get(page)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="10">' in html
    visits = html[html.index('data-motive="visite_domicile"') :]
    assert visits.index("P20-2026-000001") < visits.index("P20-2026-000002")
    assert "P20-2026-000001 · 2 min 05 s" in html and "P20-2026-000002 · 20 s" in html
    assert "P20-2026-000003" not in html
    assert 'data-waiting-total="2"' in html
    for shown in (CALLER, "06 11 22 33 44", "0611223344", "611223344"):
        assert shown not in html


def test_volunteers_on_duty_are_shown_free_on_a_call_offered_or_paused(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=PARIS))
    territory, client, page = coordinator(app, session, clock)
    now = clock()
    free = factories.volunteer(session, territory, now, name="Dr Libre")
    talking = factories.volunteer(session, territory, now, name="Dr En Ligne")
    ringing = factories.volunteer(session, territory, now, name="Dr Sonnerie")
    resting = factories.volunteer(session, territory, now, name="Dr Repos")
    factories.volunteer(session, territory, now, name="Dr Absent", on_shift=False)
    connected = request_row(session, territory, 1, now - timedelta(minutes=5), status="connected")
    waiting = request_row(
        session, territory, 2, now - timedelta(minutes=1), wait_started_at=now - timedelta(seconds=50)
    )
    session.add_all(
        [
            Attempt(
                request_id=connected.id,
                volunteer_id=talking.id,
                seq=1,
                result="accepted",
                offered_at=now - timedelta(minutes=4),
                answered_at=now - timedelta(minutes=4),
            ),
            Attempt(request_id=waiting.id, volunteer_id=ringing.id, seq=1, offered_at=now - timedelta(seconds=8)),
            # An old offer nobody closed: the existing ringing window no longer counts it.
            Attempt(request_id=connected.id, volunteer_id=free.id, seq=2, offered_at=now - timedelta(minutes=3)),
        ]
    )
    rest = session.get(Volunteer, resting.id)
    assert rest is not None
    rest.paused, rest.paused_until = True, now + timedelta(hours=1)
    session.commit()

    html = client.get(page).get_data(as_text=True)

    assert [value(html, "data-state", s) for s in ("free", "offered", "on_call", "paused")] == ["1", "1", "1", "1"]
    found = re.findall(r'<li data-state="(\w+)"><span[^>]*>[^<]*</span> ([^<]+?) <span', html)
    states = {name: state for state, name in found}
    assert states == {"Dr Libre": "free", "Dr Sonnerie": "offered", "Dr En Ligne": "on_call", "Dr Repos": "paused"}
    assert "Dr Absent" not in html
    assert value(html, "data-figure", "free", 'data-motive="visite_domicile".*?') == "1"


def test_todays_figures_count_the_waiting_line_and_ignore_yesterday(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=PARIS))
    territory, client, page = coordinator(app, session, clock)
    now = clock()
    start = now - timedelta(hours=2)
    ends = [("answered", 60), ("hung_up", 100), ("chose_message", 30), ("wait_limit", 300)]
    for number, (end, seconds) in enumerate(ends, start=1):
        request_row(
            session,
            territory,
            number,
            start,
            wait_started_at=start,
            wait_ended_at=start + timedelta(seconds=seconds),
            wait_end=end,
        )
    yesterday = datetime(2026, 12, 6, 23, 30, tzinfo=PARIS)
    request_row(
        session,
        territory,
        9,
        yesterday,
        wait_started_at=yesterday,
        wait_ended_at=yesterday + timedelta(seconds=20),
        wait_end="hung_up",
    )
    session.commit()

    html = client.get(page).get_data(as_text=True)

    assert value(html, "data-figure", "requests") == "4"
    assert value(html, "data-figure", "waited") == "4"
    assert value(html, "data-figure", "left_hung_up") == "1"
    assert value(html, "data-figure", "left_chose_message") == "1"
    assert value(html, "data-figure", "left_wait_limit") == "1"
    assert value(html, "data-figure", "median_wait") == "80.0"


def test_the_board_can_stop_reloading_itself(app: Flask, session: Session, clock: FrozenClock) -> None:
    _, client, page = coordinator(app, session, clock)

    html = client.get(f"{page}?pause=1").get_data(as_text=True)

    assert 'http-equiv="refresh"' not in html
    assert "Reprendre la mise à jour automatique" in html


def test_the_board_says_when_crisis_mode_is_on_and_the_dashboard_links_to_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    territory.crisis_enabled, territory.crisis_offers = True, 4
    session.commit()

    board = client.get(page).get_data(as_text=True)
    dashboard = client.get(f"/t/{territory.id}/").get_data(as_text=True)

    assert "Mode crise activé" in board and "proposé à 4 bénévoles à la fois" in board
    assert f'href="{page}"' in dashboard
    assert "Mode crise activé" in dashboard


def test_another_territorys_board_is_a_404(app: Flask, session: Session, clock: FrozenClock) -> None:
    _, client, _ = coordinator(app, session, clock)
    other = factories.territory(session, clock(), name="CPTS Lyon 8", phone_numbers=["+33199000002"])

    assert client.get(f"/t/{other.id}/direct").status_code == 404
