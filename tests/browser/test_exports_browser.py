"""The exports and the access log in a real browser: a coordinator downloads the French files, an administrator
reads the journal's details in French."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from directory.models import DirectoryEntry
from orientation.services import audit
from orientation.web.console.accounts import create_user
from tests.browser.conftest import LiveServer
from tests.browser.test_console_browser import PASSWORD, Shot, _coordinator, _log_in, _request, _territory

pytestmark = pytest.mark.browser


def _download(page: Page, link_name: str, folder: Path) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path.read_bytes()


def test_a_coordinator_downloads_the_request_log_for_french_spreadsheets_and_the_admin_reads_it_in_the_journal(
    page: Page, live_server: LiveServer, screenshot: Shot, tmp_path: Path
) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    now = live_server.clock()
    reference = _request(
        live_server, territory, 90, 1, motive="visite_domicile", postcode="75020", outcome="matched", closed_at=now
    )
    with live_server.sessions() as session:
        entry = DirectoryEntry(
            territory_id=territory.id,
            source="manual",
            kind="structure",
            name="Cabinet Martin",
            search_key="cabinet martin",
            category="other",
            created_at=now,
            updated_at=now,
        )
        session.add(entry)
        session.flush()
        # What the console records when a coordinator sets an outcome with a directory entry.
        details = {"outcome": "matched", "directory_entry_id": entry.id}
        audit.record(session, "user:1", "outcome", None, now - timedelta(minutes=5), details, territory_id=territory.id)
        create_user(session, "admin@example.org", PASSWORD, "admin", None, now, name="Alex Admin")
        session.commit()

    _log_in(page, live_server)
    page.get_by_role("link", name="Exports").first.click()
    expect(page.get_by_role("heading", name="Exports")).to_be_visible()
    screenshot(page, "exports")
    data = _download(page, "Demandes du dimanche 1 novembre 2026 au mardi 24 novembre 2026 (CSV)", tmp_path)

    assert data.startswith(b"\xef\xbb\xbf")
    [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert (row["Référence"], row["Motif"], row["Issue"]) == (reference, "Visite à domicile", "Pris en charge")
    assert row["Reçue le"] == "24/11/2026 08:30" and row["Appelant (masqué)"] == "'+33 •• •• •• 44"

    page.get_by_role("button", name="Se déconnecter").click()
    _log_in(page, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/admin/journal")
    journal = page.locator("#journal")
    expect(journal).to_contain_text("Issue : pris en charge · Fiche : Cabinet Martin")
    expect(journal).to_contain_text("Par : la console · Fichier : journal des demandes · Du : 01/11/2026")
    expect(journal).not_to_contain_text("directory_entry_id")
    screenshot(page, "journal")
