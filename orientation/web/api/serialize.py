"""Model → JSON shapes of the API (PRODUCT.md §6 names are relied on by clients)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orientation.core.models import Attempt, Event, Request, Territory
from orientation.core.phones import mask
from volunteers.models import Shift, Volunteer


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value is not None else None


def territory(t: Territory) -> dict[str, Any]:
    """A territory and its settings."""
    return {
        "id": t.id,
        "name": t.name,
        "reference_prefix": t.reference_prefix,
        "phone_numbers": [n.phone for n in t.numbers],
        "postcodes": list(t.postcodes or []),
        "opening_hours": t.opening_hours,
        "holiday_subdivision": t.holiday_subdivision,
        "languages": list(t.languages or []),
        "coordinator_phone": t.coordinator_phone,
        "ring_seconds": t.ring_seconds,
        "max_wait_seconds": t.max_wait_seconds,
        "queue_wait_limit_seconds": t.queue_wait_limit_seconds,
        "callback_after_hang_up": (t.settings or {}).get("callback_after_hang_up") is True,
        "crisis": {"enabled": t.crisis_enabled, "offers": t.crisis_offers, "announcement": t.crisis_announcement},
        "sms_sender": t.sms_sender,
        "sms_replies": t.replies_by_sms,
        "neighbours": [{"name": n.name, "phone": n.phone, "postcodes": list(n.postcodes)} for n in t.neighbours],
        "created_at": iso(t.created_at),
    }


def volunteer(v: Volunteer) -> dict[str, Any]:
    """A volunteer (their own phone in full: the API is for the coordinator who manages them)."""
    return {
        "id": v.id,
        "territory_id": v.territory_id,
        "name": v.name,
        "phone": v.phone,
        "profession": v.profession,
        "motives": list(v.motives or []),
        "languages": list(v.languages or []),
        "directory_entry_id": v.directory_entry_id,
        "active": v.active,
        "paused": v.paused,
        "last_offered_at": iso(v.last_offered_at),
        "created_at": iso(v.created_at),
    }


def shift(s: Shift) -> dict[str, Any]:
    """A one-off shift."""
    return {
        "id": s.id,
        "volunteer_id": s.volunteer_id,
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "motives": list(s.motives or []),
    }


def request_summary(r: Request) -> dict[str, Any]:
    """A request as listed: the caller's number masked."""
    return {
        "reference": r.reference,
        "call_sid": r.call_sid,
        "territory_id": r.territory_id,
        "motive": r.motive,
        "postcode": r.postcode,
        "in_territory": r.in_territory,
        "status": r.status,
        "outcome": r.outcome,
        "outcome_entry_id": r.outcome_entry_id,
        "volunteer_id": r.volunteer_id,
        "caller": mask(r.caller),
        "had_message": r.had_message,
        "created_at": iso(r.created_at),
        "connected_at": iso(r.connected_at),
        "closed_at": iso(r.closed_at),
    }


def attempt(a: Attempt) -> dict[str, Any]:
    """One ring of a volunteer."""
    return {
        "volunteer_id": a.volunteer_id,
        "kind": a.kind,
        "result": a.result,
        "at": iso(a.offered_at),
        "ended_at": iso(a.ended_at),
    }


def event(e: Event) -> dict[str, Any]:
    """One timeline entry."""
    return {"kind": e.kind, "at": iso(e.at), "actor": e.actor, "data": e.payload or {}}


def request_detail(r: Request) -> dict[str, Any]:
    """A request with its timeline and attempts."""
    body = request_summary(r)
    body["outcome_note"] = r.outcome_note
    body["events"] = [event(e) for e in r.events]
    body["attempts"] = [attempt(a) for a in r.attempts]
    return body
