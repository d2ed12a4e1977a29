"""Searching a territory's directory through the service: imported and manual entries, and a fresh index
after every write, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory.importing import import_file
from directory.models import DirectoryEntry
from directory.search import Query
from directory.services import create_entry, search_entries, update_entry
from orientation.core.clock import FrozenClock
from orientation.core.db import make_session_factory
from orientation.core.models import Territory
from tests import factories
from tests.conftest import SHARED_DATA

RPPS_SAMPLE = SHARED_DATA / "rpps" / "PS_LibreAcces_Personne_activite_sample.txt"
TODAY = date(2026, 11, 24)


def imported(session: Session, engine: Engine, clock: FrozenClock) -> Territory:
    territory = factories.territory(session, clock(), postcodes=["01000", "01012", "01300", "01370", "01500"])
    import_file(
        make_session_factory(engine),
        territory.id,
        "rpps",
        io.BytesIO(RPPS_SAMPLE.read_bytes()),
        clock(),
        filename="sample.txt",
    )
    return territory


def names(session: Session, territory: Territory, query: Query) -> list[str]:
    entries, _ = search_entries(session, territory.id, query)
    return [e.name for e in entries]


def test_an_imported_name_is_found_without_its_accent_and_with_a_typo(
    session: Session, engine: Engine, clock: FrozenClock
) -> None:
    territory = imported(session, engine, clock)

    assert names(session, territory, Query(text="anais lebrun")) == ["Anaïs Lebrun-Carpentier"]
    assert names(session, territory, Query(text="Lebrum Carpentier")) == ["Anaïs Lebrun-Carpentier"]
    assert names(session, territory, Query(text="kristain")) == ["Helene Kristian"]


def test_filters_narrow_the_imported_entries(session: Session, engine: Engine, clock: FrozenClock) -> None:
    territory = imported(session, engine, clock)

    assert names(session, territory, Query(profession="psychomotricien")) == ["Veronique Dervieux", "Vivien Troesch"]
    assert names(session, territory, Query(profession="psychomotricien", postcode="01500")) == ["Vivien Troesch"]
    assert names(session, territory, Query(commune="amberieu-en-bugey", category="disability")) == ["Vivien Troesch"]


def test_a_write_is_seen_by_the_next_search(session: Session, engine: Engine, clock: FrozenClock) -> None:
    territory = imported(session, engine, clock)
    assert names(session, territory, Query(accepting=True)) == []
    troesch, _ = search_entries(session, territory.id, Query(text="troesch"))

    update_entry(session, troesch[0], {"accepting_new_patients": True}, TODAY, clock())
    session.commit()
    create_entry(
        session,
        territory,
        {"name": "Secours populaire de l'Ain", "category": "social_action", "postcode": "01000"},
        TODAY,
        clock(),
    )
    session.commit()

    assert names(session, territory, Query(accepting=True)) == ["Vivien Troesch"]
    assert names(session, territory, Query(text="secours populaire")) == ["Secours populaire de l'Ain"]
    assert troesch[0].accepting_since == TODAY


def test_another_territorys_entries_are_never_found(session: Session, engine: Engine, clock: FrozenClock) -> None:
    territory = imported(session, engine, clock)
    other = factories.territory(
        session, clock(), name="CPTS Lyon 8", reference_prefix="L8", phone_numbers=["+33199000002"], postcodes=["69008"]
    )

    assert names(session, other, Query(text="troesch")) == []
    assert names(session, territory, Query(text="troesch")) == ["Vivien Troesch"]


def test_an_entry_written_directly_through_the_orm_is_seen_by_the_next_search(
    session: Session, engine: Engine, clock: FrozenClock
) -> None:
    territory = imported(session, engine, clock)
    assert names(session, territory, Query(text="troesch")) == ["Vivien Troesch"]  # the index is now cached
    troesch, _ = search_entries(session, territory.id, Query(text="troesch"))

    # As a console form or a script would: no directory service involved.
    troesch[0].accepting_new_patients = False
    session.add(
        DirectoryEntry(
            territory_id=territory.id,
            source="manual",
            kind="structure",
            name="Maison des aidants",
            search_key="maison des aidants",
            category="social_action",
            created_at=clock(),
            updated_at=clock(),
        )
    )
    session.commit()

    assert names(session, territory, Query(text="aidants")) == ["Maison des aidants"]
    assert names(session, territory, Query(accepting=False)) == ["Vivien Troesch"]
