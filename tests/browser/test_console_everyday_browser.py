"""The console in a real browser: the opening-hours editor without JavaScript, and phones as tel: links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from directory.models import DirectoryEntry
from orientation.core.models import Territory
from orientation.web.console.accounts import create_user
from tests import factories
from tests.browser.conftest import PARIS, LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "un mot de passe assez long"
Shot = Callable[[Any, str], Path]


def _territory_with_coordinator(live: LiveServer) -> int:
    with live.sessions() as session:
        territory = factories.territory(session, live.clock())
        create_user(session, "coordination@example.org", PASSWORD, "coordinator", territory.id, live.clock())
        session.commit()
        return territory.id


def _log_in(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.url}/connexion")
    page.get_by_label("Adresse e-mail").fill("coordination@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def test_console_opening_hours_editor_without_javascript(
    browser: Browser, live_server: LiveServer, screenshot: Shot
) -> None:
    live_server.clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=PARIS))  # Christmas on Friday
    territory_id = _territory_with_coordinator(live_server)
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        _log_in(page, live_server)
        page.goto(f"{live_server.url}/t/{territory_id}/parametres")
        editor = page.locator("#horaires")
        for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"):
            editor.get_by_role("checkbox", name=f"{day} 24 h/24").uncheck()  # the line was open 24/7
        for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"):
            editor.get_by_label(f"{day}, plage 1, début").fill("08:00")
            editor.get_by_label(f"{day}, plage 1, fin").fill("20:00")
        editor.get_by_label("Vendredi, plage 2, début").fill("22:00")
        editor.get_by_label("Vendredi, plage 2, fin").fill("02:00")  # a night past midnight
        editor.get_by_label("Samedi, plage 1, début").fill("09:00")
        editor.get_by_label("Samedi, plage 1, fin").fill("12:00")
        editor.get_by_label("Fermé", exact=True).check()
        editor.get_by_role("button", name="Aperçu").click()
        preview = page.locator("#hours-preview")
        expect(page.locator("#hours-osm")).to_have_text(
            "Mo-Th 08:00-20:00; Fr 08:00-20:00,22:00-24:00; Sa 00:00-02:00,09:00-12:00; PH off"
        )
        expect(preview.locator('li[data-day="2026-12-25"]')).to_contain_text("Noël")
        expect(preview.locator('li[data-day="2026-12-25"]')).to_contain_text("fermé")
        expect(preview.locator('li[data-day="2026-12-26"]')).to_contain_text("00:00 – 02:00, 09:00 – 12:00")
        expect(preview.locator('li[data-day="2027-01-02"]')).to_contain_text("00:00 – 02:00, 09:00 – 12:00")
        screenshot(page, "preview")
        page.locator("#horaires").get_by_role("button", name="Enregistrer les horaires").click()
        expect(page.get_by_text("Heures d'ouverture enregistrées")).to_be_visible()
        screenshot(page, "saved")
    finally:
        context.close()
    with live_server.sessions() as session:
        saved = session.scalar(select(Territory.opening_hours).where(Territory.id == territory_id))
    assert saved == "Mo-Th 08:00-20:00; Fr 08:00-20:00,22:00-24:00; Sa 00:00-02:00,09:00-12:00; PH off"


def test_console_phone_numbers_as_tel_links(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory_id = _territory_with_coordinator(live_server)
    with live_server.sessions() as session:
        territory = session.get(Territory, territory_id)
        assert territory is not None
        factories.volunteer(session, territory, live_server.clock(), name="Dr Ana Ruiz", phone="+33612345678")
        entry = DirectoryEntry(
            territory_id=territory_id, kind="structure", source="manual", name="Centre de santé Belleville",
            search_key="centre de sante belleville", category="health_establishments", phone="+33143580000",
            postcode="75020", commune="Paris", created_at=live_server.clock(), updated_at=live_server.clock(),
        )  # fmt: skip
        session.add(entry)
        session.commit()
        entry_id = entry.id
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/t/{territory_id}/benevoles")
    link = page.get_by_role("link", name="06 12 34 56 78")
    expect(link).to_have_attribute("href", "tel:+33612345678")
    screenshot(page, "volunteers")
    page.goto(f"{live_server.url}/t/{territory_id}/annuaire?q=sante paris 20")
    expect(page.get_by_role("link", name="01 43 58 00 00")).to_have_attribute("href", "tel:+33143580000")
    page.goto(f"{live_server.url}/t/{territory_id}/annuaire/{entry_id}")
    expect(page.get_by_role("link", name="01 43 58 00 00")).to_have_attribute("href", "tel:+33143580000")
    screenshot(page, "directory-entry")
