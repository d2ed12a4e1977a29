"""API: the request log, a request's timeline, its outcome, and the figures."""

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from orientation.core.models import Request
from orientation.core.runtime import db, now
from orientation.core.stats import MATCH_RATE_DEFINITION_EN
from orientation.services import audit
from orientation.services import requests as svc
from orientation.services.stats import figures_for
from orientation.web.api import ApiError, answers, bp, json_body, not_found, scope, unprocessable, visible
from orientation.web.api import serialize as out
from orientation.web.api.queries import PeriodQuery, RequestsQuery
from orientation.web.api.schemas import OutcomePatch, parse
from orientation.web.api.spec import Error, operation, parse_query

# A reference is at most 32 characters (longer ones, and a NUL that PostgreSQL refuses, are a 404).
REFERENCE = {"reference": {"type": "string", "minLength": 1, "maxLength": 32}}
FIGURES_EN = (
    "Per motive (and `unknown`: no motive chosen; `all`: every request): requests; connected (live, by the "
    "line) and answer_rate; median_seconds_to_answer and p90_seconds_to_answer (nearest rank); abandoned and "
    "abandon_rate; callbacks_pending (waiting for a call back now) and median_callback_delay_seconds (from "
    "the message to the patient reached); with_outcome, matched, oriented, no_solution and match_rate. "
    "A request counts in the period of its call (created_at); rates are null when their denominator is 0."
)


def _filtered(args: RequestsQuery) -> Select[Request]:
    query = select(Request).order_by(Request.id.desc())
    if args.territory_id is not None:
        query = query.where(Request.territory_id == args.territory_id)
    if scope() is not None:
        query = query.where(Request.territory_id == scope())
    filters = ((args.motive, Request.motive), (args.status, Request.status), (args.outcome, Request.outcome))
    for value, column in filters:
        if value is not None:
            query = query.where(column == value)
    if args.postcode is not None:
        query = query.where(Request.postcode == args.postcode)
    if args.since is not None:
        query = query.where(Request.created_at >= args.since)
    if args.until is not None:
        query = query.where(Request.created_at < args.until)
    return query


@bp.get("/requests")
@operation("The request log, newest first", query=RequestsQuery, answers={200: answers.RequestPage})
def list_requests() -> Response:
    """The request log, newest first, filtered, a page at a time (follow next_cursor)."""
    args = parse_query(RequestsQuery, request)
    query = _filtered(args)
    if args.cursor is not None:
        query = query.where(Request.id < int(args.cursor))
    rows = list(db().scalars(query.limit(args.limit + 1)))
    next_cursor = None
    if len(rows) > args.limit:
        rows = rows[: args.limit]
        next_cursor = str(rows[-1].id)
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
@operation("A request", answers={200: answers.RequestDetail}, path=REFERENCE)
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
@operation(
    "Set or correct the outcome",
    body=OutcomePatch,
    answers={200: answers.RequestDetail, 409: (Error, "The call is still in progress")},
    path=REFERENCE,
)
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
@operation(
    "Figures per motive over a period",
    description=MATCH_RATE_DEFINITION_EN + " " + FIGURES_EN,
    query=PeriodQuery,
    answers={200: answers.Stats},
)
def stats() -> Response:
    """Figures per motive over a period: requests, connected, match rate (matched ÷ with a final outcome)…"""
    args = parse_query(PeriodQuery, request)
    territory_id = args.territory_id
    if scope() is not None:
        if territory_id not in (None, scope()):
            raise not_found("territory not found")
        territory_id = scope()
    elif territory_id is not None and not visible(territory_id):
        raise not_found("territory not found")
    return jsonify(figures_for(db(), territory_id, args.since, args.until))
