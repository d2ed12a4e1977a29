"""The JSON API's request log, a request's timeline, its outcome and the figures, on requests made by the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, Request, Territory
from orientation.core.phones import mask
from orientation.services import attempts
from orientation.services import requests as svc
from orientation.web.edge import API_MESSAGE
from tests import factories
from tests.functional.api_client import api, other_territory
from volunteers.models import Volunteer

CALLER = "+33611223344"
_sids = iter(range(1, 1_000_000))


def _call(
    session: Session,
    territory: Territory,
    at: datetime,
    *,
    motive: str | None = "medecin_traitant",
    postcode: str | None = "75020",
    caller: str | None = CALLER,
) -> Request:
    """A call that reached the line and went through the menu, still waiting for a volunteer."""
    request, created = svc.open_request(session, territory, f"CA{next(_sids):032x}", caller, at)
    assert created
    if motive is not None:
        svc.choose_motive(session, request, motive, at, defaulted=False)
    if postcode is not None:
        svc.set_postcode(session, request, territory, postcode, at)
    session.commit()
    return request


def _connected(
    session: Session, territory: Territory, at: datetime, answer_seconds: float, **kwargs: Any
) -> tuple[Request, Volunteer]:
    """A call answered by the first volunteer offered, after `answer_seconds`, then hung up."""
    request = _call(session, territory, at, **kwargs)
    offer = attempts.offer_next(session, request, territory, at)
    assert offer is not None
    answered = at + timedelta(seconds=answer_seconds)
    attempt = session.get(Attempt, offer.attempt_id)
    assert attempt is not None
    assert attempts.accept(session, attempt, answered)
    attempts.finish_attempt(session, attempt, "completed", True, answered + timedelta(minutes=4))
    session.commit()
    volunteer = session.get(Volunteer, offer.volunteer_id)
    assert volunteer is not None
    return request, volunteer


def _closed(session: Session, request: Request, outcome: str, at: datetime) -> None:
    svc.close_with_outcome(session, request, outcome, at, actor="test")
    session.commit()


def _abandoned(session: Session, territory: Territory, at: datetime, **kwargs: Any) -> Request:
    request = _call(session, territory, at, **kwargs)
    svc.call_ended(session, request, "completed", at + timedelta(seconds=40))
    session.commit()
    return request


def _callback(session: Session, territory: Territory, at: datetime, **kwargs: Any) -> Request:
    request = _call(session, territory, at, **kwargs)
    svc.to_callback(session, request, at + timedelta(seconds=60))
    session.commit()
    return request


def _entry(session: Session, territory: Territory, now: datetime) -> DirectoryEntry:
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        kind="professional",
        name="Dr Maison de santé",
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.commit()
    return entry


SUMMARY_KEYS = {
    "reference",
    "call_sid",
    "territory_id",
    "motive",
    "postcode",
    "in_territory",
    "status",
    "outcome",
    "volunteer_id",
    "caller",
    "created_at",
    "connected_at",
}


# ------------------------------------------------------------------------------------------------ list


def test_the_log_lists_requests_newest_first_with_the_callers_masked(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    first, volunteer = _connected(session, territory, clock(), 12)
    second = _call(session, territory, clock() + timedelta(minutes=5), motive="visite_domicile", postcode="93100")

    response = api(app, session, clock()).get("/requests")

    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    items = body["items"]
    assert [i["reference"] for i in items] == [second.reference, first.reference]
    assert [i["reference"] for i in items] == ["P20-2026-000002", "P20-2026-000001"]
    assert set(items[0]) >= SUMMARY_KEYS
    newest, oldest = items
    assert newest["motive"] == "visite_domicile" and newest["postcode"] == "93100" and newest["in_territory"] is False
    assert newest["status"] == "received"
    assert newest["connected_at"] is None and newest["volunteer_id"] is None
    assert oldest["status"] == "connected" and oldest["volunteer_id"] == volunteer.id
    assert oldest["call_sid"] == first.call_sid and oldest["territory_id"] == territory.id
    assert datetime.fromisoformat(oldest["connected_at"]) == clock() + timedelta(seconds=12)
    assert datetime.fromisoformat(oldest["created_at"]) == clock()
    assert {i["caller"] for i in items} == {mask(CALLER)}
    assert "611223344" not in response.get_data(as_text=True)
    assert "23 44" not in response.get_data(as_text=True)


def test_a_caller_with_a_hidden_number_is_listed_as_unknown(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    _call(session, territory, clock(), caller="anonymous")

    items = api(app, session, clock()).get("/requests").get_json()["items"]

    assert [i["caller"] for i in items] == ["inconnu"]


def test_the_log_is_filtered_by_motive_status_outcome_postcode_and_territory(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    paris = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    factories.volunteer(session, paris, clock())
    now = clock()
    matched, _ = _connected(session, paris, now, 10, motive="medecin_traitant")
    _closed(session, matched, "matched", now + timedelta(minutes=10))
    waiting = _callback(session, paris, now + timedelta(minutes=1), motive="visite_domicile", postcode="75019")
    abandoned = _abandoned(session, paris, now + timedelta(minutes=2), motive="visite_domicile")
    elsewhere = _call(session, lyon, now + timedelta(minutes=3), motive="orientation", postcode="69008")
    client = api(app, session, clock())

    def references(**query: Any) -> list[str]:
        response = client.get("/requests", query)
        assert response.status_code == 200, response.get_json()
        return [i["reference"] for i in response.get_json()["items"]]

    assert references(motive="visite_domicile") == [abandoned.reference, waiting.reference]
    assert references(status="callback_pending") == [waiting.reference]
    assert references(status="abandoned") == [abandoned.reference]
    assert references(status="closed") == [matched.reference]
    assert references(outcome="matched") == [matched.reference]
    assert references(outcome="abandoned") == [abandoned.reference]
    assert references(postcode="75019") == [waiting.reference]
    assert references(territory_id=lyon.id) == [elsewhere.reference]
    assert references(territory_id=paris.id, motive="visite_domicile", status="abandoned") == [abandoned.reference]
    assert references(motive="orientation", territory_id=paris.id) == []


def test_the_log_is_filtered_by_a_period_given_with_offsets(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    monday = _call(session, territory, datetime(2026, 11, 23, 23, 30, tzinfo=UTC))  # Tuesday 00:30 in Paris
    tuesday = _call(session, territory, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    wednesday = _call(session, territory, datetime(2026, 11, 24, 23, 0, tzinfo=UTC))  # Wednesday 00:00 in Paris
    client = api(app, session, clock())

    def references(**query: Any) -> list[str]:
        response = client.get("/requests", query)
        assert response.status_code == 200, response.get_json()
        return [i["reference"] for i in response.get_json()["items"]]

    tuesday_in_paris = {"since": "2026-11-24T00:00:00+01:00", "until": "2026-11-25T00:00:00+01:00"}
    assert references(**tuesday_in_paris) == [tuesday.reference, monday.reference]
    assert references(since="2026-11-24T00:00:00Z") == [wednesday.reference, tuesday.reference]
    assert references(until="2026-11-24T09:00:00+00:00") == [monday.reference]
    assert references(since="2026-11-24T10:00:00+01:00", until="2026-11-24T10:00:01+01:00") == [tuesday.reference]


def test_the_log_is_read_a_page_at_a_time_by_following_next_cursor(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    made = [_call(session, territory, clock() + timedelta(seconds=n)).reference for n in range(7)]
    client = api(app, session, clock())

    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/requests", query).get_json()
        pages += 1
        assert len(body["items"]) <= 3
        seen += [i["reference"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10

    assert pages == 3
    assert seen == list(reversed(made))


def test_the_default_page_holds_fifty_requests_and_the_cursor_keeps_the_filters(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    for n in range(53):
        _call(session, territory, clock() + timedelta(seconds=n), motive="orientation" if n % 2 else "medecin_traitant")
    client = api(app, session, clock())

    first = client.get("/requests").get_json()
    second = client.get("/requests", {"cursor": first["next_cursor"]}).get_json()
    orientation_first = client.get("/requests", {"motive": "orientation", "limit": 20}).get_json()
    orientation_rest = client.get(
        "/requests", {"motive": "orientation", "limit": 20, "cursor": orientation_first["next_cursor"]}
    ).get_json()

    assert len(first["items"]) == 50 and first["next_cursor"] is not None
    assert len(second["items"]) == 3 and second["next_cursor"] is None
    assert len({i["reference"] for i in first["items"] + second["items"]}) == 53
    assert len(orientation_first["items"]) == 20
    assert len(orientation_rest["items"]) == 6 and orientation_rest["next_cursor"] is None
    assert {i["motive"] for i in orientation_first["items"] + orientation_rest["items"]} == {"orientation"}


@pytest.mark.parametrize(
    "query",
    [
        {"motive": "astrologie"},
        {"status": "lost"},
        {"outcome": "cured"},
        {"since": "2026-11-24T00:00:00"},
        {"since": "yesterday"},
        {"until": "2026-13-01T00:00:00+01:00"},
        {"cursor": "!!not-a-cursor!!"},
        {"cursor": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},
        {"territory_id": "Paris"},
        {"territory_id": "99999999999999999999999"},
        {"territory_id": "²"},
        {"postcode": "75\x0020"},
        {"postcode": "7" * 5000},
        {"limit": "beaucoup"},
    ],
)
def test_a_bad_filter_is_a_422_naming_it(
    app: Flask, session: Session, clock: FrozenClock, query: dict[str, str]
) -> None:
    factories.territory(session, clock())

    response = api(app, session, clock()).get("/requests", query)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(query)


# ---------------------------------------------------------------------------------------------- detail


def test_a_request_is_shown_with_its_timeline_and_attempts(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    first = factories.volunteer(session, territory, clock())
    second = factories.volunteer(session, territory, clock())
    now = clock()
    request = _call(session, territory, now, motive="visite_domicile")
    declined = attempts.offer_next(session, request, territory, now)
    assert declined is not None
    first_ring = session.get(Attempt, declined.attempt_id)
    assert first_ring is not None
    attempts.decline(session, first_ring, now + timedelta(seconds=8))
    attempts.finish_attempt(session, first_ring, "completed", None, now + timedelta(seconds=9))
    taken = attempts.offer_next(session, request, territory, now + timedelta(seconds=10))
    assert taken is not None and taken.volunteer_id != declined.volunteer_id
    second_ring = session.get(Attempt, taken.attempt_id)
    assert second_ring is not None
    attempts.accept(session, second_ring, now + timedelta(seconds=25))
    session.commit()

    response = api(app, session, clock(), name="coordinatrice").get(f"/requests/{request.reference}")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= SUMMARY_KEYS
    assert body["reference"] == request.reference and body["status"] == "connected"
    assert body["volunteer_id"] == taken.volunteer_id
    assert body["caller"] == mask(CALLER)
    assert [(a["volunteer_id"], a["result"]) for a in body["attempts"]] == [
        (declined.volunteer_id, "declined"),
        (taken.volunteer_id, "accepted"),
    ]
    assert {first.id, second.id} == {a["volunteer_id"] for a in body["attempts"]}
    assert datetime.fromisoformat(body["attempts"][1]["at"]) == now + timedelta(seconds=10)
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "call.received"
    for kind in ("menu.motive", "postcode", "attempt.offered", "attempt.declined", "attempt.accepted"):
        assert kind in kinds
    assert kinds.index("attempt.declined") < kinds.index("attempt.accepted")
    assert all({"kind", "at", "actor", "data"} <= set(e) for e in body["events"])
    assert "611223344" not in response.get_data(as_text=True)
    session.expire_all()
    read = session.scalars(select(Event).where(Event.kind == "read")).one()
    assert read.request_id == request.id and read.actor == "token:coordinatrice"


def test_an_unknown_reference_is_a_404(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    client = api(app, session, clock())

    assert client.get("/requests/P20-2026-999999").status_code == 404
    assert client.patch("/requests/P20-2026-999999", {"outcome": "matched"}).status_code == 404
    assert client.get("/requests/" + "X" * 10_000).status_code == 404
    # A NUL is refused at the edge, before any lookup (orientation.web.edge): a 422 naming the path.
    assert client.get("/requests/P20-2026-000001%00").get_json() == {"errors": {"path": API_MESSAGE}}
    assert client.patch("/requests/P20%00", {"outcome": "matched"}).status_code == 422


# --------------------------------------------------------------------------------------------- outcome


def test_an_outcome_closes_the_request_and_is_kept_in_the_timeline_with_the_token_name(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    request, _ = _connected(session, territory, clock(), 15)
    entry = _entry(session, territory, clock())
    client = api(app, session, clock(), name="coordinatrice")

    response = client.patch(
        f"/requests/{request.reference}",
        {"outcome": "matched", "directory_entry_id": entry.id, "note": "RDV demain 9 h"},
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "closed" and body["outcome"] == "matched"
    assert body["outcome_entry_id"] == entry.id and body["outcome_note"] == "RDV demain 9 h"
    assert any(e["kind"] == "outcome" and e["actor"] == "token:coordinatrice" for e in body["events"])
    shown = client.get(f"/requests/{request.reference}").get_json()
    assert shown["status"] == "closed" and shown["outcome"] == "matched" and shown["closed_at"] is not None
    outcome_events = [e for e in shown["events"] if e["kind"] == "outcome"]
    assert [(e["actor"], e["data"]["to"]) for e in outcome_events] == [("token:coordinatrice", "matched")]
    session.expire_all()
    stored = session.get(Request, request.id)
    assert stored is not None and stored.status == "closed" and stored.outcome == "matched"


def test_an_outcome_can_be_corrected_and_the_timeline_keeps_both(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    request = _callback(session, territory, clock())
    client = api(app, session, clock(), name="coordinatrice")

    assert client.patch(f"/requests/{request.reference}", {"outcome": "unreachable"}).status_code == 200
    response = client.patch(f"/requests/{request.reference}", {"outcome": "oriented"})

    assert response.status_code == 200
    shown = client.get(f"/requests/{request.reference}").get_json()
    assert shown["outcome"] == "oriented" and shown["status"] == "closed"
    changes = [(e["data"]["from"], e["data"]["to"]) for e in shown["events"] if e["kind"] == "outcome"]
    assert changes == [(None, "unreachable"), ("unreachable", "oriented")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "cured"}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"outcome": 3}, "outcome"),
        ({"outcome": "matched", "directory_entry_id": 987654}, "directory_entry_id"),
        ({"outcome": "matched", "directory_entry_id": 10**20}, "directory_entry_id"),
        ({"outcome": "matched", "directory_entry_id": "Dr House"}, "directory_entry_id"),
        ({"outcome": "matched", "note": "x" * 100_000}, "note"),
    ],
)
def test_a_bad_outcome_is_a_422_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, body: dict[str, Any], field: str
) -> None:
    territory = factories.territory(session, clock())
    request = _callback(session, territory, clock())

    response = api(app, session, clock()).patch(f"/requests/{request.reference}", body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    session.expire_all()
    stored = session.get(Request, request.id)
    assert stored is not None and stored.status == "callback_pending" and stored.outcome is None
    assert stored.outcome_entry_id is None


def test_a_directory_entry_of_another_territory_is_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    theirs = _entry(session, other_territory(session, clock()), clock())
    request = _callback(session, territory, clock())

    response = api(app, session, clock()).patch(
        f"/requests/{request.reference}", {"outcome": "matched", "directory_entry_id": theirs.id}
    )

    assert response.status_code == 422 and "directory_entry_id" in response.get_json()["errors"]


def test_an_outcome_on_a_call_still_in_progress_is_a_409(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    request = _call(session, territory, clock())

    response = api(app, session, clock()).patch(f"/requests/{request.reference}", {"outcome": "matched"})

    assert response.status_code == 409
    session.expire_all()
    assert session.get(Request, request.id).outcome is None  # type: ignore[union-attr]


# -------------------------------------------------------------------------------------- territory scope


def test_a_territory_token_sees_only_its_own_requests(app: Flask, session: Session, clock: FrozenClock) -> None:
    paris = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    mine = _callback(session, paris, clock())
    theirs = _callback(session, lyon, clock())
    client = api(app, session, clock(), territory_id=paris.id)

    assert [i["reference"] for i in client.get("/requests").get_json()["items"]] == [mine.reference]
    assert client.get("/requests", {"territory_id": lyon.id}).get_json()["items"] == []
    assert client.get(f"/requests/{mine.reference}").status_code == 200
    assert client.get(f"/requests/{theirs.reference}").status_code == 404
    assert client.patch(f"/requests/{theirs.reference}", {"outcome": "matched"}).status_code == 404
    assert client.get("/stats", {"territory_id": lyon.id}).status_code == 404
    assert client.get("/stats").get_json()["motives"]["all"]["requests"] == 1
    session.expire_all()
    assert session.get(Request, theirs.id).outcome is None  # type: ignore[union-attr]
    assert session.scalars(select(Event).where(Event.kind == "read", Event.request_id == theirs.id)).first() is None


# ----------------------------------------------------------------------------------------------- stats


FIGURE_KEYS = {
    "requests",
    "connected",
    "with_outcome",
    "matched",
    "match_rate",
    "median_seconds_to_answer",
    "abandoned",
}


def test_the_figures_count_a_small_crafted_log(app: Flask, session: Session, clock: FrozenClock) -> None:
    paris = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    for _ in range(3):
        factories.volunteer(session, paris, clock())
    now = clock()
    one, _ = _connected(session, paris, now, 10, motive="medecin_traitant")
    _closed(session, one, "matched", now + timedelta(minutes=30))
    two, _ = _connected(session, paris, now + timedelta(minutes=1), 30, motive="medecin_traitant")
    _closed(session, two, "oriented", now + timedelta(minutes=30))
    _callback(session, paris, now + timedelta(minutes=2), motive="medecin_traitant")
    _abandoned(session, paris, now + timedelta(minutes=3), motive="visite_domicile")
    five, _ = _connected(session, paris, now + timedelta(minutes=4), 20, motive="visite_domicile")
    _closed(session, five, "matched", now + timedelta(minutes=30))
    _call(session, paris, now + timedelta(minutes=5), motive="soins_non_programmes")
    _callback(session, lyon, now, motive="medecin_traitant")
    client = api(app, session, clock())

    response = client.get("/stats", {"territory_id": paris.id})

    assert response.status_code == 200
    body = response.get_json()
    assert body["territory_id"] == paris.id
    assert "match_rate_definition" in body
    motives = body["motives"]
    assert {"medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation", "all"} <= set(motives)
    assert all(set(figures) >= FIGURE_KEYS for figures in motives.values())
    doctor = motives["medecin_traitant"]
    assert (doctor["requests"], doctor["connected"], doctor["with_outcome"], doctor["matched"]) == (3, 2, 2, 1)
    assert doctor["match_rate"] == 0.5
    assert doctor["median_seconds_to_answer"] == 20.0
    assert doctor["abandoned"] == 0
    visit = motives["visite_domicile"]
    assert (visit["requests"], visit["connected"], visit["with_outcome"], visit["matched"]) == (2, 1, 2, 1)
    assert visit["match_rate"] == 0.5  # abandoned counts as a final outcome
    assert visit["abandoned"] == 1
    assert visit["median_seconds_to_answer"] == 20.0
    care = motives["soins_non_programmes"]
    assert (care["requests"], care["with_outcome"], care["match_rate"], care["median_seconds_to_answer"]) == (
        1,
        0,
        None,
        None,
    )
    assert motives["orientation"]["requests"] == 0 and motives["orientation"]["match_rate"] is None
    everything = motives["all"]
    assert (everything["requests"], everything["with_outcome"], everything["matched"]) == (6, 4, 2)
    assert everything["match_rate"] == 0.5
    assert client.get("/stats").get_json()["motives"]["all"]["requests"] == 7
    assert client.get("/stats", {"territory_id": lyon.id}).get_json()["motives"]["medecin_traitant"]["requests"] == 1


def test_the_figures_keep_to_the_period_asked(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    october = _callback(session, territory, datetime(2026, 10, 31, 22, 30, tzinfo=UTC))  # 23:30 in Paris
    _closed(session, october, "matched", clock())
    november = _callback(session, territory, datetime(2026, 10, 31, 23, 30, tzinfo=UTC))  # 1 November in Paris
    _closed(session, november, "no_solution", clock())
    client = api(app, session, clock())

    body = client.get("/stats", {"since": "2026-11-01T00:00:00+01:00", "until": "2026-12-01T00:00:00+01:00"})

    assert body.status_code == 200
    figures = body.get_json()["motives"]["medecin_traitant"]
    assert (figures["requests"], figures["with_outcome"], figures["matched"], figures["match_rate"]) == (1, 1, 0, 0.0)
    assert datetime.fromisoformat(body.get_json()["since"]) == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert client.get("/stats", {"since": "2026-11-01"}).status_code == 422
    assert client.get("/stats", {"territory_id": "Paris"}).status_code == 422


def test_the_figures_of_an_empty_log_have_no_rates(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())

    body = api(app, session, clock()).get("/stats", {"territory_id": territory.id}).get_json()

    for figures in body["motives"].values():
        assert figures["requests"] == 0 and figures["match_rate"] is None
        assert figures["median_seconds_to_answer"] is None
