"""The waiting line's figures (issue 19) in the stats API, the dashboard and the ACI export, over real rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Request, Territory
from orientation.core.spreadsheet import RFC4180
from orientation.services.exports import aci_csv
from tests import factories
from tests.conftest import PARIS
from tests.functional.api_client import api, other_territory
from tests.functional.console_client import account, login

_numbers = iter(range(1, 10**6))


def waited(
    session: Session,
    territory: Territory,
    at: datetime,
    motive: str,
    seconds: int | None,
    end: str | None,
    postcode: str = "75020",
) -> Request:
    """A request whose caller waited `seconds` in the line and left it by `end` (None: still waiting)."""
    number = next(_numbers)
    started = at + timedelta(seconds=20)
    request = Request(
        territory_id=territory.id,
        reference=f"{territory.reference_prefix}-2026-{number:06d}",
        call_sid=f"CA{number:032d}",
        caller="+33611223344",
        motive=motive,
        postcode=postcode,
        status={"answered": "connected", "hung_up": "abandoned"}.get(end or "", "callback_pending"),
        created_at=at,
        updated_at=at,
        wait_started_at=started,
        wait_ended_at=None if seconds is None else started + timedelta(seconds=seconds),
        wait_end=end,
    )
    session.add(request)
    session.commit()
    return request


def populate(session: Session, clock: FrozenClock) -> Territory:
    """November: five home-visit callers waited (one still waiting), one GP caller; October: one; elsewhere: one."""
    territory = factories.territory(session, clock())
    november = datetime(2026, 11, 10, 9, 0, tzinfo=PARIS)
    for seconds, end in ((30, "answered"), (90, "answered"), (150, "hung_up"), (300, "wait_limit"), (None, None)):
        waited(session, territory, november, "visite_domicile", seconds, end)
    waited(session, territory, november, "medecin_traitant", 12, "chose_message")
    waited(session, territory, datetime(2026, 10, 20, 9, 0, tzinfo=PARIS), "visite_domicile", 999, "hung_up")
    waited(session, other_territory(session, clock()), november, "visite_domicile", 500, "hung_up", "69008")
    return territory


def test_the_stats_api_gives_each_motive_its_waiting_line_figures(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = populate(session, clock)

    body = (
        api(app, session, clock())
        .get(
            "/stats",
            {"territory_id": territory.id, "since": "2026-11-01T00:00:00+01:00", "until": "2026-12-01T00:00:00+01:00"},
        )
        .get_json()
    )

    visits = body["motives"]["visite_domicile"]["waiting_line"]
    assert visits == {
        "waited": 5,
        "waiting": 1,
        "answered_from_line": 2,
        "left_hung_up": 1,
        "left_chose_message": 0,
        "left_wait_limit": 1,
        "median_wait_seconds": 120.0,  # (90 + 150) / 2 over the four who left the line
        "p90_wait_seconds": 300.0,
    }
    assert body["motives"]["medecin_traitant"]["waiting_line"]["left_chose_message"] == 1
    assert body["motives"]["all"]["waiting_line"]["waited"] == 6
    assert body["motives"]["orientation"]["waiting_line"]["median_wait_seconds"] is None
    assert body["motives"]["visite_domicile"]["requests"] == 5  # the flat figures are unchanged


def test_the_dashboard_shows_the_waiting_line_per_motive_for_the_month(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=PARIS))
    territory = populate(session, clock)
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")

    html = client.get(f"/t/{territory.id}/").get_data(as_text=True)

    month = html[html.index('data-period="month"') :]
    table = month[
        month.index('data-table="waiting-line"') : month.index("</table>", month.index('data-table="waiting-line"'))
    ]
    row = table[table.index('data-motive="visite_domicile"') :]
    cells = dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', row[: row.index("</tr>")]))
    assert cells == {
        "waited": "5",
        "answered_from_line": "2",
        "median_wait_seconds": "120.0",
        "p90_wait_seconds": "300.0",
        "left_hung_up": "1",
        "left_chose_message": "0",
        "left_wait_limit": "1",
    }
    assert "Attente médiane dans la file" in table and "2 min 00 s" in row
    assert 'data-motive="orientation"' not in table  # nobody waited for it


def test_the_dashboard_says_when_nobody_waited(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)

    html = login(app, "coord@example.org").get(f"/t/{territory.id}/").get_data(as_text=True)

    assert "Aucun appelant n'a attendu dans la file sur la période." in html


def test_the_aci_export_has_the_waiting_line_per_month_commune_and_motive(session: Session, clock: FrozenClock) -> None:
    territory = populate(session, clock)
    out = io.StringIO()

    aci_csv(
        session,
        territory,
        datetime(2026, 10, 1, tzinfo=PARIS),
        datetime(2026, 12, 1, tzinfo=PARIS),
        out,
        RFC4180,
    )

    rows = {(r["month"], r["motive"]): r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    november = rows[("2026-11", "visite_domicile")]
    assert (november["waited"], november["answered_from_line"], november["left_hung_up"]) == ("5", "2", "1")
    assert (november["left_wait_limit"], november["median_wait_seconds"], november["p90_wait_seconds"]) == (
        "1",
        "120.0",
        "300.0",
    )
    assert rows[("2026-10", "visite_domicile")]["left_hung_up"] == "1"
    assert rows[("2026-10", "visite_domicile")]["median_wait_seconds"] == "999.0"
    assert rows[("2026-11", "medecin_traitant")]["left_chose_message"] == "1"
