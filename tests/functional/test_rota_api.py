"""The rota through the JSON API: patterns, exceptions, the expanded rota across DST, holidays, gaps, load."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Request
from tests import factories
from tests.functional.api_client import make_token


class Api:
    """The test client with a bearer token and the /api/v1 prefix."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.client.get("/api/v1" + path, query_string=query, headers=self.headers)

    def post(self, path: str, body: Any) -> TestResponse:
        return self.client.post("/api/v1" + path, json=body, headers=self.headers)

    def patch(self, path: str, body: Any) -> TestResponse:
        return self.client.patch("/api/v1" + path, json=body, headers=self.headers)

    def delete(self, path: str) -> TestResponse:
        return self.client.delete("/api/v1" + path, headers=self.headers)


def _api(app: Flask, session: Session, now: datetime, territory_id: int | None = None) -> Api:
    return Api(app.test_client(), make_token(session, now, "rota", territory_id))


def _rota(api: Api, territory_id: int, start: str, end: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/rota", territory_id=territory_id, **{"from": start, "to": end}).get_json()[
        "items"
    ]
    return items


def _on_duty(api: Api, territory_id: int, at: str) -> list[int]:
    return [v["volunteer_id"] for v in api.get("/rota/on-duty", territory_id=territory_id, at=at).get_json()["items"]]


def _pattern(api: Api, volunteer_id: int, **fields: Any) -> dict[str, Any]:
    body = {"volunteer_id": volunteer_id, "weekdays": ["Tu"], "start_time": "09:00", "end_time": "12:00",
            "valid_from": "2026-12-01", "valid_until": "2027-06-30",
            "motives": ["visite_domicile", "soins_non_programmes"]}  # fmt: skip
    body.update(fields)
    response = api.post("/patterns", body)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def test_dr_martin_every_tuesday_morning_is_a_pattern_with_seven_occurrences_in_december_and_january(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Martin")
    api = _api(app, session, clock())
    created = _pattern(api, martin.id)
    assert created["weekdays"] == [1] and created["start_time"] == "09:00" and created["holidays"] == "include"

    rota = api.get("/rota", territory_id=territory.id, **{"from": "2026-12-01", "to": "2027-01-01"}).get_json()
    starts = [item["starts_at"] for item in rota["items"]]
    assert starts == [f"2026-12-{d:02d}T09:00:00+01:00" for d in (1, 8, 15, 22, 29)]
    assert {item["hours"] for item in rota["items"]} == {3.0}
    assert rota["items"][0]["motives"] == ["soins_non_programmes", "visite_domicile"]
    assert rota["items"][0]["volunteer_name"] == "Dr Martin"
    listed = api.get("/patterns", volunteer_id=martin.id).get_json()["items"]
    assert [p["id"] for p in listed] == [created["id"]]


def test_weekdays_may_be_numbers_names_or_a_range_and_times_are_normalised(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    assert _pattern(api, volunteer.id, weekdays=[0, "We", "vendredi"])["weekdays"] == [0, 2, 4]
    weekdays = _pattern(api, volunteer.id, weekdays="Mo-Fr", start_time="8h", end_time="8:30")["weekdays"]
    assert weekdays == [0, 1, 2, 3, 4]
    assert _pattern(api, volunteer.id, weekdays="Sa-Mo")["start_time"] == "09:00"


def test_a_bad_pattern_is_refused_field_by_field(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    bad = api.post(
        "/patterns",
        {"volunteer_id": volunteer.id, "weekdays": ["Xx"], "start_time": "25:00", "end_time": "noon",
         "valid_from": "2026-12-01", "valid_until": "2026-11-01", "motives": ["chirurgie"], "holidays": "sometimes"},
    )  # fmt: skip
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]
    assert set(errors) == {"weekdays", "start_time", "end_time", "valid_until", "motives", "holidays"}
    assert "Xx" in errors["weekdays"] and "HH:MM" in errors["start_time"]
    assert api.post("/patterns", {"volunteer_id": volunteer.id}).status_code == 422
    assert api.post("/patterns", [1, 2]).status_code == 422
    far = api.post("/patterns", {"volunteer_id": volunteer.id, "weekdays": [1], "start_time": "09:00",
                                 "end_time": "10:00", "valid_from": "9999-12-31"})  # fmt: skip
    assert far.status_code == 422 and "valid_from" in far.get_json()["errors"]


def test_a_pattern_of_another_territory_is_not_found_and_cannot_be_created(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    other = factories.territory(
        session, clock(), name="CPTS Lyon 8", reference_prefix="L8", phone_numbers=["+33199000002"], postcodes=["69008"]
    )
    admin = _api(app, session, clock())
    pattern = _pattern(admin, volunteer.id)
    lyon = _api(app, session, clock(), territory_id=other.id)
    assert lyon.get(f"/patterns/{pattern['id']}").status_code == 404
    assert lyon.delete(f"/patterns/{pattern['id']}").status_code == 404
    assert lyon.get("/patterns").get_json()["items"] == []
    refused = lyon.post("/patterns", {"volunteer_id": volunteer.id, "weekdays": [1], "start_time": "09:00",
                                      "end_time": "10:00", "valid_from": "2026-12-01"})  # fmt: skip
    assert refused.status_code == 422 and "volunteer_id" in refused.get_json()["errors"]
    assert lyon.get("/rota", territory_id=territory.id).status_code == 404
    assert lyon.get("/rota/gaps", territory_id=territory.id).status_code == 404


def test_a_cancelled_occurrence_disappears_and_a_replacement_gives_it_to_another_volunteer(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Martin")
    durand = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Durand")
    api = _api(app, session, clock())
    pattern = _pattern(api, martin.id)
    cancelled = api.post(f"/patterns/{pattern['id']}/exceptions", {"on_date": "2026-12-08"})
    assert cancelled.status_code == 201 and cancelled.get_json()["kind"] == "cancellation"
    replaced = api.post(
        f"/patterns/{pattern['id']}/exceptions", {"on_date": "2026-12-15", "replacement_volunteer_id": durand.id}
    )
    assert replaced.status_code == 201 and replaced.get_json()["kind"] == "replacement"

    items = _rota(api, territory.id, "2026-12-01", "2026-12-23")
    assert [(i["starts_at"][:10], i["volunteer_id"], i["replaced_volunteer_id"]) for i in items] == [
        ("2026-12-01", martin.id, None),
        ("2026-12-15", durand.id, martin.id),
        ("2026-12-22", martin.id, None),
    ]
    # Setting the exception again changes it; deleting it gives the shift back.
    exceptions = f"/patterns/{pattern['id']}/exceptions"
    again = api.post(exceptions, {"on_date": "2026-12-08", "replacement_volunteer_id": durand.id})
    assert again.status_code == 200 and again.get_json()["kind"] == "replacement"
    assert api.delete(f"/patterns/{pattern['id']}/exceptions/2026-12-15").status_code == 204
    assert api.delete(f"/patterns/{pattern['id']}/exceptions/2026-12-15").status_code == 404
    shown = api.get(f"/patterns/{pattern['id']}").get_json()
    assert [(e["on_date"], e["replacement_volunteer_id"]) for e in shown["exceptions"]] == [("2026-12-08", durand.id)]


def test_an_exception_must_fall_on_an_occurrence_and_name_a_volunteer_of_the_territory(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    pattern = _pattern(api, martin.id)
    wednesday = api.post(f"/patterns/{pattern['id']}/exceptions", {"on_date": "2026-12-09"})
    assert wednesday.status_code == 422 and "on_date" in wednesday.get_json()["errors"]
    after = api.post(f"/patterns/{pattern['id']}/exceptions", {"on_date": "2027-07-06"})
    assert after.status_code == 422
    exceptions = f"/patterns/{pattern['id']}/exceptions"
    unknown = api.post(exceptions, {"on_date": "2026-12-08", "replacement_volunteer_id": 99999})
    assert unknown.status_code == 422 and "replacement_volunteer_id" in unknown.get_json()["errors"]
    themselves = api.post(
        f"/patterns/{pattern['id']}/exceptions", {"on_date": "2026-12-08", "replacement_volunteer_id": martin.id}
    )
    assert themselves.status_code == 422


def test_a_night_pattern_lasts_eleven_hours_in_march_and_thirteen_in_october(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    night = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    _pattern(api, night.id, weekdays=["Sa"], start_time="20:00", end_time="08:00", valid_from="2026-01-01",
             valid_until=None)  # fmt: skip

    spring = api.get("/rota", territory_id=territory.id, **{"from": "2026-03-28", "to": "2026-03-29"}).get_json()
    assert [(i["starts_at"], i["ends_at"], i["hours"]) for i in spring["items"]] == [
        ("2026-03-28T20:00:00+01:00", "2026-03-29T08:00:00+02:00", 11.0)
    ]
    autumn = api.get("/rota", territory_id=territory.id, **{"from": "2026-10-24", "to": "2026-10-25"}).get_json()
    assert [(i["starts_at"], i["ends_at"], i["hours"]) for i in autumn["items"]] == [
        ("2026-10-24T20:00:00+02:00", "2026-10-25T08:00:00+01:00", 13.0)
    ]
    # On duty exactly then: at 07:59 CEST on the spring morning, not at 08:00.
    assert _on_duty(api, territory.id, "2026-03-29T07:59:00+02:00") == [night.id]
    assert _on_duty(api, territory.id, "2026-03-29T08:00:00+02:00") == []
    assert _on_duty(api, territory.id, "2026-03-28T19:59:00+01:00") == []
    # In October the hour 02:00–03:00 happens twice; both passes are covered.
    for at in ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-25T07:59:00+01:00"):
        assert _on_duty(api, territory.id, at) == [night.id]


def test_a_pattern_skipping_holidays_has_no_shift_on_christmas_and_in_alsace_none_on_saint_stephens_day(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    paris = factories.territory(session, clock())
    strasbourg = factories.territory(
        session, clock(), name="CPTS Strasbourg", reference_prefix="S67", phone_numbers=["+33199000067"],
        postcodes=["67000"], holiday_subdivision="67",
    )  # fmt: skip
    api = _api(app, session, clock())
    for territory in (paris, strasbourg):
        volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
        _pattern(api, volunteer.id, weekdays="Mo-Su", holidays="skip", valid_from="2026-12-20")
    paris_days = [i["starts_at"][:10] for i in _rota(api, paris.id, "2026-12-24", "2026-12-28")]
    alsace_days = [i["starts_at"][:10] for i in _rota(api, strasbourg.id, "2026-12-24", "2026-12-28")]
    assert paris_days == ["2026-12-24", "2026-12-26", "2026-12-27"]
    assert alsace_days == ["2026-12-24", "2026-12-27"]


def test_a_holiday_only_pattern_runs_on_public_holidays_alone(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    _pattern(api, volunteer.id, weekdays="Mo-Su", holidays="only", valid_from="2026-12-01")
    items = _rota(api, territory.id, "2026-12-01", "2027-01-05")
    assert [i["starts_at"][:10] for i in items] == ["2026-12-25", "2027-01-01"]


def test_overlapping_shifts_are_both_listed_and_both_volunteers_are_on_duty(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    first = factories.volunteer(session, territory, clock(), on_shift=False)
    second = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    _pattern(api, first.id, weekdays=["Tu"], start_time="08:00", end_time="12:00", valid_from="2026-11-01")
    _pattern(api, second.id, weekdays=["Tu"], start_time="10:00", end_time="14:00", valid_from="2026-11-01")
    on = api.get("/rota/on-duty", territory_id=territory.id, at="2026-11-24T11:00:00+01:00", motive="visite_domicile")
    assert sorted(v["volunteer_id"] for v in on.get_json()["items"]) == sorted([first.id, second.id])
    gaps = api.get("/rota/gaps", territory_id=territory.id, days=1).get_json()
    # From now (Tue 10:00) for one day, open 24/7: covered until 14:00 only.
    assert gaps["motives"]["visite_domicile"] == [
        {"starts_at": "2026-11-24T14:00:00+01:00", "ends_at": "2026-11-25T10:00:00+01:00", "hours": 20.0}
    ]
    # Neither shift takes this motive (their patterns narrow to two others): a gap all day.
    assert gaps["hours_uncovered"]["medecin_traitant"] == 24.0


def test_gaps_are_counted_within_opening_hours_per_motive(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock(), opening_hours="Mo-Fr 08:00-20:00")
    home = factories.volunteer(session, territory, clock(), on_shift=False, motives=["visite_domicile"])
    api = _api(app, session, clock())
    _pattern(api, home.id, weekdays="Mo-Fr", start_time="08:00", end_time="14:00", valid_from="2026-11-01",
             motives=[])  # fmt: skip
    gaps = api.get("/rota/gaps", territory_id=territory.id, days=14).get_json()
    assert gaps["days"] == 14 and gaps["timezone"] == "Europe/Paris"
    visits = gaps["motives"]["visite_domicile"]
    assert visits[0] == {"starts_at": "2026-11-24T14:00:00+01:00", "ends_at": "2026-11-24T20:00:00+01:00", "hours": 6.0}
    assert all(g["starts_at"][11:16] == "14:00" and g["ends_at"][11:16] == "20:00" for g in visits)
    assert len(visits) == 10  # ten weekdays in the next fourteen days, the weekends being closed
    # Nobody takes the other motives: every opening hour is a gap, nothing outside them.
    assert gaps["hours_uncovered"]["orientation"] == 10 + 9 * 12 + 2
    assert api.get("/rota/gaps", territory_id=territory.id, days=0).status_code == 422
    assert api.get("/rota/gaps", days=3).status_code == 422


def test_a_pattern_can_be_ended_by_patching_valid_until_and_deleted(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    pattern = _pattern(api, volunteer.id, valid_until=None)
    ended = api.patch(f"/patterns/{pattern['id']}", {"valid_until": "2026-12-10"})
    assert ended.status_code == 200 and ended.get_json()["valid_until"] == "2026-12-10"
    items = _rota(api, territory.id, "2026-12-01", "2026-12-31")
    assert [i["starts_at"][:10] for i in items] == ["2026-12-01", "2026-12-08"]
    assert api.patch(f"/patterns/{pattern['id']}", {"valid_until": "2026-11-01"}).status_code == 422
    assert api.patch(f"/patterns/{pattern['id']}", {"weekdays": None}).status_code == 422
    assert api.delete(f"/patterns/{pattern['id']}").status_code == 204
    assert api.get(f"/patterns/{pattern['id']}").status_code == 404


def test_the_rota_period_is_checked(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    api = _api(app, session, clock())
    assert api.get("/rota", territory_id=territory.id, **{"from": "tomorrow"}).status_code == 422
    assert api.get("/rota", territory_id=territory.id, **{"from": "2026-12-01T00:00:00"}).status_code == 422
    assert api.get("/rota", territory_id=territory.id, **{"from": "2026-12-10", "to": "2026-12-01"}).status_code == 422
    assert api.get("/rota", territory_id=territory.id, **{"from": "2026-01-01", "to": "2027-01-01"}).status_code == 422
    default = api.get("/rota", territory_id=territory.id).get_json()
    assert default["from"] == "2026-11-24T00:00:00+01:00" and default["to"] == "2026-12-01T00:00:00+01:00"


def test_load_counts_offered_and_accepted_requests_per_volunteer_with_their_hours_on_shift(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    busy = factories.volunteer(session, territory, clock(), name="Dr Busy")
    quiet = factories.volunteer(session, territory, clock(), name="Dr Quiet")
    factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Idle")
    at = clock() - timedelta(hours=1)
    for seq, (volunteer, result) in enumerate(
        [(busy, "accepted"), (busy, "declined"), (busy, "no_answer"), (quiet, "accepted"), (quiet, "busy")]
    ):
        request = Request(territory_id=territory.id, reference=f"P20-2026-{seq:06d}", status="closed",
                          created_at=at, updated_at=at)  # fmt: skip
        session.add(request)
        session.flush()
        session.add(Attempt(request_id=request.id, volunteer_id=volunteer.id, seq=1, result=result, offered_at=at))
    session.commit()
    api = _api(app, session, clock())
    body = api.get("/rota/load", territory_id=territory.id).get_json()
    by_name = {item["name"]: item for item in body["items"]}
    assert (by_name["Dr Busy"]["offered"], by_name["Dr Busy"]["accepted"]) == (3, 1)
    assert (by_name["Dr Quiet"]["offered"], by_name["Dr Quiet"]["accepted"]) == (1, 1)  # a busy line is not offered
    assert (by_name["Dr Idle"]["offered"], by_name["Dr Idle"]["acceptance_rate"]) == (0, None)
    assert by_name["Dr Busy"]["share_of_offered"] == 0.75
    # The factory's shift started two hours ago: two hours on shift in the last 30 days.
    assert by_name["Dr Busy"]["shift_hours"] == 2.0 and by_name["Dr Idle"]["shift_hours"] == 0.0
    one = api.get(f"/volunteers/{busy.id}/load").get_json()
    assert (one["volunteer_id"], one["offered"], one["accepted"], one["acceptance_rate"]) == (busy.id, 3, 1, 0.333)
    before = api.get(f"/volunteers/{busy.id}/load", until=(at - timedelta(minutes=1)).isoformat()).get_json()
    assert before["offered"] == 0
    assert api.get("/rota/load", territory_id=territory.id, since="2026-12-01", until="2026-11-01").status_code == 422


def test_the_openapi_document_describes_the_rota(app: Flask) -> None:
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/patterns", "/patterns/{pattern_id}", "/patterns/{pattern_id}/exceptions", "/rota", "/rota/gaps",
                 "/rota/load", "/volunteers/{volunteer_id}/load"):  # fmt: skip
        assert path in paths, path


@pytest.mark.parametrize(
    "body",
    [
        {"weekdays": 5},
        {"weekdays": ["Mo", 1.5]},
        {"weekdays": [], "start_time": 9},
        {"weekdays": "Mo", "start_time": "09:00", "end_time": "10:00", "valid_from": 20261201},
        {"weekdays": "Mo", "start_time": "09:00", "end_time": "10:00", "valid_from": "2026-02-30"},
        {"weekdays": "Mo", "start_time": "09:00", "end_time": "10:00", "valid_from": "2026-12-01", "motives": "all"},
        {"weekdays": "Mo", "start_time": "09:00", "end_time": "10:00", "valid_from": "2026-12-01", "holidays": None},
        {"weekdays": "Mo" * 5000, "start_time": "09:00", "end_time": "10:00", "valid_from": "2026-12-01"},
    ],
)
def test_odd_pattern_bodies_get_a_422_never_a_500(
    app: Flask, session: Session, clock: FrozenClock, body: dict[str, Any]
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    api = _api(app, session, clock())
    assert api.post("/patterns", {"volunteer_id": volunteer.id, **body}).status_code == 422
    pattern = _pattern(api, volunteer.id)
    assert api.patch(f"/patterns/{pattern['id']}", body).status_code in (200, 422)
    for query in ({"at": "2026-99-01"}, {"at": "9999-01-01T00:00:00+00:00"}, {"motive": "x"}):
        assert api.get("/rota/on-duty", territory_id=territory.id, **query).status_code == 422
    assert api.get("/rota", territory_id=territory.id, volunteer_id="abc").status_code == 422
    assert api.delete(f"/patterns/{pattern['id']}/exceptions/not-a-date").status_code == 404
    assert api.post(f"/patterns/{pattern['id']}/exceptions", {"on_date": "soon"}).status_code == 422
