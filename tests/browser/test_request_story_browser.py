"""A request's story in a real browser: reads folded behind a <details>, the call-back block, the button's reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import LiveServer
from tests.browser.test_console_browser import _coordinator, _log_in, _request, _territory

pytestmark = pytest.mark.browser
Shot = Callable[[Any, str], Path]


def test_the_request_page_folds_reads_and_follows_a_call_back_round(
    page: Page, live_server: LiveServer, screenshot: Shot
) -> None:
    live = live_server
    territory = _territory(live)
    _coordinator(live, territory.id)
    with live.sessions() as session:
        factories.volunteer(session, territory, live.clock(), name="Dr Claire Martin")
        session.commit()
    reference = _request(live, territory, 90, 41, status="abandoned", outcome="abandoned", motive="visite_domicile")
    _log_in(page, live)
    url = f"{live.url}/t/{territory.id}/demandes/{reference}"
    page.goto(url)
    page.reload()
    page.reload()

    button = page.get_by_role("button", name="Déclencher un rappel maintenant")
    expect(button).to_be_enabled()
    button.click()
    expect(page.get_by_role("status")).to_contain_text("Rappel lancé : Dr Claire Martin est appelé(e) maintenant")

    block = page.locator("#callback-status")
    expect(block).to_contain_text("Proposé à")
    expect(block).to_contain_text("Dr Claire Martin, appelé(e) à")
    expect(block).to_contain_text("0 / 3")
    again = page.get_by_role("button", name="Relancer un tour de rappel maintenant")
    expect(again).to_be_disabled()
    expect(page.locator("#callback-reason")).to_have_text(
        "Rappel impossible : un tour de rappel est en cours : Dr Claire Martin est appelé(e)."
    )

    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Rappel proposé à Dr Claire Martin")
    expect(timeline).not_to_contain_text("callback.")
    expect(timeline).not_to_contain_text("Demande consultée")
    reads = page.locator("#reads")
    summary = reads.locator("summary")
    expect(summary).to_contain_text("Consultée 4 fois, dernière fois")
    expect(summary).to_contain_text("par Camille Coordination")
    detail = reads.get_by_text("Camille Coordination : 4 fois")
    expect(detail).to_be_hidden()
    summary.click()
    expect(detail).to_be_visible()
    screenshot(page, "request")

    # The dashboard's backlog leads back to it.
    page.goto(f"{live.url}/t/{territory.id}/")
    page.locator('[data-backlog="rappels"] a').click()
    expect(page.locator("#backlog")).to_contain_text("Rappels en attente, les plus anciens d'abord")
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Demande {reference}")).to_be_visible()
