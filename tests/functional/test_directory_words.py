"""The directory finds what coordinators type: professions and categories in French, communes, "Paris 20"."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from directory.services import create_entry
from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from tests import factories
from tests.functional.api_client import api
from tests.functional.console_client import account, login


def _entries(session: Session, territory: Territory, clock: FrozenClock) -> None:
    rows: list[dict[str, Any]] = [
        {"name": "Claire Dubois", "kind": "professional", "profession": "medecin", "category": "liberal_professionals",
         "postcode": "75020", "commune": "Paris"},
        {"name": "Sophie Bernard", "kind": "professional", "profession": "infirmier",
         "category": "liberal_professionals", "postcode": "75020", "commune": "Paris"},
        {"name": "Marc Petit", "kind": "professional", "profession": "masseur_kinesitherapeute",
         "category": "liberal_professionals", "postcode": "75019", "commune": "Paris"},
        {"name": "Julie Moreau", "kind": "professional", "profession": "sage_femme",
         "category": "liberal_professionals", "postcode": "75020", "commune": "Paris"},
        {"name": "Luc Garnier", "kind": "professional", "profession": "pharmacien",
         "category": "liberal_professionals", "postcode": "75019", "commune": "Paris"},
        {"name": "Épicerie solidaire", "kind": "structure", "category": "social_action", "postcode": "93100",
         "commune": "Montreuil"},
    ]  # fmt: skip
    for row in rows:
        create_entry(session, territory, row, clock().date(), clock())
    session.commit()


def test_the_console_and_the_api_find_entries_by_profession_words_and_places(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), postcodes=["75019", "75020", "93100"])
    _entries(session, territory, clock)
    account(session, clock(), territory_id=territory.id)
    console = login(app, "coord@example.org")

    def console_names(q: str) -> str:
        return console.get(f"/t/{territory.id}/annuaire", query_string={"q": q}).get_data(as_text=True)

    page = console_names("infirmière")
    assert "Sophie Bernard" in page and "Claire Dubois" not in page
    page = console_names("kiné")
    assert "Marc Petit" in page and "Sophie Bernard" not in page
    page = console_names("Paris 20")
    assert all(name in page for name in ("Claire Dubois", "Sophie Bernard", "Julie Moreau"))
    assert "Marc Petit" not in page and "Luc Garnier" not in page
    assert "Épicerie solidaire" in console_names("montreuil")

    client = api(app, session, clock())

    def api_names(q: str) -> list[str]:
        response = client.get("/directory", {"territory_id": territory.id, "q": q})
        assert response.status_code == 200, response.get_json()
        return [item["name"] for item in response.get_json()["items"]]

    assert api_names("médecin") == ["Claire Dubois"]
    assert api_names("sages-femmes") == ["Julie Moreau"]
    assert api_names("pharmacie") == ["Luc Garnier"]
    assert api_names("infirmiere paris 20") == ["Sophie Bernard"]
    assert api_names("kine paris 20") == []
