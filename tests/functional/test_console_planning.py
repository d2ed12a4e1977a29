"""The planning page corrects what it shows: edit and delete a shift, end a pattern, refuse past dates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from tests import factories
from tests.conftest import PARIS
from tests.functional.console_client import coordinator, post
from volunteers.models import RotaVersion, Shift, ShiftPattern, Volunteer


def a_shift(session: Session, volunteer: Volunteer, clock: FrozenClock, day: int = 26) -> Shift:
    starts_at, ends_at = datetime(2026, 11, day, 9, tzinfo=PARIS), datetime(2026, 11, day, 12, tzinfo=PARIS)
    return factories.shift(session, volunteer, clock(), starts_at, ends_at)


def stamp(session: Session, territory: Territory) -> str | None:
    session.expire_all()
    return session.scalar(select(RotaVersion.stamp).where(RotaVersion.territory_id == territory.id))


def test_the_page_says_planning_and_lists_the_shifts_and_patterns_of_the_week(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Marie-Hélène Dupont-Lefèvre")
    shift = a_shift(session, volunteer, clock)
    page = client.get(f"/t/{territory.id}/rota").get_data(as_text=True)
    assert "<title>Planning" in page and "Planning de la semaine" in page and ">Rota<" not in page
    assert f'id="shift-{shift.id}"' in page and "Supprimer la permanence de Dr Marie-Hélène Dupont-Lefèvre" in page
    assert "jeudi 26 novembre 2026, 09:00–12:00" in page and "jeudi jeudi" not in page
    # Names are written in the cells, never only in a hover tooltip.
    assert 'title="' not in page.split('id="rota-grid"')[1].split("</table>")[0]


def test_a_shift_is_edited_and_the_rota_stamp_is_renewed(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    first = factories.volunteer(session, territory, clock(), on_shift=False)
    second = factories.volunteer(session, territory, clock(), on_shift=False)
    shift = a_shift(session, first, clock)
    before = stamp(session, territory)
    rota = f"/t/{territory.id}/rota"
    status, body, location = post(
        client,
        f"{rota}/permanence/{shift.id}",
        {"volunteer_id": str(second.id), "day": "2026-11-27", "start": "20:00", "end": "08:00"},
        page=rota,
    )
    assert status == 302, body
    session.expire_all()
    edited = session.get(Shift, shift.id)
    assert edited is not None and edited.volunteer_id == second.id
    assert edited.starts_at == datetime(2026, 11, 27, 20, tzinfo=PARIS)
    assert edited.ends_at == datetime(2026, 11, 28, 8, tzinfo=PARIS)
    assert stamp(session, territory) != before
    assert "Permanence modifiée." in client.get(location).get_data(as_text=True)


def test_a_shift_is_deleted(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    shift_id = a_shift(session, volunteer, clock).id
    before = stamp(session, territory)
    rota = f"/t/{territory.id}/rota"
    status, body, location = post(client, f"{rota}/permanence/{shift_id}/suppression", {}, page=rota)
    assert status == 302, body
    assert stamp(session, territory) != before
    assert session.scalar(select(Shift).where(Shift.id == shift_id)) is None
    page = client.get(location).get_data(as_text=True)
    assert "Permanence supprimée." in page and f'id="shift-{shift_id}"' not in page


def test_a_shift_of_another_territory_cannot_be_touched(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    other = factories.territory(session, clock(), name="CPTS Autre", phone_numbers=["+33199000077"])
    shift = a_shift(session, factories.volunteer(session, other, clock(), on_shift=False), clock)
    rota = f"/t/{territory.id}/rota"
    status, _, _ = post(client, f"{rota}/permanence/{shift.id}/suppression", {}, page=rota)
    assert status == 404
    session.expire_all()
    assert session.get(Shift, shift.id) is not None


def test_a_weekly_pattern_is_ended_from_a_date(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    pattern = factories.pattern(session, volunteer, clock(), [1, 3])
    rota = f"/t/{territory.id}/rota"
    assert f'id="pattern-{pattern.id}"' in client.get(rota).get_data(as_text=True)
    status, body, _ = post(
        client, f"{rota}/modele/{pattern.id}/fin", {"valid_until": "2026-11-26", "semaine": "2026-11-23"}, page=rota
    )
    assert status == 302, body
    session.expire_all()
    ended = session.get(ShiftPattern, pattern.id)
    assert ended is not None and ended.valid_until == date(2026, 11, 26)
    # The week after its last day no longer lists it.
    later = client.get(f"{rota}?semaine=2026-11-30").get_data(as_text=True)
    assert f'id="pattern-{pattern.id}"' not in later


def test_ending_a_pattern_in_the_past_is_refused_beside_the_field(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    pattern = factories.pattern(session, volunteer, clock(), [0])
    rota = f"/t/{territory.id}/rota"
    status, body, _ = post(client, f"{rota}/modele/{pattern.id}/fin", {"valid_until": "2026-11-20"}, page=rota)
    assert status == 422
    assert f'aria-describedby="err-end-{pattern.id}-valid_until"' in body and "Cette date est passée" in body
    assert 'value="2026-11-20"' in body
    session.expire_all()
    assert session.get(ShiftPattern, pattern.id).valid_until is None  # type: ignore[union-attr]


def test_a_past_day_is_refused_and_the_form_keeps_what_was_typed(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    rota = f"/t/{territory.id}/rota"
    status, body, _ = post(
        client,
        f"{rota}/permanence",
        {
            "volunteer_id": str(volunteer.id),
            "day": "2026-11-23",
            "start": "07:30",
            "end": "11:15",
            "motives": ["orientation"],
        },
        page=rota,
    )
    assert status == 422
    assert "Cette date est passée : choisissez aujourd&#39;hui ou plus tard." in body
    assert 'aria-invalid="true" aria-describedby="err-shift-day"' in body and 'id="err-shift-day"' in body
    form = body.split('id="form-shift"')[1].split("</form>")[0]
    assert 'value="2026-11-23"' in form and 'value="07:30"' in form and 'value="11:15"' in form
    assert f'<option value="{volunteer.id}" selected>' in form
    assert 'value="orientation" checked' in form
    # The other forms stay empty: what was typed belongs to the form that failed.
    pattern_form = body.split('id="form-pattern"')[1].split("</form>")[0]
    assert 'value="07:30"' not in pattern_form
    assert session.scalar(select(Shift).where(Shift.volunteer_id == volunteer.id)) is None


def test_a_past_pattern_start_or_replacement_day_is_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    rota = f"/t/{territory.id}/rota"
    status, body, _ = post(
        client,
        f"{rota}/modele",
        {
            "volunteer_id": str(volunteer.id),
            "weekdays": ["0"],
            "start": "09:00",
            "end": "12:00",
            "valid_from": "2026-11-23",
        },
        page=rota,
    )
    assert status == 422 and 'id="err-pattern-valid_from"' in body and "Cette date est passée" in body
    form = body.split('id="form-pattern"')[1].split("</form>")[0]
    assert 'value="0" checked' in form and 'value="09:00"' in form and 'value="2026-11-23"' in form
    pattern = factories.pattern(session, volunteer, clock(), [0])
    status, body, _ = post(
        client, f"{rota}/remplacement", {"pattern_id": str(pattern.id), "on_date": "2026-11-23"}, page=rota
    )
    assert status == 422 and 'id="err-replacement-on_date"' in body and "Cette date est passée" in body


def test_a_phone_sees_one_day_with_its_names_through_a_jour_link(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Jeanne Longuenom")
    a_shift(session, volunteer, clock, day=26)
    page = client.get(f"/t/{territory.id}/rota?semaine=2026-11-23&jour=2026-11-26").get_data(as_text=True)
    day = page.split('id="rota-day"')[1].split("</ol>")[0]
    assert day.count("<li") == 24 and day.count("Dr Jeanne Longuenom") == 3  # 09 h, 10 h, 11 h
    assert 'jour=2026-11-26#jour-titre" aria-current="date"' in page
    # Without ?jour=, today (Tuesday 24) is shown: nobody is on shift then.
    today = client.get(f"/t/{territory.id}/rota").get_data(as_text=True).split('id="rota-day"')[1].split("</ol>")[0]
    assert "Dr Jeanne Longuenom" not in today


def test_an_edit_refused_reopens_its_form_with_what_was_typed(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    shift = a_shift(session, volunteer, clock)
    rota = f"/t/{territory.id}/rota"
    status, body, _ = post(
        client,
        f"{rota}/permanence/{shift.id}",
        {"volunteer_id": str(volunteer.id), "day": "2026-11-20", "start": "14:00", "end": "nuit"},
        page=rota,
    )
    assert status == 422
    item = body.split(f'id="shift-{shift.id}"')[1].split("</li>")[0]
    assert "<details open>" in item and 'value="2026-11-20"' in item and 'value="14:00"' in item
    assert f'id="err-shift-{shift.id}-day"' in item and f'id="err-shift-{shift.id}-end"' in item
    session.expire_all()
    unchanged = session.get(Shift, shift.id)
    assert unchanged is not None and unchanged.starts_at == datetime(2026, 11, 26, 9, tzinfo=PARIS)


def test_the_replacement_link_of_a_pattern_prefills_the_replacement_form(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    pattern = factories.pattern(session, volunteer, clock(), [3])
    page = client.get(f"/t/{territory.id}/rota").get_data(as_text=True)
    link = page.split(f'id="pattern-{pattern.id}"')[1].split("</li>")[0]
    assert f"remplacer={pattern.id}#ajout-remplacement" in link
    prefilled = client.get(f"/t/{territory.id}/rota?remplacer={pattern.id}").get_data(as_text=True)
    form = prefilled.split('id="form-replacement"')[1].split("</form>")[0]
    assert f'<option value="{pattern.id}" selected>' in form


def test_deleting_a_shift_without_the_csrf_token_is_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory, client = coordinator(app, session, clock)
    shift_id = a_shift(session, factories.volunteer(session, territory, clock(), on_shift=False), clock).id
    response = client.post(f"/t/{territory.id}/rota/permanence/{shift_id}/suppression", data={})
    assert response.status_code == 400
    assert session.scalar(select(Shift).where(Shift.id == shift_id)) is not None
