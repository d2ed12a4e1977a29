"""The access log page: administrators see who read or exported what, filtered and paged; nobody else sees it."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.clock import FrozenClock
from orientation.services import audit
from orientation.web.console.views.journal import describe_details, parse_journal_filters
from tests import factories
from tests.conftest import PARIS
from tests.functional.api_client import other_territory
from tests.functional.console_client import account, login, post
from tests.functional.test_console_pages import make_request, text_of


def _rows(page: str) -> list[str]:
    """The access log's rows, as text."""
    return [text_of(row) for row in re.findall(r'<tr data-entry="\d+".*?</tr>', page, re.S)]


def test_the_access_log_lists_a_read_of_a_request_page_made_by_a_coordinator(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), email="coord@example.org", territory_id=territory.id)
    account(session, clock(), email="admin@example.org", role="admin")
    request = make_request(session, territory, clock() - timedelta(hours=1), motive="orientation")
    coordinator = login(app, "coord@example.org")
    assert coordinator.get(f"/t/{territory.id}/demandes/{request.reference}").status_code == 200

    page = login(app, "admin@example.org").get("/admin/journal").get_data(as_text=True)

    [row] = _rows(page)
    read = f"mar. 24 nov. 2026 10:00 coord@example.org Lecture {request.reference}"
    assert row == f"{read} CPTS Paris 20 Par : la console"
    assert f'href="/t/{territory.id}/demandes/{request.reference}"' in page
    assert "+33611223344" not in page


def test_a_coordinator_gets_no_access_log_and_no_link_to_it(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    account(session, clock(), email="admin@example.org", role="admin")
    coordinator = login(app, "coord@example.org")

    assert coordinator.get("/admin/journal").status_code == 404
    assert "/admin/journal" not in coordinator.get(f"/t/{territory.id}/").get_data(as_text=True)
    assert 'href="/admin/journal"' in login(app, "admin@example.org").get("/").get_data(as_text=True)


def test_the_access_log_filters_by_territory_reference_and_period(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    paris = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    account(session, clock(), email="admin@example.org", role="admin")
    first = make_request(session, paris, clock() - timedelta(days=3))
    second = make_request(session, paris, clock() - timedelta(days=3))
    audit.record(session, "user:1", "read", first, datetime(2026, 11, 20, 23, 30, tzinfo=PARIS), {"via": "console"})
    audit.record(session, "user:1", "outcome", second, datetime(2026, 11, 21, 0, 30, tzinfo=PARIS))
    audit.record(session, "token:lyon", "export", None, clock(), {"via": "api"}, territory_id=lyon.id)
    session.commit()
    client = login(app, "admin@example.org")

    def shown(query: str) -> list[str]:
        return re.findall(r'data-action="(\w+)"', client.get(f"/admin/journal?{query}").get_data(as_text=True))

    assert shown("") == ["export", "outcome", "read"]  # newest first
    assert shown(f"territoire={lyon.id}") == ["export"]
    assert shown(f"ref={first.reference.lower()}") == ["read"]
    assert shown("du=2026-11-21&au=2026-11-21") == ["outcome"]  # Paris days: 00:30 on the 21st is in, 23:30 not
    assert shown("du=2026-11-20&au=2026-11-20") == ["read"]
    lyon_row = _rows(client.get(f"/admin/journal?territoire={lyon.id}").get_data(as_text=True))[0]
    assert "API (lyon)" in lyon_row and "CPTS Lyon 8" in lyon_row and "Export" in lyon_row


def test_the_access_log_pages_fifty_entries_at_a_time_newest_first(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), email="admin@example.org", role="admin")
    for minutes in range(55):
        at = clock() - timedelta(minutes=minutes)
        audit.record(session, "retention", "export", None, at, territory_id=territory.id)
    session.commit()
    client = login(app, "admin@example.org")

    first = client.get(f"/admin/journal?territoire={territory.id}").get_data(as_text=True)
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older is not None and f"territoire={territory.id}" in older.group(1)
    second = client.get(html.unescape(older.group(1))).get_data(as_text=True)

    first_ids = [int(i) for i in re.findall(r'data-entry="(\d+)"', first)]
    second_ids = [int(i) for i in re.findall(r'data-entry="(\d+)"', second)]
    assert len(first_ids) == 50 and len(second_ids) == 5
    assert first_ids + second_ids == sorted(first_ids + second_ids, reverse=True)
    assert 'rel="next"' not in second and "Les plus récentes" in second
    assert "purge automatique" in _rows(first)[0]


def test_the_access_log_never_shows_a_phone_number(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), email="admin@example.org", role="admin")
    # An erasure keeps the number masked; a careless caller of audit.record might not: the page masks it anyway.
    audit.record(session, "cli", "erase", None, clock(), {"number": "+33 •• •• •• 44"}, territory_id=territory.id)
    audit.record(session, "cli", "edit", None, clock(), {"note": "rappeler au 06 11 22 33 44 ou +33611223344"})
    session.commit()

    page = login(app, "admin@example.org").get("/admin/journal").get_data(as_text=True)

    assert "+33611223344" not in page and "06 11 22 33 44" not in page
    assert page.count("•• •• •• 44") == 3


def test_details_and_filters_are_read_without_surprises() -> None:
    assert describe_details({"fields": ["outcome", "note"], "du": "2026-11-01", "entry": None}) == (
        "Champs modifiés : issue, note · Du : 01/11/2026 · entry : —"
    )
    assert describe_details({"reference": "P20-2026-000123"}) == "Référence : P20-2026-000123"
    filters = parse_journal_filters({"territoire": "x", "du": "2026-11-30", "au": "2026-11-01", "ref": " p20-1 "})
    assert (filters.territory_id, filters.since, filters.until, filters.reference) == (None, None, None, "P20-1")
    assert len(filters.errors) == 2


def test_the_access_log_words_an_outcome_set_in_the_console_in_french_with_the_entrys_name(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), email="coord@example.org", territory_id=territory.id)
    account(session, clock(), email="admin@example.org", role="admin")
    request = make_request(session, territory, clock() - timedelta(hours=1), status="connected")
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        kind="structure",
        name="Cabinet Martin",
        search_key="cabinet martin",
        category="other",
        created_at=clock(),
        updated_at=clock(),
    )
    session.add(entry)
    session.commit()
    coordinator = login(app, "coord@example.org")
    form = {"outcome": "matched", "entry_id": str(entry.id), "note": ""}
    page = f"/t/{territory.id}/demandes/{request.reference}"
    assert post(coordinator, page + "/issue", form, page=page)[0] == 302
    machine = coordinator.get(f"/t/{territory.id}/demandes.csv?motif=medecin_traitant&format=rfc4180")
    assert machine.status_code == 200 and machine.get_data(as_text=True).startswith("reference,created_at,")

    journal = login(app, "admin@example.org").get("/admin/journal").get_data(as_text=True)

    export, outcome = _rows(journal)[:2]
    assert outcome.endswith("Issue : pris en charge · Fiche : Cabinet Martin")
    assert "directory_entry_id" not in journal and "matched" not in journal
    assert export.endswith(
        "Par : la console · Fichier : journal des demandes · Motif : médecin traitant"
        " · Format : RFC 4180 (pour un programme)"
    )


def test_details_name_codes_dates_and_deleted_entries_in_french_and_keep_what_they_do_not_know() -> None:
    entries = {8: "Cabinet Martin"}
    words = [
        ({"outcome": "oriented", "directory_entry_id": 8}, "Issue : orienté ailleurs · Fiche : Cabinet Martin"),
        ({"outcome": "no_solution", "directory_entry_id": None}, "Issue : sans suite · Fiche : aucune"),
        ({"directory_entry_id": 9}, "Fiche : n° 9 (supprimée)"),
        ({"via": "sms", "message_sid": "SM123"}, "Par : SMS · SMS : SM123"),
        (
            {"file": "aci", "du": "2026-11-01", "au": "2026-11-30", "lines": "4"},
            ("Fichier : chiffres ACI · Du : 01/11/2026 · Au : 30/11/2026 · Lignes : 4"),
        ),
        (
            {"statut": "callback_pending", "issue": "unreachable", "cp": "75020"},
            ("Statut : à rappeler · Issue : injoignable · Code postal : 75020"),
        ),
        (
            {"via": "page", "until": "2026-11-24T17:00:00+00:00", "uncovered": ["visite_domicile"]},
            ("Par : la page du bénévole · Jusqu'au : 24/11/2026 18:00 · Motifs sans bénévole : visite à domicile"),
        ),
        ({"retention_months": 12}, "Durée de conservation : 12 mois"),
        ({"via": "carrier pigeon", "colour": "blue"}, "Par : carrier pigeon · colour : blue"),
    ]
    for details, text in words:
        assert describe_details(details, entries) == text
