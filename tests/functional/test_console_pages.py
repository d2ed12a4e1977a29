"""The console's pages over real data: figures, the request log and page, rota, volunteers, directory, settings."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, Request, Territory
from orientation.services.stats import figures_for
from tests import factories
from tests.conftest import PARIS
from tests.functional.console_client import coordinator, post
from volunteers.models import Shift, ShiftException, ShiftPattern, Volunteer

_numbers = count(1)


def make_request(session: Session, territory: Territory, created_at: datetime, **fields: Any) -> Request:
    """A request as the line would have left it."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "territory_id": territory.id,
        "reference": f"P20-2026-{number:06d}",
        "call_sid": f"CA{number:032d}",
        "caller": "+33611223344",
        "status": "closed",
        "created_at": created_at,
        "updated_at": created_at,
    }
    values.update(fields)
    request = Request(**values)
    session.add(request)
    session.commit()
    return request


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_dashboard_shows_the_figures_of_the_stats_service_for_the_week_and_the_month(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    now = clock()
    make_request(
        session,
        territory,
        now - timedelta(hours=1),
        motive="medecin_traitant",
        outcome="matched",
        connected_at=now - timedelta(minutes=59),
    )
    make_request(session, territory, now - timedelta(hours=2), motive="medecin_traitant", outcome="no_solution")
    make_request(
        session,
        territory,
        now - timedelta(days=1),
        motive="visite_domicile",
        status="callback_pending",
        callback_requested_at=now - timedelta(days=1),
    )
    make_request(
        session, territory, now - timedelta(days=10), motive="orientation", status="abandoned", outcome="abandoned"
    )
    make_request(session, territory, now - timedelta(days=40), motive="orientation", outcome="matched")
    html = client.get(f"/t/{territory.id}/").get_data(as_text=True)
    for period in ("week", "month"):
        block = html.split(f'data-period="{period}"', 1)[1]
        since = datetime.fromisoformat(re.search(r'data-since="([^"]+)"', block).group(1))  # type: ignore[union-attr]
        until = datetime.fromisoformat(re.search(r'data-until="([^"]+)"', block).group(1))  # type: ignore[union-attr]
        expected = figures_for(session, territory.id, since, until)["motives"]
        for field in ("requests", "connected", "abandoned", "callbacks_pending", "match_rate"):
            shown = re.search(rf'data-figure="{field}" data-value="([^"]*)"', block).group(1)  # type: ignore[union-attr]
            value = expected["all"][field]
            assert shown == ("" if value is None else str(value)), (period, field)
    week = html.split('data-period="week"', 1)[1].split('data-period="month"')[0]
    assert 'data-figure="requests" data-value="3"' in week
    assert 'data-motive="medecin_traitant"' in week and "50\u00a0%" in week
    assert "Taux de prise en charge d&#39;un motif" in html  # the definition is on the page
    assert html.count("<svg") == 4


def test_the_request_log_filters_masks_callers_and_exports_csv(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    now = clock()
    visit = make_request(session, territory, now - timedelta(hours=1), motive="visite_domicile", postcode="75020")
    make_request(session, territory, now - timedelta(hours=2), motive="medecin_traitant", postcode="75019")
    page = client.get(f"/t/{territory.id}/demandes?motif=visite_domicile").get_data(as_text=True)
    assert visit.reference in page and "P20-2026" in page and page.count('data-reference="') == 1
    assert "+33611223344" not in page and "•• •• •• 44" in page
    assert client.get(f"/t/{territory.id}/demandes?cp=75019").get_data(as_text=True).count('data-reference="') == 1
    csv = client.get(f"/t/{territory.id}/demandes.csv?motif=visite_domicile").get_data(as_text=True)
    lines = csv.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("Référence;Reçue le;Motif") and len(lines) == 2
    assert visit.reference in lines[1] and "+33611223344" not in csv


def test_the_request_log_pages_fifty_at_a_time(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    for minutes in range(55):
        make_request(session, territory, clock() - timedelta(minutes=minutes + 1))
    first = client.get(f"/t/{territory.id}/demandes").get_data(as_text=True)
    second = client.get(f"/t/{territory.id}/demandes?page=2").get_data(as_text=True)
    assert first.count('data-reference="') == 50 and second.count('data-reference="') == 5
    assert "55 demandes" in first


def test_reading_a_request_page_is_kept_in_its_timeline_with_the_reader(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(session, territory, clock() - timedelta(minutes=5), motive="orientation")
    page = client.get(f"/t/{territory.id}/demandes/{request.reference}")
    assert page.status_code == 200 and "Chronologie" in page.get_data(as_text=True)
    reads = session.scalars(select(Event).where(Event.request_id == request.id, Event.kind == "read")).all()
    user_id = session.scalar(select(Event.actor).where(Event.kind == "read"))
    assert len(reads) == 1 and user_id is not None and re.fullmatch(r"user:\d+", user_id)


def test_setting_an_outcome_with_a_directory_entry_closes_the_request(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(
        session, territory, clock() - timedelta(minutes=30), status="connected", motive="medecin_traitant"
    )
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        kind="professional",
        name="Dr Élise Dupré",
        search_key="dr elise dupre medecin",
        created_at=clock(),
        updated_at=clock(),
    )
    session.add(entry)
    session.commit()
    page = f"/t/{territory.id}/demandes/{request.reference}"
    found = client.get(page + "?q=elise dupre").get_data(as_text=True)
    assert "Dr Élise Dupré" in found
    status, _, _ = post(
        client, page + "/issue", {"outcome": "matched", "entry_id": str(entry.id), "note": "RDV pris"}, page=page
    )
    assert status == 302
    session.expire_all()
    closed = session.get(Request, request.id)
    assert closed is not None and closed.outcome == "matched" and closed.status == "closed"
    assert closed.outcome_entry_id == entry.id and closed.outcome_note == "RDV pris"
    event = session.scalar(select(Event).where(Event.request_id == request.id, Event.kind == "outcome"))
    assert event is not None and event.actor is not None and event.actor.startswith("user:")


def test_an_outcome_cannot_be_set_while_the_call_is_in_progress(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(session, territory, clock(), status="routing")
    page = f"/t/{territory.id}/demandes/{request.reference}"
    post(client, page + "/issue", {"outcome": "matched"}, page=page)
    session.expire_all()
    assert session.get(Request, request.id).outcome is None  # type: ignore[union-attr]


def test_the_call_back_button_puts_the_request_back_in_the_call_back_queue(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    request = make_request(session, territory, clock() - timedelta(hours=1), status="abandoned", outcome="abandoned")
    page = f"/t/{territory.id}/demandes/{request.reference}"
    status, _, _ = post(client, page + "/rappel", {}, page=page)
    assert status == 302
    session.expire_all()
    waiting = session.get(Request, request.id)
    assert waiting is not None and waiting.status == "callback_pending" and waiting.callback_requested_at is not None


def test_adding_a_shift_fills_the_gap_of_the_rota_week(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False, motives=["visite_domicile"])
    week = f"/t/{territory.id}/rota?motif=visite_domicile"
    before = client.get(week).get_data(as_text=True)
    assert "gap-list" in before and before.count('class="cell gap"') == 24 * 7  # open 24/7, nobody on shift
    status, body, location = post(
        client,
        f"/t/{territory.id}/rota/permanence",
        {
            "volunteer_id": str(volunteer.id),
            "day": "2026-11-25",
            "start": "20:00",
            "end": "08:00",
            "motif": "visite_domicile",
        },
        page=week,
    )
    assert status == 302, body
    shift = session.scalar(select(Shift).where(Shift.volunteer_id == volunteer.id))
    assert shift is not None
    assert shift.starts_at == datetime(2026, 11, 25, 20, tzinfo=PARIS)
    assert shift.ends_at == datetime(2026, 11, 26, 8, tzinfo=PARIS)
    after = client.get(location).get_data(as_text=True)
    assert after.count('class="cell gap"') == 24 * 7 - 12
    assert volunteer.name in after


def test_a_shift_form_with_errors_says_which_field(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    status, body, _ = post(
        client,
        f"/t/{territory.id}/rota/permanence",
        {"volunteer_id": "", "day": "demain"},
        page=f"/t/{territory.id}/rota",
    )
    assert status == 422
    assert "Choisissez un bénévole du territoire." in body and "Date attendue" in body and "Heure attendue" in body


def test_a_weekly_pattern_and_its_replacement_are_saved(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    first = factories.volunteer(session, territory, clock(), on_shift=False)
    second = factories.volunteer(session, territory, clock(), on_shift=False)
    rota = f"/t/{territory.id}/rota"
    status, body, _ = post(
        client,
        f"{rota}/modele",
        {
            "volunteer_id": str(first.id),
            "weekdays": ["1", "3"],
            "start": "09:00",
            "end": "12:00",
            "valid_from": "2026-11-24",
            "holidays": "skip",
        },
        page=rota,
    )
    assert status == 302, body
    pattern = session.scalar(select(ShiftPattern).where(ShiftPattern.volunteer_id == first.id))
    assert pattern is not None and pattern.weekdays == [1, 3] and pattern.holidays == "skip"
    status, body, _ = post(
        client,
        f"{rota}/remplacement",
        {"pattern_id": str(pattern.id), "on_date": "2026-12-01", "replacement_id": str(second.id)},
        page=rota,
    )
    assert status == 302, body
    exception = session.scalar(select(ShiftException).where(ShiftException.pattern_id == pattern.id))
    assert exception is not None and exception.replacement_volunteer_id == second.id
    wrong_day, body, _ = post(
        client, f"{rota}/remplacement", {"pattern_id": str(pattern.id), "on_date": "2026-12-02"}, page=rota
    )
    assert wrong_day == 422 and "n&#39;a pas lieu ce jour-là" in body
    page = client.get(f"{rota}?semaine=2026-11-30&motif=orientation").get_data(as_text=True)
    assert second.name in page


def test_volunteers_are_added_edited_paused_and_counted(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    new = f"/t/{territory.id}/benevoles/nouveau"
    status, body, _ = post(
        client,
        new,
        {
            "name": "Dr Ana Ruiz",
            "phone": "06 12 34 56 78",
            "profession": "medecin",
            "motives": ["medecin_traitant"],
            "languages": "fr, es",
            "active": "on",
        },
    )
    assert status == 302, body
    volunteer = session.scalar(select(Volunteer).where(Volunteer.name == "Dr Ana Ruiz"))
    assert volunteer is not None and volunteer.phone == "+33612345678" and volunteer.languages == ["fr", "es"]
    duplicate, body, _ = post(
        client, new, {"name": "X", "phone": "0612345678", "profession": "medecin", "motives": ["orientation"]}
    )
    assert duplicate == 422 and "déjà ce numéro" in body
    edit = f"/t/{territory.id}/benevoles/{volunteer.id}"
    status, _, _ = post(
        client,
        edit,
        {
            "name": "Dr Ana Ruiz-Diaz",
            "phone": "0612345678",
            "profession": "medecin",
            "motives": ["medecin_traitant", "orientation"],
            "languages": "fr",
            "active": "on",
        },
    )
    assert status == 302
    status, _, _ = post(client, f"{edit}/pause", {"pause": "1"}, page=f"/t/{territory.id}/benevoles")
    session.expire_all()
    assert volunteer.name == "Dr Ana Ruiz-Diaz" and volunteer.paused is True
    request = make_request(session, territory, clock() - timedelta(hours=1))
    for seq, result in ((1, "declined"), (2, "accepted")):
        session.add(
            Attempt(
                request_id=request.id,
                volunteer_id=volunteer.id,
                seq=seq,
                result=result,
                offered_at=clock() - timedelta(hours=1),
            )
        )
    session.commit()
    row = client.get(f"/t/{territory.id}/benevoles").get_data(as_text=True).split(f'data-volunteer="{volunteer.id}"')[1]
    assert 'data-figure="offered">2<' in row and 'data-figure="accepted">1<' in row and "en pause" in row


def test_directory_entries_are_added_found_without_accents_and_their_cpts_fields_edited(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    status, body, location = post(
        client,
        f"/t/{territory.id}/annuaire/nouvelle",
        {
            "name": "Épicerie solidaire Ménilmontant",
            "kind": "structure",
            "category": "social_action",
            "postcode": "75020",
            "commune": "Paris",
            "phone": "01 43 58 00 00",
            "languages": "fr",
        },
    )
    assert status == 302, body
    entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.territory_id == territory.id))
    assert entry is not None and entry.source == "manual" and entry.phone == "+33143580000"
    found = client.get(f"/t/{territory.id}/annuaire?q=epicerie menilmontant").get_data(as_text=True)
    assert "Épicerie solidaire Ménilmontant" in found
    status, _, _ = post(
        client, location, {"accepting": "yes", "cpts_member": "on", "languages": "fr, ar", "notes": "Le mardi"}
    )
    session.expire_all()
    assert entry.accepting_new_patients is True and entry.accepting_since is not None
    assert entry.cpts_member is True and entry.languages == ["fr", "ar"] and entry.notes == "Le mardi"


def test_settings_validate_opening_hours_and_preview_the_wording(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    page = f"/t/{territory.id}/parametres"
    bad, body, _ = post(client, page + "/ligne", {"postcodes": "75020", "opening_hours": "Mo-Fr 8 à 20"}, page=page)
    assert bad == 422 and "Horaires illisibles" in body
    good, _, _ = post(
        client, page + "/ligne", {"postcodes": "75020 75019", "opening_hours": "Mo-Fr 08:00-20:00; PH off"}, page=page
    )
    assert good == 302
    session.expire_all()
    assert territory.opening_hours == "Mo-Fr 08:00-20:00; PH off" and territory.postcodes == ["75019", "75020"]
    assert [n.phone for n in territory.numbers] == [factories.LINE_NUMBER]  # a coordinator cannot move the line
    wording = "Bienvenue sur la ligne de la {territory}. Urgence vitale : le 15."
    status, body, _ = post(client, page + "/messages", {"prompt_welcome": wording, "action": "preview"}, page=page)
    assert status == 200 and "Bienvenue sur la ligne de la CPTS Paris 20. Urgence vitale : le 15." in body
    session.expire_all()
    assert "prompts" not in (territory.settings or {})
    broken, body, _ = post(
        client, page + "/messages", {"prompt_welcome": "Bonjour {patient}", "action": "save"}, page=page
    )
    assert broken == 422 and "{patient} n&#39;est pas disponible ici" in body
    status, _, _ = post(client, page + "/messages", {"prompt_welcome": wording, "action": "save"}, page=page)
    session.expire_all()
    assert status == 302 and territory.settings["prompts"] == {"welcome": wording}


def test_an_overseas_territorys_pages_show_times_on_its_own_clock(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    territory.timezone = "Indian/Reunion"  # UTC+4, three hours ahead of Paris in November
    session.commit()
    # Tuesday 24 November 2026, 09:00 in Paris = 12:00 in La Réunion.
    request = make_request(session, territory, datetime(2026, 11, 24, 9, 0, tzinfo=PARIS), motive="orientation")
    log = text_of(client.get(f"/t/{territory.id}/demandes").get_data(as_text=True))
    page = text_of(client.get(f"/t/{territory.id}/demandes/{request.reference}").get_data(as_text=True))
    assert "24 nov. 12:00" in log and "24 nov. 09:00" not in log
    assert "24 nov. 2026 12:00" in page
