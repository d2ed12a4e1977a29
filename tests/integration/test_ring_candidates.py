"""The database's ring order (who is free, fairness) is the pure rule's, routing.ring_order, on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt
from orientation.services import attempts
from orientation.services import requests as svc
from tests import factories
from volunteers.models import Volunteer
from volunteers.routing import Candidate, ring_order
from volunteers.services import RINGING_WINDOW, is_paused, ring_candidates

DOMICILE = "visite_domicile"


def _rings(since: object, now: datetime) -> bool:
    return isinstance(since, datetime) and since > now - RINGING_WINDOW


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("motive", ["orientation", DOMICILE])
def test_ring_candidates_gives_the_order_of_ring_order_over_the_same_volunteers(
    session: Session, clock: FrozenClock, motive: str, language: str
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    minutes = timedelta(minutes=1)
    request, _ = svc.open_request(session, territory, "CA" + "1" * 32, "+33611223344", now)
    setups = [
        {},
        {"last_offered_at": now - 10 * minutes},
        {"last_offered_at": now - 20 * minutes},
        {"languages": ["en"]},
        {"languages": ["en"], "last_offered_at": now - 30 * minutes},
        {"languages": ["fr", "en"], "last_offered_at": now - 10 * minutes},  # same instant: by id
        {"paused": True},
        {"paused": True, "paused_until": now - minutes},  # the pause is over
        {"paused": True, "paused_until": now + minutes},
        {"on_call_request_id": request.id},
        {"ringing_since": now - RINGING_WINDOW / 2},
        {"ringing_since": now - 2 * RINGING_WINDOW},  # an old ring without result rings no more
        {"excluded": True},
        {"on_shift": False},
        {"motives": [DOMICILE]},
        {"active": False},
    ]
    volunteers: list[tuple[Volunteer, dict[str, object]]] = []
    for setup in setups:
        volunteer = factories.volunteer(
            session,
            territory,
            now,
            on_shift=bool(setup.get("on_shift", True)),
            motives=setup.get("motives"),  # type: ignore[arg-type]
            languages=setup.get("languages", ["fr"]),
        )
        for name in ("last_offered_at", "paused", "paused_until", "on_call_request_id", "active"):
            if name in setup:
                setattr(volunteer, name, setup[name])
        if "ringing_since" in setup:
            seq = len(session.scalars(select(Attempt.id).where(Attempt.request_id == request.id)).all()) + 1
            session.add(
                Attempt(request_id=request.id, volunteer_id=volunteer.id, seq=seq, offered_at=setup["ringing_since"])
            )
        session.commit()
        volunteers.append((volunteer, setup))
    excluded = {v.id for v, setup in volunteers if setup.get("excluded")}

    expected = ring_order(
        [
            Candidate(
                volunteer_id=v.id,
                motives=frozenset(v.motives),
                languages=frozenset(v.languages),
                paused=is_paused(v, now),
                on_call=v.on_call_request_id is not None or _rings(setup.get("ringing_since"), now),
                last_offered_at=v.last_offered_at,
            )
            for v, setup in volunteers
            if setup.get("on_shift", True) and setup.get("active", True)
        ],
        motive,
        language,
        excluded,
    )

    assert len(expected) >= 6
    assert ring_candidates(session, territory, motive, language, now, excluded) == expected


def test_claim_first_passes_over_a_volunteer_whose_phone_started_ringing_after_the_candidates_were_read(
    session: Session, clock: FrozenClock
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    first = factories.volunteer(session, territory, now)
    second = factories.volunteer(session, territory, now)
    ordered = ring_candidates(session, territory, "orientation", "fr", now, ())
    assert ordered == [first.id, second.id]
    # Another call rang the first volunteer and committed in between.
    other, _ = svc.open_request(session, territory, "CA" + "2" * 32, "+33611223355", now)
    session.add(Attempt(request_id=other.id, volunteer_id=first.id, seq=1, offered_at=now))
    session.commit()
    request, _ = svc.open_request(session, territory, "CA" + "3" * 32, "+33611223366", now)
    session.commit()

    offer = attempts.claim_first(session, request, ordered, 1, "live", now)

    assert offer is not None and offer.volunteer.id == second.id
    session.commit()
    rung = session.execute(select(Attempt.request_id, Attempt.volunteer_id).order_by(Attempt.id)).all()
    assert [tuple(r) for r in rung] == [(other.id, first.id), (request.id, second.id)]
