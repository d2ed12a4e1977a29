"""The console's exports page: the ACI CSV is the CLI's file for the same period, every download is audited."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, Territory
from orientation.core.spreadsheet import FRENCH, RFC4180
from orientation.services.exports import aci_csv, period_bounds, requests_csv
from orientation.web.console.views.exports import parse_period
from tests import factories
from tests.conftest import PARIS
from tests.functional.api_client import other_territory
from tests.functional.console_client import account, coordinator, login
from tests.functional.test_console_pages import make_request


def _requests_over_two_months(session: Session, territory: Territory) -> None:
    """Requests in October and November 2026, two communes, several motives and outcomes."""
    october = datetime(2026, 10, 12, 9, 30, tzinfo=PARIS)
    november = datetime(2026, 11, 20, 14, 0, tzinfo=PARIS)
    make_request(
        session,
        territory,
        october,
        motive="medecin_traitant",
        postcode="75020",
        outcome="matched",
        connected_at=october + timedelta(seconds=40),
    )
    make_request(session, territory, october, motive="visite_domicile", postcode="75019", outcome="no_solution")
    make_request(
        session,
        territory,
        november,
        motive="medecin_traitant",
        postcode="75020",
        outcome="oriented",
        connected_at=november + timedelta(seconds=95),
    )
    make_request(session, territory, november, motive="orientation", status="abandoned", outcome="abandoned")
    # Outside the period: must not count.
    make_request(session, territory, datetime(2026, 9, 30, 23, 30, tzinfo=PARIS), motive="orientation")


def _exports(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)))


def test_the_aci_csv_downloaded_from_the_exports_page_is_the_export_of_the_same_period(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    _requests_over_two_months(session, territory)

    page = client.get(f"/t/{territory.id}/exports?du=2026-10-01&au=2026-11-30").get_data(as_text=True)
    action = re.search(r'id="aci" formaction="([^"]+)"', page)
    assert action is not None and action.group(1) == f"/t/{territory.id}/exports/aci.csv"
    response = client.get(f"{action.group(1)}?du=2026-10-01&au=2026-11-30")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="aci-' in response.headers["Content-Disposition"]
    expected = io.StringIO()
    since, until = period_bounds(date(2026, 10, 1), date(2026, 11, 30), ZoneInfo(territory.timezone))
    lines = aci_csv(session, territory, since, until, expected)
    assert response.get_data(as_text=True) == expected.getvalue()
    assert lines == 4  # Oct × (75020 médecin, 75019 visite) + Nov × (75020 médecin, sans code postal orientation)
    assert "2026-09" not in expected.getvalue()


def test_each_download_from_the_exports_page_is_in_the_audit_log_with_its_period(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    user = account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")
    _requests_over_two_months(session, territory)

    assert client.get(f"/t/{territory.id}/exports/aci.csv?du=2026-10-01&au=2026-10-31").status_code == 200
    page = client.get(f"/t/{territory.id}/exports?du=2026-11-01&au=2026-11-30").get_data(as_text=True)
    link = re.search(r'id="requests-csv" href="([^"]+)"', page)
    assert link is not None
    requests_file = client.get(html.unescape(link.group(1))).get_data(as_text=True)

    assert requests_file.count("P20-2026-") == 2  # November's two requests only
    aci, requests = _exports(session)
    assert (aci.actor, aci.territory_id, aci.at) == (f"user:{user.id}", territory.id, clock())
    assert aci.details == {"via": "console", "file": "aci", "du": "2026-10-01", "au": "2026-10-31", "lines": "2"}
    assert (requests.actor, requests.territory_id) == (f"user:{user.id}", territory.id)
    assert requests.details["du"] == "2026-11-01" and requests.details["au"] == "2026-11-30"


def test_a_coordinator_cannot_see_or_download_another_territorys_exports(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")

    assert client.get(f"/t/{lyon.id}/exports").status_code == 404
    assert client.get(f"/t/{lyon.id}/exports/aci.csv?du=2026-11-01&au=2026-11-30").status_code == 404
    assert client.get(f"/t/{territory.id}/exports").status_code == 200
    assert _exports(session) == []


def test_an_administrator_downloads_the_aci_figures_of_any_territory(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    lyon = other_territory(session, clock())
    admin = account(session, clock(), email="admin@example.org", role="admin")
    client = login(app, "admin@example.org")

    response = client.get(f"/t/{lyon.id}/exports/aci.csv?du=2026-11-01&au=2026-11-30")

    assert response.status_code == 200 and response.get_data(as_text=True).startswith("\ufeffMois;Commune;Motif;")
    [entry] = _exports(session)
    assert (entry.actor, entry.territory_id) == (f"user:{admin.id}", lyon.id)


def test_a_period_ending_before_it_starts_downloads_nothing_and_says_why(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)

    response = client.get(f"/t/{territory.id}/exports/aci.csv?du=2026-11-30&au=2026-11-01", follow_redirects=True)

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "La fin de la période est avant son début." in response.get_data(as_text=True)
    assert _exports(session) == []


def test_the_exports_page_is_in_the_navigation_and_defaults_to_this_month_so_far(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)

    dashboard = client.get(f"/t/{territory.id}/").get_data(as_text=True)
    page = client.get(f"/t/{territory.id}/exports").get_data(as_text=True)

    assert f'href="/t/{territory.id}/exports"' in dashboard
    assert 'name="du" value="2026-11-01"' in page and 'name="au" value="2026-11-24"' in page
    assert "du=2026-11-01&amp;au=2026-11-24" in page


def test_the_export_period_is_parsed_from_the_form_with_clear_errors() -> None:
    today = date(2026, 11, 24)
    assert parse_period("", "", today) == parse_period(None, None, today)
    assert (parse_period(None, None, today).start, parse_period(None, None, today).end) == (date(2026, 11, 1), today)
    assert parse_period("2026-13-01", "", today).errors == ("Date illisible (attendu : AAAA-MM-JJ).",)
    assert parse_period("2020-01-01", "2026-11-24", today).errors == ("Période trop longue : trois ans au plus.",)
    assert parse_period("2024-01-01", "2026-11-24", today).errors == ()


def test_the_console_request_log_and_the_command_line_export_are_one_file_with_the_same_columns(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    _requests_over_two_months(session, territory)
    since, until = period_bounds(date(2026, 10, 1), date(2026, 11, 30), ZoneInfo(territory.timezone))

    for form, fmt in (("", FRENCH), ("&format=rfc4180", RFC4180)):
        response = client.get(f"/t/{territory.id}/demandes.csv?du=2026-10-01&au=2026-11-30{form}")
        expected = io.StringIO()
        assert requests_csv(session, territory, since, until, expected, fmt) == 4
        console, command = response.get_data(as_text=True).splitlines(), expected.getvalue().splitlines()
        # Same header, same lines; the log lists the newest first, the command the oldest first.
        assert response.content_type == fmt.media_type
        assert console[0] == command[0] and sorted(console[1:]) == sorted(command[1:]) and len(console) == 5
    assert command[0].count(",") == 20 and command[0].startswith("reference,created_at,motive,postcode,commune,")


def test_a_download_of_the_request_log_stopped_after_a_few_lines_leaves_nothing_open(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    _requests_over_two_months(session, territory)

    response = client.get(f"/t/{territory.id}/demandes.csv")
    chunks = iter(response.response)
    header, first = next(chunks), next(chunks)
    response.close()  # the browser went away: on PostgreSQL, a server-side cursor was open

    assert bytes(header).startswith("\ufeffRéférence;Reçue le;Motif;".encode())
    assert bytes(first).count(b";") == 20


def test_an_unknown_format_downloads_nothing_and_says_which_ones_exist(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)

    aci = client.get(f"/t/{territory.id}/exports/aci.csv?format=xlsx", follow_redirects=True)
    log = client.get(f"/t/{territory.id}/demandes.csv?format=xlsx&motif=orientation", follow_redirects=False)

    assert aci.mimetype == "text/html" and "Format inconnu" in aci.get_data(as_text=True)
    assert log.status_code == 302 and log.headers["Location"].endswith(f"/t/{territory.id}/demandes?motif=orientation")
    assert _exports(session) == []


def test_the_exports_page_links_to_the_machine_form_of_both_files(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    _requests_over_two_months(session, territory)

    page = client.get(f"/t/{territory.id}/exports?du=2026-11-01&au=2026-11-30").get_data(as_text=True)
    links = {name: re.search(rf'id="{name}" href="([^"]+)"', page) for name in ("aci-rfc4180", "requests-rfc4180")}

    files = {}
    for name, link in links.items():
        assert link is not None
        files[name] = client.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert files["aci-rfc4180"].startswith("month,commune,motive,") and "2026-11," in files["aci-rfc4180"]
    assert files["requests-rfc4180"].startswith("reference,") and files["requests-rfc4180"].count("P20-2026-") == 2
