"""The motive menu's answer (voice.menu) in Core statements built once.

The menu needs the request's id and motive and the territory's prompt overrides, and writes a counter and the
motive back: one locked read of those columns and one plain UPDATE cost far less than loading the request and the
wide territory row as ORM objects (the same request row locked as `requests.request_by_call(lock=True)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from orientation.core import lifecycle, logs, prompts
from orientation.core.models import Request, Territory
from orientation.services import requests

_REQUESTS = cast(Table, Request.__table__)
_TERRITORIES = cast(Table, Territory.__table__)

# Callbacks of one call may arrive at once: each waits for the other's commit, then reads the row as committed.
_LOCKED = (
    select(_REQUESTS.c.id, _REQUESTS.c.motive, _REQUESTS.c.territory_id, _TERRITORIES.c.settings)
    .select_from(_REQUESTS.join(_TERRITORIES, _TERRITORIES.c.id == _REQUESTS.c.territory_id))
    .where(_REQUESTS.c.call_sid == bindparam("call_sid"))
    .with_for_update(of=_REQUESTS)
)
# Parameters named b_…: one named after a column of the table written would be taken as one more value to SET.
_WHERE = _REQUESTS.c.id == bindparam("b_request")
# The counter counted by the database, on the locked row: nothing read first.
_MISS = update(_REQUESTS).where(_WHERE).values(menu_misses=_REQUESTS.c.menu_misses + 1)
_MOTIVE = (
    update(_REQUESTS)
    .where(_WHERE)
    .values(motive=bindparam("b_motive"), updated_at=bindparam("b_now", type_=_REQUESTS.c.updated_at.type))
)
# The second silence: the miss and the default motive in one UPDATE.
_MOTIVE_AFTER_MISS = _MOTIVE.values(menu_misses=_REQUESTS.c.menu_misses + 1)


@dataclass(frozen=True)
class MenuRequest:
    """The call's request, as the menu needs it."""

    id: int
    motive: str | None
    territory_id: int
    prompts: dict[str, str]


@dataclass(frozen=True)
class MenuWrites:
    """What a menu answer changes: a miss counted, and the motive recorded now (None: kept as it is)."""

    miss: bool
    motive: str | None
    defaulted: bool = False


def writes_for(motive: str | None, not_understood: bool, defaulted: bool, chosen: str | None) -> MenuWrites:
    """What to record after a menu answer (callflows.flow.after_menu's step: its motive, None when the menu is
    asked again), the request's motive being `chosen` (None when not chosen yet)."""
    if motive is None:
        # An answer not understood counts; a star (repeat the menu) does not.
        return MenuWrites(not_understood, None)
    if chosen is not None:
        # A key pressed again once the motive is known (a replayed menu): the first choice stays.
        return MenuWrites(False, None)
    return MenuWrites(defaulted, motive, defaulted)


def current(
    session: Session, call_sid: str, called: str | None, caller: str | None, now: datetime
) -> MenuRequest | None:
    """The call's request, row-locked until commit; opened now when the call's first webhook was lost (None: the
    called number is no line of ours)."""
    row = session.connection().execute(_LOCKED, {"call_sid": call_sid}).first()
    if row is not None:
        request_id, motive, territory_id, settings = row
        # The webhook's log lines from here on name the territory (as requests.request_by_call does).
        logs.bind(territory_id=territory_id)
        return MenuRequest(request_id, motive, territory_id, prompts.overrides_in(settings))
    # The first webhook was lost (the fallback answered it): open the request now, as it would have.
    territory = requests.territory_for_number(session, called)
    if territory is None:
        return None
    opened, _ = requests.open_request(session, territory, call_sid, caller, now)
    return MenuRequest(opened.id, opened.motive, territory.id, prompts.overrides_in(territory.settings))


def record(session: Session, found: MenuRequest, writes: MenuWrites, now: datetime) -> None:
    """Record a menu answer's writes on the locked request (a miss counted, the motive chosen or defaulted) and
    their timeline entries."""
    if writes.motive is not None and writes.motive not in lifecycle.MOTIVES:
        raise ValueError(f"unknown motive {writes.motive}")
    connection = session.connection()
    if writes.motive is not None:
        statement = _MOTIVE_AFTER_MISS if writes.miss else _MOTIVE
        connection.execute(statement, {"b_request": found.id, "b_motive": writes.motive, "b_now": now})
    elif writes.miss:
        connection.execute(_MISS, {"b_request": found.id})
    # The entries note_menu_miss and choose_motive add, in that order.
    if writes.miss:
        requests.timeline_entry(session, found.id, "menu.not_understood", now)
    if writes.motive is not None:
        payload = {"motive": writes.motive, "defaulted": writes.defaulted}
        requests.timeline_entry(session, found.id, "menu.motive", now, payload)
