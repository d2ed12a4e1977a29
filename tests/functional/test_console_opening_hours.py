"""The opening-hours editor: a form post becomes the stored OSM value, and the page previews 14 days."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from tests.conftest import PARIS
from tests.functional import console_client
from tests.functional.console_client import post


def coordinator(app: Flask, session: Session, clock: FrozenClock) -> tuple[Territory, FlaskClient, str]:
    territory, client = console_client.coordinator(app, session, clock)
    return territory, client, f"/t/{territory.id}/parametres"


def preview_lines(html: str) -> dict[str, str]:
    found = re.findall(r'<li data-day="([\d-]+)">(.*?)</li>', html, flags=re.S)
    return {day: " ".join(re.sub(r"<[^>]+>", " ", text).split()) for day, text in found}


def weekdays_8_to_20(**extra: str) -> dict[str, str]:
    form = {f"d{d}_0_start": "08:00" for d in range(5)} | {f"d{d}_0_end": "20:00" for d in range(5)}
    form |= {"d5_0_start": "08:00", "d5_0_end": "12:00", "ph_mode": "closed"}
    return form | extra


def test_the_editor_saves_the_osm_value_and_the_page_previews_the_next_14_days(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    # The clock is set before logging in: a console session ends after 30 minutes without a request.
    clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=PARIS))  # Monday: Christmas on Friday
    territory, client, page = coordinator(app, session, clock)
    status, body, location = post(client, page + "/horaires", weekdays_8_to_20(action="save"), page=page)
    assert status == 302, body
    session.expire_all()
    assert territory.opening_hours == "Mo-Fr 08:00-20:00; Sa 08:00-12:00; PH off"
    html = client.get(location).get_data(as_text=True)
    lines = preview_lines(html)
    assert len(lines) == 14
    assert lines["2026-12-21"].endswith(": 08:00 – 20:00")
    assert "Noël" in lines["2026-12-25"] and lines["2026-12-25"].endswith("fermé")
    assert lines["2026-12-26"].endswith(": 08:00 – 12:00")
    assert lines["2026-12-27"].endswith("fermé")
    assert "Jour de l" in lines["2027-01-01"] and lines["2027-01-01"].endswith("fermé")
    # The editor shows the stored value back in its fields.
    assert 'name="d0_0_start" value="08:00"' in html and 'name="d5_0_end" value="12:00"' in html
    assert re.search(r'name="ph_mode" value="closed" checked', html)


def test_a_night_past_midnight_is_kept_whole_and_previewed_across_the_dst_change(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    # The clock is set before logging in: a console session ends after 30 minutes without a request.
    clock.set(datetime(2026, 3, 23, 9, 0, tzinfo=PARIS))  # summer time starts on Sunday 29 March
    territory, client, page = coordinator(app, session, clock)
    form = {f"d{d}_0_start": "20:00" for d in range(5)} | {f"d{d}_0_end": "08:00" for d in range(5)}
    form |= {"d5_allday": "on", "d6_allday": "on", "ph_mode": "open"}
    status, body, _ = post(client, page + "/horaires", form | {"action": "preview"}, page=page)
    assert status == 200, body
    session.expire_all()
    assert territory.opening_hours == "24/7"  # a preview saves nothing
    assert 'name="postcodes" value="75019, 75020"' in body  # the line's form keeps its values
    osm = re.search(r'<code id="hours-osm">(.*?)</code>', body).group(1)  # type: ignore[union-attr]
    assert osm == "Mo-Fr 20:00-08:00; Sa-Su 00:00-24:00; PH 00:00-24:00"
    lines = preview_lines(body)
    assert lines["2026-03-23"].endswith(": 20:00 – 24:00")
    assert lines["2026-03-24"].endswith(": 00:00 – 08:00, 20:00 – 24:00")
    assert lines["2026-03-28"].endswith("toute la journée")  # Friday's night runs into the weekend
    assert lines["2026-03-29"].endswith("toute la journée")  # the 23-hour day
    assert lines["2026-03-30"].endswith(": 20:00 – 24:00")  # Sunday had no night: it ended at midnight
    assert post(client, page + "/horaires", form | {"action": "save"}, page=page)[0] == 302
    session.expire_all()
    assert territory.opening_hours == osm


def test_errors_are_in_french_beside_the_fields_and_what_was_typed_stays(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    form = weekdays_8_to_20(d2_0_end="25:00", d3_1_start="10:00", ph_mode="hours", action="save")
    status, body, _ = post(client, page + "/horaires", form, page=page)
    assert status == 422
    assert "Mercredi : « 25:00 » n&#39;est pas une heure" in body
    assert "Jeudi : indiquez l&#39;heure de fin de la plage." in body
    assert "Jours fériés : indiquez au moins une plage horaire" in body
    assert 'name="d2_0_end" value="25:00"' in body and 'aria-invalid="true" aria-describedby="err-d2_0_end"' in body
    session.expire_all()
    assert territory.opening_hours == "24/7"


def test_hours_the_editor_cannot_show_are_said_and_the_expert_field_keeps_them(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    territory.opening_hours = "Mo 08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00"
    session.commit()
    html = client.get(page).get_data(as_text=True)
    assert "une forme que l'éditeur ne sait pas montrer" in html
    assert 'value="Mo 08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00"' in html


def test_the_expert_field_explains_its_errors_in_french(app: Flask, session: Session, clock: FrozenClock) -> None:
    _, client, page = coordinator(app, session, clock)
    form = {"postcodes": "75020", "opening_hours": "Mo-Fr 8:00-20:00"}
    status, body, _ = post(client, page + "/ligne", form, page=page)
    assert status == 422
    assert "Horaires illisibles : heure « 8:00 » invalide dans « Mo-Fr 8:00-20:00 »" in body
    assert "invalid time" not in body
