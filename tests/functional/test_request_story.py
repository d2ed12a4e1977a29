"""A request's page tells its story: reads folded, events in French, the call-back's state and its button."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.clock import FrozenClock
from orientation.core.models import Event
from orientation.services import requests as svc
from tests import factories
from tests.functional.console_client import post
from tests.functional.test_console_pages import coordinator, make_request, text_of


def test_reads_fold_into_one_line_with_the_readers_on_demand(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(session, territory, clock() - timedelta(hours=1), motive="orientation")
    page = f"/t/{territory.id}/demandes/{request.reference}"
    for _ in range(3):
        client.get(page)
    html = client.get(page + "?q=martin").get_data(as_text=True)
    # Every read is still kept (the access journal needs them) ...
    kept = session.scalar(select(func.count()).where(Event.request_id == request.id, Event.kind == "read"))
    assert kept == 4
    # ... and the story shows them as one line, the readers behind a <details>.
    chronology = html.split('id="chronologie"', 1)[1]
    assert "Demande consultée" not in chronology
    summary = re.search(r'<details id="reads"><summary>([^<]+)</summary>', html)
    assert summary is not None and summary.group(1).startswith("Consultée 4 fois, dernière fois ")
    assert summary.group(1).endswith("par coord@example.org")
    assert "coord@example.org : 4 fois" in text_of(html.split('id="reads"', 1)[1])


def test_a_call_back_round_in_progress_is_told_in_french_and_the_button_waits_for_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    factories.volunteer(session, territory, clock(), name="Dr Claire Martin")
    session.commit()
    request = make_request(
        session, territory, clock() - timedelta(hours=1), status="abandoned", outcome="abandoned", motive="orientation"
    )
    page = f"/t/{territory.id}/demandes/{request.reference}"
    assert '<button type="submit" class="secondary">Déclencher un rappel maintenant</button>' in client.get(
        page
    ).get_data(as_text=True)

    status, _, _ = post(client, page + "/rappel", {}, page=page)
    assert status == 302
    html = client.get(page).get_data(as_text=True)
    assert "Rappel lancé : Dr Claire Martin est appelé(e) maintenant" in html
    block = html.split('id="callback-status"', 1)[1].split("</dl>", 1)[0]
    assert 'data-state="offering"' in block and "Dr Claire Martin, appelé(e) à" in block
    assert 'data-figure="failed_calls">0 / 3<' in block
    assert re.search(r"<button [^>]*disabled[^>]*>Relancer un tour de rappel maintenant</button>", html)
    assert "Rappel impossible : un tour de rappel est en cours : Dr Claire Martin est appelé(e)." in html
    story = text_of(html.split('id="chronologie"', 1)[1].split("</ol>", 1)[0])
    assert "Rappel demandé par la coordination" in story and "Rappel proposé à Dr Claire Martin" in story
    assert "callback." not in story

    # A second click (a page left open) changes nothing and says why.
    requested = select(func.count()).where(Event.request_id == request.id, Event.kind == "callback.requested")
    assert session.scalar(requested) == 1
    post(client, page + "/rappel", {}, page=page + "?q=x")
    assert session.scalar(requested) == 1
    flash = re.search(r'<p class="flash flash-error"[^>]*>([^<]+)</p>', client.get(page).get_data(as_text=True))
    assert flash is not None and flash.group(1).startswith("Rappel impossible : un tour de rappel est en cours")
    assert session.scalar(select(func.count()).where(Event.kind == "callback.offered")) == 1


def test_with_nobody_on_duty_the_button_says_when_the_next_round_is(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(session, territory, clock() - timedelta(hours=1), status="abandoned", outcome="abandoned")
    page = f"/t/{territory.id}/demandes/{request.reference}"
    post(client, page + "/rappel", {}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Aucun bénévole de permanence ne peut rappeler maintenant : prochain tour" in html
    assert "Rappel lancé" not in html
    # The policy's spacing (an hour by default) after the round that found nobody; the line is open 24/7.
    assert "prochain tour mar. 24 nov. 11:00." in html
    assert 'data-state="waiting"' in html and 'id="next-round">mar. 24 nov. 11:00<' in html
    assert "Tour de rappel terminé sans bénévole" in html


def test_professions_show_their_french_name_and_a_transfer_names_the_cpts(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(
        session, territory, clock() - timedelta(hours=1), postcode="75011", in_territory=False,
        outcome="out_of_territory",
    )  # fmt: skip
    svc.add_event(session, request, "transfer.started", clock(), {"neighbour": "CPTS Paris 11"})
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        kind="professional",
        name="Dr Élise Dupré",
        profession="medecin",
        search_key="dr elise dupre medecin",
        created_at=clock(),
        updated_at=clock(),
    )
    session.add(entry)
    session.commit()
    html = client.get(f"/t/{territory.id}/demandes/{request.reference}?q=elise").get_data(as_text=True)
    assert "Dr Élise Dupré" in html and "Médecin ·" in html and ">medecin" not in html
    assert 'id="transfer">Transférée à CPTS Paris 11<' in html
    assert "Transfert vers CPTS Paris 11" in text_of(html.split('id="chronologie"', 1)[1])
