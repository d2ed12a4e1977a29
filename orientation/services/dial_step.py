"""An accepted ring's dial action (voice.dial) once another callback ended it: answered from a Core read built once.

A conversation's dial action often comes after the leg's status callback (or the call's final status) has ended
the accepted attempt: the answer is then a goodbye and nothing is written, so the attempt, its request and the
wide territory row need not be loaded as ORM objects. Every other dial action (a ring to judge, a patient to
route again) takes the ORM path, which locks the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from orientation.core import logs, prompts
from orientation.core.models import Attempt, Request, Territory

_ATTEMPTS = cast(Table, Attempt.__table__)
_REQUESTS = cast(Table, Request.__table__)
_TERRITORIES = cast(Table, Territory.__table__)

# Not locked: it only answers an attempt accepted and ended, a final state nothing changes any more (the conversation
# is finished by `UPDATE … WHERE result = 'accepted' AND ended_at IS NULL`, once). Any other state it reads, even
# one a concurrent callback is changing, goes to the ORM path, which locks the rows and reads them again. No row
# lock also means no lock written to the two rows: the most of this statement's PostgreSQL CPU.
_READ = (
    select(
        _ATTEMPTS.c.result,
        _ATTEMPTS.c.ended_at.is_not(None).label("ended"),
        _ATTEMPTS.c.request_id,
        _REQUESTS.c.territory_id,
        _TERRITORIES.c.settings,
    )
    .select_from(
        _ATTEMPTS.join(_REQUESTS, _REQUESTS.c.id == _ATTEMPTS.c.request_id).join(
            _TERRITORIES, _TERRITORIES.c.id == _REQUESTS.c.territory_id
        )
    )
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
)


@dataclass(frozen=True)
class DialState:
    """The attempt, as the settled dial's answer needs it, with its territory's prompt overrides."""

    result: str | None
    ended: bool
    request_id: int
    prompts: dict[str, str]


def may_be_settled(dial_call_status: str | None) -> bool:
    """True when the dial action is worth the narrow read first: the ring was answered (`completed`), so its leg's
    end may have settled it already. An unanswered ring (busy, no-answer, failed, canceled) is nearly always
    judged or routed on: it goes straight to the ORM path, one statement, as before."""
    return (dial_call_status or "").lower() == "completed"


def already_settled(result: str | None, ended: bool) -> bool:
    """True when the dial action only says goodbye and writes nothing: the accepted ring is over already (its leg's
    end or the call's final status finished it and sent the outcome request), as callflows.views.dial would find."""
    return ended and result == "accepted"


def read(session: Session, attempt_id: int) -> DialState | None:
    """The attempt's state (not locked: see _READ); None when the attempt is unknown."""
    row = session.connection().execute(_READ, {"attempt_id": attempt_id}).first()
    if row is None:
        return None
    result, ended, request_id, territory_id, settings = row
    # The webhook's log lines from here on name the territory (as requests.lock_attempt does).
    logs.bind(territory_id=territory_id)
    return DialState(result, bool(ended), request_id, prompts.overrides_in(settings))
