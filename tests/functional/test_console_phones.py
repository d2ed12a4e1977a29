"""Phones in the console: volunteers' and directory numbers as the French write them, as tel: links; callers masked."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.clock import FrozenClock
from orientation.core.models import Request
from tests import factories
from tests.functional.console_client import coordinator


def test_volunteer_numbers_are_shown_in_pairs_as_tel_links_in_the_list_and_on_their_page(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), phone="+33612345678")
    listing = client.get(f"/t/{territory.id}/benevoles").get_data(as_text=True)
    assert '<a class="tel" href="tel:+33612345678">06 12 34 56 78</a>' in listing
    page = client.get(f"/t/{territory.id}/benevoles/{volunteer.id}").get_data(as_text=True)
    assert 'value="06 12 34 56 78"' in page
    assert '<a class="tel" href="tel:+33612345678">06 12 34 56 78</a>' in page


def test_directory_numbers_are_shown_in_pairs_as_tel_links_in_results_and_on_the_entry(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    entry = DirectoryEntry(
        territory_id=territory.id, kind="structure", source="manual", name="Centre de santé Belleville",
        search_key="centre de sante belleville", category="health_establishment", phone="+33143580000",
        postcode="75020", commune="Paris", created_at=clock(), updated_at=clock(),
    )  # fmt: skip
    session.add(entry)
    session.commit()
    results = client.get(f"/t/{territory.id}/annuaire?q=belleville").get_data(as_text=True)
    assert '<a class="tel" href="tel:+33143580000">01 43 58 00 00</a>' in results
    page = client.get(f"/t/{territory.id}/annuaire/{entry.id}").get_data(as_text=True)
    assert '<a class="tel" href="tel:+33143580000">01 43 58 00 00</a>' in page


def test_callers_stay_masked_and_are_never_links(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    created = clock() - timedelta(hours=1)
    session.add(
        Request(
            territory_id=territory.id, reference="P20-2026-000777", call_sid="CA" + "7" * 32,
            caller="+33611223344", status="closed", created_at=created, updated_at=created,
        )
    )  # fmt: skip
    session.commit()
    for path in (f"/t/{territory.id}/demandes", f"/t/{territory.id}/demandes/P20-2026-000777"):
        body = client.get(path).get_data(as_text=True)
        assert "P20-2026-000777" in body
        assert "+33611223344" not in body and "06 11 22 33 44" not in body and "tel:+33611223344" not in body
