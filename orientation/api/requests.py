"""API: the request log, a request's timeline, its outcome, and the figures."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from flask import Response, jsonify, request
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from orientation import lifecycle
from orientation.api import ApiError, bp, id_arg, json_body, not_found, scope, unprocessable, valid_id, visible
from orientation.api import serialize as out
from orientation.api.schemas import OutcomePatch, parse
from orientation.models import Request
from orientation.runtime import db, now
from orientation.services import audit
from orientation.services import requests as svc
from orientation.services.stats import figures_for

PAGE_SIZE = 50


def _instant(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise unprocessable({name: "an ISO 8601 date or date-time is expected"}) from exc
    if value.tzinfo is None:
        raise unprocessable({name: "give the UTC offset, e.g. 2026-11-01T00:00:00+01:00"})
    try:
        value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+01:00 has no UTC instant
        raise unprocessable({name: "a date between years 1 and 9999 in UTC is expected"}) from exc
    return value


def _cursor() -> int | None:
    raw = request.args.get("cursor")
    if not raw:
        return None
    try:
        value = int(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise unprocessable({"cursor": "not a cursor given by this API"}) from exc
    if not valid_id(value):
        raise unprocessable({"cursor": "not a cursor given by this API"})
    return value


def _filtered() -> Select[Request]:
    query = select(Request).order_by(Request.id.desc())
    territory_id = id_arg("territory_id")
    if territory_id is not None:
        query = query.where(Request.territory_id == territory_id)
    if scope() is not None:
        query = query.where(Request.territory_id == scope())
    for name, column, allowed in (
        ("motive", Request.motive, lifecycle.MOTIVES),
        ("status", Request.status, lifecycle.STATUSES),
        ("outcome", Request.outcome, lifecycle.OUTCOMES),
    ):
        value = request.args.get(name)
        if value:
            if value not in allowed:
                raise unprocessable({name: f"one of {', '.join(allowed)}"})
            query = query.where(column == value)
    postcode = request.args.get("postcode")
    if postcode:
        # Checked before it reaches the database: PostgreSQL fails on a NUL character (a 500).
        if not (postcode.isascii() and postcode.isdigit() and len(postcode) == 5):
            raise unprocessable({"postcode": "5 digits are expected"})
        query = query.where(Request.postcode == postcode)
    since, until = _instant("since"), _instant("until")
    if since is not None:
        query = query.where(Request.created_at >= since)
    if until is not None:
        query = query.where(Request.created_at < until)
    return query


@bp.get("/requests")
def list_requests() -> Response:
    """The request log, newest first, filtered, a page at a time (follow next_cursor)."""
    query = _filtered()
    cursor = _cursor()
    if cursor is not None:
        query = query.where(Request.id < cursor)
    raw_limit = request.args.get("limit", "")
    if raw_limit and not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6):
        raise unprocessable({"limit": "a number of requests per page (1 to 500) is expected"})
    limit = min(max(int(raw_limit or PAGE_SIZE), 1), 500)
    rows = list(db().scalars(query.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=")
    return jsonify({"items": [out.request_summary(r) for r in rows], "next_cursor": next_cursor})


def get_request(reference: str, lock: bool = False) -> Request:
    """A request by reference, or 404 (also for another territory's request); row-locked when `lock`."""
    if "\x00" in reference or len(reference) > 32:  # no such reference, and PostgreSQL fails on a NUL
        raise not_found("request not found")
    query = (
        select(Request)
        .where(Request.reference == reference)
        .options(selectinload(Request.events), selectinload(Request.attempts))
    )
    if scope() is not None:
        # Visibility in the query itself: another territory's reference costs what an unknown one does (no
        # timeline loaded), so the answer's timing does not tell which references exist elsewhere.
        query = query.where(Request.territory_id == scope())
    if lock:
        # A volunteer's SMS may set the outcome at the same moment: the second writer sees the first.
        query = query.with_for_update(of=Request).execution_options(populate_existing=True)
    found = db().scalar(query)
    if found is None or not visible(found.territory_id):
        raise not_found("request not found")
    return found


@bp.get("/requests/<reference>")
def show_request(reference: str) -> Response:
    """A request with its timeline and attempts; the read is kept in the timeline."""
    found = get_request(reference)
    svc.add_event(db(), found, "read", now(), {"via": "api"}, actor=f"token:{_actor()}")
    audit.record(db(), f"token:{_actor()}", "read", found, now(), {"via": "api"})
    db().commit()
    return jsonify(out.request_detail(found))


def _actor() -> str:
    from flask import g

    return str(g.api_token.name)


@bp.patch("/requests/<reference>")
def patch_request(reference: str) -> Response:
    """Set or correct the outcome (and the directory entry that took the patient, a note)."""
    found = get_request(reference, lock=True)
    body = json_body()
    data = parse(OutcomePatch, body)
    session = db()
    actor = f"token:{_actor()}"
    if "directory_entry_id" in body and data.directory_entry_id is not None:
        from orientation.services.outcomes import directory_entry_exists

        if not directory_entry_exists(session, data.directory_entry_id, found.territory_id):
            raise unprocessable({"directory_entry_id": "unknown directory entry"})
    if "directory_entry_id" in body and data.directory_entry_id != found.outcome_entry_id:
        svc.add_event(
            session,
            found,
            "outcome.details",
            now(),
            {"from_entry": found.outcome_entry_id, "directory_entry_id": data.directory_entry_id},
            actor,
        )
        found.outcome_entry_id = data.directory_entry_id
    if "note" in body:
        found.outcome_note = data.note
        found.outcome_note_by = actor
    if "outcome" in body:
        if data.outcome is None:
            raise unprocessable({"outcome": "cannot be cleared; set another outcome"})
        if found.status in ("received", "in_menu", "routing"):
            raise ApiError(409, {"error": "the call is still in progress"})
        svc.close_with_outcome(session, found, data.outcome, now(), actor=actor)
    elif "note" in body:
        svc.add_event(session, found, "outcome.details", now(), {"note_changed": True}, actor)
    found.updated_at = now()
    # The audit names the fields changed, never the note's text.
    changed = sorted(k for k in ("outcome", "directory_entry_id", "note") if k in body)
    audit.record(
        session, actor, "outcome" if "outcome" in body else "edit", found, now(), {"via": "api", "fields": changed}
    )
    session.commit()
    # add_event sets the foreign key only: reload the timeline so the answer shows the events just added.
    session.expire(found, ["events"])
    return jsonify(out.request_detail(found))


@bp.get("/stats")
def stats() -> Response:
    """Figures per motive over a period: requests, connected, match rate (matched ÷ with a final outcome)…"""
    territory_id = id_arg("territory_id")
    if scope() is not None:
        if territory_id not in (None, scope()):
            raise not_found("territory not found")
        territory_id = scope()
    elif territory_id is not None and not visible(territory_id):
        raise not_found("territory not found")
    since, until = _instant("since"), _instant("until")
    return jsonify(figures_for(db(), territory_id, since, until))
