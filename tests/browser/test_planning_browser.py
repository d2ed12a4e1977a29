"""The planning on a phone, in a real browser without JavaScript: one day at a time, names written out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from orientation.core.models import Territory
from orientation.web.console.accounts import create_user
from tests import factories
from tests.browser.conftest import PARIS, LiveServer
from volunteers.models import Shift

pytestmark = pytest.mark.browser
PASSWORD = "un mot de passe assez long"
Shot = Callable[[Any, str], Path]
LONG_NAME = "Dr Marie-Hélène Dupont-Lefèvre de la Tour"


def test_planning_on_a_phone_shows_one_day_with_its_names(
    browser: Browser, live_server: LiveServer, screenshot: Shot
) -> None:
    # The clock is set before the login: a console session ends after 30 idle minutes.
    live_server.clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))
    with live_server.sessions() as session:
        territory = factories.territory(session, live_server.clock())
        create_user(session, "coordination@example.org", PASSWORD, "coordinator", territory.id, live_server.clock())
        volunteer = factories.volunteer(
            session,
            session.get(Territory, territory.id),  # type: ignore[arg-type]
            live_server.clock(),
            on_shift=False,
            name=LONG_NAME,
        )
        session.add(
            Shift(
                volunteer_id=volunteer.id,
                starts_at=datetime(2026, 11, 26, 9, tzinfo=PARIS),
                ends_at=datetime(2026, 11, 26, 12, tzinfo=PARIS),
                motives=[],
                created_at=live_server.clock(),
            )
        )
        session.commit()
    context = browser.new_context(
        java_script_enabled=False, locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/connexion")
        page.get_by_label("Adresse e-mail").fill("coordination@example.org")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Planning", exact=True).click()
        expect(page.locator("h1")).to_contain_text("Planning de la semaine du lundi 23 novembre 2026")
        # One day, not the seven-column grid: today (Tuesday) first, nobody on shift.
        expect(page.locator("#rota-grid")).to_be_hidden()
        expect(page.locator("#rota-day")).to_be_visible()
        expect(page.locator("#rota-day")).not_to_contain_text(LONG_NAME)
        page.get_by_role("navigation", name="Jours de la semaine").get_by_role("link", name="jeudi 26").click()
        day = page.locator("#rota-day")
        expect(day.locator("li", has_text=LONG_NAME)).to_have_count(3)
        # The whole name is on screen, not cut nor hidden behind a hover tooltip.
        nine = day.locator("li", has_text="09 h")
        expect(nine).to_be_visible()
        assert LONG_NAME in nine.inner_text()
        box = nine.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "planning-day-390")
    finally:
        context.close()
