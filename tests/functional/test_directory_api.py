"""The directory through the JSON API: search, entries added by hand, the fields the CPTS maintains, links
from volunteers and outcomes; another territory's entries stay invisible."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory.importing import import_file
from orientation.core.clock import FrozenClock
from orientation.core.db import make_session_factory
from orientation.core.models import Territory
from orientation.services import requests as svc
from tests import factories
from tests.conftest import SHARED_DATA
from tests.functional.api_client import ApiClient, api, other_territory

RPPS_SAMPLE = SHARED_DATA / "rpps" / "PS_LibreAcces_Personne_activite_sample.txt"
AIN = ["01000", "01012", "01300", "01370", "01390", "01440", "01500"]


def _setup(app: Flask, session: Session, engine: Engine, clock: FrozenClock) -> tuple[ApiClient, Territory]:
    territory = factories.territory(session, clock(), postcodes=AIN)
    import_file(
        make_session_factory(engine),
        territory.id,
        "rpps",
        io.BytesIO(RPPS_SAMPLE.read_bytes()),
        clock(),
        filename="sample.txt",
    )
    return api(app, session, clock()), territory


def _search(client: ApiClient, territory: Territory, **query: Any) -> list[str]:
    response = client.get("/directory", {"territory_id": territory.id, **query})
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def _id_of(client: ApiClient, territory: Territory, q: str) -> int:
    items = client.get("/directory", {"territory_id": territory.id, "q": q}).get_json()["items"]
    return int(items[0]["id"])


def test_a_search_forgives_accents_case_and_a_typo(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)

    assert _search(client, territory, q="ANAIS") == ["Anaïs Lebrun-Carpentier"]
    assert _search(client, territory, q="lebrun carpantier") == ["Anaïs Lebrun-Carpentier"]
    body = client.get("/directory", {"territory_id": territory.id, "q": "stevanatto"}).get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["name"], item["phone"], item["profession"]) == ("Betty Stevanato", "+33474454647", "manipulateur_erm")
    assert (item["source"], item["category"], item["commune"]) == ("rpps", "health_establishments", "Viriat")


def test_filters_by_profession_postcode_commune_category_and_accepting(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)
    troesch = _id_of(client, territory, "troesch")
    client.patch(f"/directory/{troesch}", {"accepting_new_patients": True})

    assert _search(client, territory, profession="psychomotricien") == ["Veronique Dervieux", "Vivien Troesch"]
    assert _search(client, territory, profession="psychomotricien", postcode="01500") == ["Vivien Troesch"]
    assert _search(client, territory, commune="Ambérieu-en-Bugey", category="disability") == ["Vivien Troesch"]
    assert _search(client, territory, accepting="true") == ["Vivien Troesch"]
    assert _search(client, territory, general_practice="true") == []
    assert len(_search(client, territory, limit=3)) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"accepting": "maybe"}, "accepting"),
        ({"category": "astronauts"}, "category"),
        ({"postcode": "1000"}, "postcode"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"territory_id": "abc"}, "territory_id"),
    ],
)
def test_a_bad_search_parameter_is_a_422_naming_it(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock, query: dict[str, str], field: str
) -> None:
    client, territory = _setup(app, session, engine, clock)

    response = client.get("/directory", {"territory_id": territory.id, **query})

    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_a_coordinator_adds_a_social_service_by_hand(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)

    response = client.post(
        "/directory",
        {
            "territory_id": territory.id,
            "name": "Centre communal d'action sociale de Bourg",
            "category": "social_action",
            "phone": "04 74 45 46 47",
            "postcode": "01000",
            "commune": "Bourg-en-Bresse",
            "languages": ["fr", "EN"],
        },
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["source"], body["kind"]) == ("manual", "structure")
    assert (body["phone"], body["languages"]) == ("+33474454647", ["fr", "en"])
    assert _search(client, territory, q="action sociale") == ["Centre communal d'action sociale de Bourg"]
    assert client.get(f"/directory/{body['id']}").get_json()["name"] == "Centre communal d'action sociale de Bourg"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"category": "spa"}, "category"),
        ({"phone": "12"}, "phone"),
        ({"postcode": "ABCDE"}, "postcode"),
        ({"languages": ["français"]}, "languages"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_manual_entry_is_a_422_naming_the_field(
    app: Flask, session: Session, clock: FrozenClock, body: dict[str, Any], field: str
) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())

    response = client.post("/directory", {"territory_id": territory.id, "name": "Association", **body})

    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_saying_an_entry_accepts_new_patients_dates_it_today_and_keeps_other_fields(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)
    entry_id = _id_of(client, territory, "marquet")

    said = client.patch(
        f"/directory/{entry_id}", {"accepting_new_patients": True, "cpts_member": True, "notes": "RDV le mardi"}
    )
    dated = client.patch(f"/directory/{entry_id}", {"accepting_new_patients": False, "accepting_since": "2026-11-02"})

    assert said.status_code == 200, said.get_json()
    assert (said.get_json()["accepting_new_patients"], said.get_json()["accepting_since"]) == (True, "2026-11-24")
    body = dated.get_json()
    assert (body["accepting_new_patients"], body["accepting_since"]) == (False, "2026-11-02")
    assert (body["cpts_member"], body["notes"], body["phone"]) == (True, "RDV le mardi", "+33474346567")


def test_fields_from_the_national_file_cannot_be_edited_through_the_api(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)
    entry_id = _id_of(client, territory, "marquet")

    response = client.patch(f"/directory/{entry_id}", {"name": "Dr Vanessa Marquet", "cpts_member": True})

    assert response.status_code == 422
    assert "RPPS file" in response.get_json()["errors"]["name"]
    assert client.get(f"/directory/{entry_id}").get_json()["cpts_member"] is False


def test_another_territorys_entry_is_a_404_for_a_token_of_one_territory(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    _, territory = _setup(app, session, engine, clock)
    theirs = other_territory(session, clock())
    entry_id = _id_of(api(app, session, clock()), territory, "marquet")
    scoped = api(app, session, clock(), name="lyon", territory_id=theirs.id)

    assert scoped.get(f"/directory/{entry_id}").status_code == 404
    assert scoped.patch(f"/directory/{entry_id}", {"cpts_member": True}).status_code == 404
    assert scoped.get("/directory", {"territory_id": territory.id, "q": "marquet"}).status_code == 404
    assert scoped.get("/directory", {"q": "marquet"}).get_json() == {"items": [], "total": 0}
    assert scoped.post("/directory", {"territory_id": territory.id, "name": "X"}).status_code == 422
    assert api(app, session, clock()).get("/directory/2147483647").status_code == 404


def test_a_volunteer_links_to_an_entry_of_their_own_territory_only(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)
    entry_id = _id_of(client, territory, "marquet")
    volunteer = factories.volunteer(session, territory, clock())
    theirs = other_territory(session, clock())
    stranger = factories.volunteer(session, theirs, clock())

    linked = client.patch(f"/volunteers/{volunteer.id}", {"directory_entry_id": entry_id})
    refused = client.patch(f"/volunteers/{stranger.id}", {"directory_entry_id": entry_id})
    unknown = client.patch(f"/volunteers/{volunteer.id}", {"directory_entry_id": 999_999})

    assert linked.status_code == 200 and linked.get_json()["directory_entry_id"] == entry_id
    assert refused.status_code == 422 and "directory_entry_id" in refused.get_json()["errors"]
    assert unknown.status_code == 422 and "directory_entry_id" in unknown.get_json()["errors"]


def test_an_outcome_names_the_imported_entry_that_took_the_patient(
    app: Flask, session: Session, engine: Engine, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, engine, clock)
    entry_id = _id_of(client, territory, "troesch")
    request, _ = svc.open_request(session, territory, "CA" + "d" * 32, "+33611223344", clock())
    svc.choose_motive(session, request, "orientation", clock(), defaulted=False)
    svc.to_callback(session, request, clock())
    session.commit()

    response = client.patch(f"/requests/{request.reference}", {"outcome": "matched", "directory_entry_id": entry_id})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["outcome_entry_id"] == entry_id
