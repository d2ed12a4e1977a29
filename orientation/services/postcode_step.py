"""The postcode's answer (voice.postcode) on its common path: the first free volunteer rung, in Core statements.

Most answers give a postcode of the territory (or none), before the request's first ring, with a volunteer free.
The webhook then needs a few columns of the request and the territory's routing settings, rings the first free
volunteer, and writes the request's postcode and status with its timeline rows. One locked read of those columns
(the request row locked as `requests.request_by_call(lock=True)` locks it) and an UPDATE deferred into the event
rows' statement cost far less than loading the request and the wide territory row as ORM objects (PostgreSQL
alone spends 0.4 ms more on that row than on these columns).

Every other answer (one to ask again, a neighbour's postcode, a request already routed, nobody free: the waiting
line or a message) goes the general way, `callflows.views`, which reads the request as objects. Nothing has been
written here by then: the general way decides as if this module had not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from orientation.core import lifecycle, logs, prompts
from orientation.core.models import FIRST_NUMBER, Request, Territory
from orientation.services import attempts, requests
from orientation.services.rows import RowUpdate, defer_update
from volunteers.services import ring_candidates

_REQUESTS = cast(Table, Request.__table__)
_TERRITORIES = cast(Table, Territory.__table__)
# The line's number (the <Dial>'s caller ID): the territory's deferred subquery, in the same statement.
_FIRST_NUMBER = FIRST_NUMBER.label("main_number")

# Callbacks of one call may arrive at once: each waits for the other's commit, then reads the row as committed.
_LOCKED = (
    select(
        _REQUESTS.c.id,
        _REQUESTS.c.status,
        _REQUESTS.c.motive,
        _REQUESTS.c.language,
        _REQUESTS.c.created_at,
        _TERRITORIES.c.id.label("territory_id"),
        _TERRITORIES.c.timezone,
        _TERRITORIES.c.holiday_subdivision,
        _TERRITORIES.c.postcodes,
        _TERRITORIES.c.ring_seconds,
        _TERRITORIES.c.max_wait_seconds,
        _TERRITORIES.c.settings,
        _FIRST_NUMBER,
    )
    .select_from(_REQUESTS.join(_TERRITORIES, _TERRITORIES.c.id == _REQUESTS.c.territory_id))
    .where(_REQUESTS.c.call_sid == bindparam("call_sid"))
    .with_for_update(of=_REQUESTS)
)
# The statuses of a request not yet offered to anyone: its first ring is seq 1, with nobody tried before.
_BEFORE_FIRST_RING = frozenset({"received", "in_menu"})


@dataclass(frozen=True)
class Zone:
    """The territory as the rota needs it (volunteers.services.RotaZone)."""

    id: int
    timezone: str
    holiday_subdivision: str | None


@dataclass(frozen=True)
class PostcodeRequest:
    """The call's request and its territory's routing settings, as the postcode's common path needs them."""

    id: int
    status: str
    motive: str | None
    language: str
    created_at: datetime
    zone: Zone
    postcodes: list[str]
    ring_seconds: int
    max_wait_seconds: int
    main_number: str | None
    prompts: dict[str, str]


def current(session: Session, call_sid: str) -> PostcodeRequest | None:
    """The call's request, row-locked until commit; None when the call has none (its first webhook was lost)."""
    row = session.connection().execute(_LOCKED, {"call_sid": call_sid}).first()
    if row is None:
        return None
    # The webhook's log lines from here on name the territory (as requests.request_by_call does).
    logs.bind(territory_id=row.territory_id)
    zone = Zone(row.territory_id, row.timezone, row.holiday_subdivision)
    return PostcodeRequest(
        id=row.id,
        status=row.status,
        motive=row.motive,
        language=row.language,
        created_at=row.created_at,
        zone=zone,
        postcodes=list(row.postcodes or ()),
        ring_seconds=row.ring_seconds,
        max_wait_seconds=row.max_wait_seconds,
        main_number=row.main_number,
        prompts=prompts.overrides_in(row.settings),
    )


def on_common_path(found: PostcodeRequest, postcode: str | None, now: datetime) -> bool:
    """True when the answer (a postcode, None: skipped) goes to a first ring: the request is not offered to anyone
    yet, the postcode is the territory's (or none), and the caller has not waited too long already."""
    return (
        found.status in _BEFORE_FIRST_RING
        and requests.in_territory(postcode, found.postcodes) is not False
        and not attempts.waited_too_long(found.created_at, found.max_wait_seconds, now)
    )


@dataclass(frozen=True)
class FirstRing:
    """What ringing found: the volunteer rung (None: nobody could be, and nothing was written), and whether
    nobody was free at all (the general way then need not read the ring order again)."""

    rung: attempts.Ring | None
    nobody_free: bool


def ring(session: Session, found: PostcodeRequest, now: datetime) -> FirstRing:
    """Ring the first free volunteer on duty for the request (its attempt recorded)."""
    # Nothing is pending in the session: no flush before the routing statements.
    with session.no_autoflush:
        ordered = ring_candidates(session, found.zone, found.motive or "orientation", found.language, now, ())
    if not ordered:
        return FirstRing(None, nobody_free=True)
    return FirstRing(attempts.ring_first(session, found.id, ordered, 1, now), nobody_free=False)


def record(session: Session, found: PostcodeRequest, postcode: str | None, rung: attempts.Ring, now: datetime) -> None:
    """Record the postcode and the first ring on the locked request: its new columns, by one UPDATE deferred into
    the event rows' statement, and the timeline entries the general way adds (set_postcode, then offer_next)."""
    inside = requests.in_territory(postcode, found.postcodes)
    status = lifecycle.move(found.status, "routing")
    requests.timeline_entry(session, found.id, "postcode", now, {"postcode": postcode, "in_territory": inside})
    requests.timeline_entry(session, found.id, "status", now, {"from": found.status, "to": status}, "line")
    requests.timeline_entry(session, found.id, "attempt.offered", now, attempts.offered_payload(rung))
    changes = {"postcode": postcode, "in_territory": inside, "status": status, "updated_at": now}
    defer_update(session, RowUpdate(_REQUESTS, found.id, changes))
