"""API: the coordinator triggers a call-back now (a volunteer on duty is phoned at once)."""

from __future__ import annotations

from flask import Response, g, jsonify

from orientation.core.runtime import db, now, runtime
from orientation.services import callbacks
from orientation.web.api import ApiError, answers, bp
from orientation.web.api import serialize as out
from orientation.web.api.requests import REFERENCE, get_request
from orientation.web.api.spec import Error, operation


@bp.post("/requests/<reference>/callback")
@operation(
    "Call the patient back now: a volunteer on duty is phoned at once",
    description="Starts a call-back round outside the territory's spacing. A request that was abandoned or "
    "connected waits for a call-back again (an `abandoned` outcome is cleared). `offered_to` is null when nobody "
    "is on duty: the clock process tries again at `next_callback_at`.",
    answers={
        202: (answers.CallbackTriggered, "Call-back started"),
        409: (Error, "Call in progress, request closed, or number unknown"),
    },
    path=REFERENCE,
)
def trigger_callback(reference: str) -> Response:
    """Start a call-back round now; 202 with the volunteer phoned, or null when none is on duty (retried later)."""
    found = get_request(reference)
    session = db()
    rt = runtime()
    at = now()
    try:
        offer = callbacks.trigger_now(
            session, found, at, f"token:{g.api_token.name}", rt.config.public_base_url, rt.live_messaging
        )
    except callbacks.CallbackRefused as exc:
        session.rollback()
        raise ApiError(409, {"error": str(exc)}) from exc
    session.commit()
    if offer is not None:
        callbacks.dispatch_offers(rt.sessions, rt.sender, [offer.call.id], now=at, base_url=rt.config.public_base_url)
    session.expire(found, ["events", "attempts"])
    body = {
        "reference": found.reference,
        "status": found.status,
        "offered_to": offer.volunteer.id if offer is not None else None,
        "in_progress": offer is None and callbacks.in_flight(found) is not None,
        "failed_calls": found.callback_attempts,
        "next_callback_at": out.iso(found.next_callback_at),
        "request": out.request_detail(found),
    }
    response = jsonify(body)
    response.status_code = 202
    return response
