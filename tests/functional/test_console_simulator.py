"""The simulator page plays a call through the app's own signed webhooks, as a real call would go."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import Event, Request
from tests import factories
from tests.functional.console_client import account, coordinator, login, post


def test_a_call_played_on_the_simulator_page_reaches_a_volunteer_and_lands_in_the_log(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")
    status, _, page_url = post(
        client, "/simulateur/appel", {"territory_id": territory.id, "caller": "06 11 22 33 44"}, page="/simulateur"
    )
    assert status == 302
    page = client.get(page_url).get_data(as_text=True)
    assert "En cas d&#39;urgence vitale, raccrochez et composez le 15." in page
    step = re.search(r'action="(/simulateur/[\w-]+)"', page).group(1)  # type: ignore[union-attr]
    for form in ({"action": "press", "digit": "2"}, {"action": "press", "digit": "", "keys": "75020"}):
        assert post(client, step, form, page=page_url)[0] == 302
    ringing = client.get(page_url).get_data(as_text=True)
    assert "vphone ringing" in ringing and "Accepter (1)" in ringing and volunteer.name in ringing
    assert post(client, step, {"action": "accept"}, page=page_url)[0] == 302
    connected = client.get(page_url).get_data(as_text=True)
    assert f"Vous êtes en relation avec {volunteer.name}" in connected
    assert post(client, step, {"action": "end_conversation"}, page=page_url)[0] == 302
    request = session.scalar(select(Request).where(Request.territory_id == territory.id))
    assert request is not None and request.motive == "visite_domicile" and request.postcode == "75020"
    assert request.volunteer_id == volunteer.id and request.connected_at is not None
    assert request.caller == "+33611223344"
    # Through the webhooks, signature checked: the same timeline a real call leaves.
    kinds = set(session.scalars(select(Event.kind).where(Event.request_id == request.id)))
    assert {"voice.incoming", "voice.menu", "voice.postcode", "voice.screen_answer", "call.status"} <= kinds
    final = client.get(page_url).get_data(as_text=True)
    assert request.reference in final and "Appel terminé" in final


def test_a_volunteer_who_declines_passes_the_call_to_the_next(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")
    _, _, page_url = post(client, "/simulateur/appel", {"territory_id": territory.id}, page="/simulateur")
    page = client.get(page_url).get_data(as_text=True)
    step = re.search(r'action="(/simulateur/[\w-]+)"', page).group(1)  # type: ignore[union-attr]
    post(client, step, {"action": "press", "digit": "4"}, page=page_url)
    post(client, step, {"action": "press", "digit": "", "keys": "75019"}, page=page_url)
    post(client, step, {"action": "decline"}, page=page_url)
    page = client.get(page_url).get_data(as_text=True)
    assert page.count("vphone ringing") == 1 and "Le bénévole tape 2" in page


def test_the_simulator_is_off_when_not_enabled(
    config: Config, clock: FrozenClock, engine: Engine, session: Session, tmp_path: Path
) -> None:
    app = create_app(config.with_overrides(simulator_enabled=False), clock=clock)
    territory, client = coordinator(app, session, clock)
    assert client.get("/simulateur").status_code == 404
    assert "Simulateur" not in client.get(f"/t/{territory.id}/").get_data(as_text=True)
    app.extensions["orientation"].engine.dispose()


def test_a_caller_waiting_in_line_is_taken_by_the_volunteer_who_picks_up_the_offer_on_the_page(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")

    def dial(caller: str) -> tuple[str, str]:
        _, _, page_url = post(client, "/simulateur/appel", {"territory_id": territory.id, "caller": caller},
                              page="/simulateur")  # fmt: skip
        page = client.get(page_url).get_data(as_text=True)
        step = re.search(r'action="(/simulateur/[\w-]+)"', page).group(1)  # type: ignore[union-attr]
        post(client, step, {"action": "press", "digit": "4"}, page=page_url)
        post(client, step, {"action": "press", "digit": "", "keys": "75020"}, page=page_url)
        return page_url, step

    first_url, first_step = dial("06 11 11 11 11")
    post(client, first_step, {"action": "accept"}, page=first_url)
    second_url, _ = dial("06 22 22 22 22")
    waiting = client.get(second_url).get_data(as_text=True)
    assert "Vous patientez dans la file d&#39;attente" in waiting
    assert "Vous êtes la première personne en attente" in waiting

    post(client, first_step, {"action": "end_conversation"}, page=first_url)
    page = client.get(second_url).get_data(as_text=True)
    offer = re.search(r'action="(/simulateur/offre/\d+)"', page)
    assert offer is not None and "Décrocher" in page
    status, _, offer_url = post(client, offer.group(1), {}, page=second_url)
    assert status == 302
    offered = client.get(offer_url).get_data(as_text=True)
    assert "un patient attend depuis" in offered
    offer_step = re.search(r'action="(/simulateur/(?!offre)[\w-]+)"', offered).group(1)  # type: ignore[union-attr]
    post(client, offer_step, {"action": "press", "digit": "1"}, page=offer_url)

    taken = client.get(second_url).get_data(as_text=True)
    assert f"{volunteer.name} prend votre appel dans la file d&#39;attente" in taken
    request = session.scalar(select(Request).where(Request.caller == "+33622222222"))
    assert request is not None and request.wait_end == "answered" and request.volunteer_id == volunteer.id
