"""Territory prefixes in the service: a creation racing another for the same default prefix takes the next one."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from orientation.services import territories
from orientation.services.territories import PrefixTaken, create_territory


def _blind_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first look for a used prefix sees none, as when another creation commits it just after."""
    real = territories.prefix_in_use
    looks: list[str] = []

    def prefix_in_use(session: Session, prefix: str, territory_id: int | None = None) -> bool:
        looks.append(prefix)
        return False if len(looks) == 1 else real(session, prefix, territory_id)

    monkeypatch.setattr(territories, "prefix_in_use", prefix_in_use)


def test_a_default_prefix_taken_meanwhile_gives_way_to_the_next_free_one(
    session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_territory(session, {"name": "CPTS Beta", "phone_numbers": ["+33199000011"]}, clock())
    session.commit()
    _blind_once(monkeypatch)

    bresse = create_territory(session, {"name": "CPTS Bresse", "phone_numbers": ["+33199000012"]}, clock())
    session.commit()

    assert bresse.reference_prefix == "B2"
    assert session.scalars(select(Territory.reference_prefix).order_by(Territory.id)).all() == ["B", "B2"]


def test_a_prefix_asked_for_and_taken_meanwhile_is_refused_and_nothing_is_created(
    session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_territory(session, {"name": "CPTS Beta", "phone_numbers": ["+33199000011"]}, clock())
    session.commit()
    _blind_once(monkeypatch)

    with pytest.raises(PrefixTaken):
        create_territory(
            session, {"name": "CPTS Bresse", "phone_numbers": ["+33199000012"], "reference_prefix": "b"}, clock()
        )
    session.rollback()

    assert session.scalars(select(Territory.name)).all() == ["CPTS Beta"]
