"""Outcome services: a volunteer's SMS reply sets the outcome; what an outcome may point to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callflows.sms_replies import (
    OUTCOME_FOR_CODE,
    Ambiguous,
    NoOpenRequest,
    OutcomeReply,
    UnknownReference,
    pick_request,
)
from directory.models import DirectoryEntry
from orientation.models import Request
from orientation.services import requests as svc
from volunteers.models import Volunteer


def directory_entry_exists(session: Session, entry_id: int, territory_id: int) -> bool:
    """True when the entry is in the request's territory directory."""
    entry = session.get(DirectoryEntry, entry_id)
    return entry is not None and entry.territory_id == territory_id


def awaiting_outcome(session: Session, volunteer: Volunteer) -> list[Request]:
    """The requests this volunteer took and has not yet said what became of."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.volunteer_id == volunteer.id, Request.status == "connected", Request.outcome.is_(None))
            .order_by(Request.id)
        )
    )


def apply_sms_reply(
    session: Session, volunteer: Volunteer, reply: OutcomeReply, now: datetime
) -> tuple[str, dict[str, str]]:
    """Set the outcome a volunteer texted; returns the prompt key of the answer and its values."""
    open_requests = awaiting_outcome(session, volunteer)
    chosen = pick_request(reply, [r.reference for r in open_requests])
    if isinstance(chosen, NoOpenRequest):
        return "sms_outcome_none", {}
    if isinstance(chosen, UnknownReference):
        return "sms_outcome_unknown_reference", {"reference": chosen.reference}
    if isinstance(chosen, Ambiguous):
        references = list(chosen.references)
        return "sms_outcome_which", {"references": ", ".join(references), "example": references[0]}
    request = next(r for r in open_requests if r.reference == chosen)
    outcome = OUTCOME_FOR_CODE[reply.code]
    svc.close_with_outcome(session, request, outcome, now, actor=f"volunteer:{volunteer.id}")
    return "sms_outcome_saved", {"reference": request.reference, "outcome": outcome}
