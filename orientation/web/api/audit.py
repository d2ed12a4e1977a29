"""API: the audit log, for administrators' tokens (no territory scope) only."""

from __future__ import annotations

from datetime import UTC

from flask import Response, jsonify, request

from orientation.core.runtime import db
from orientation.services import audit
from orientation.web.api import answers, bp, not_found, scope
from orientation.web.api.queries import AuditQuery
from orientation.web.api.spec import operation, parse_query

REFERENCE_MAX = 32


@bp.get("/audit")
@operation(
    "Who read or changed which request, newest first (tokens for all territories only)",
    query=AuditQuery,
    answers={200: answers.AuditPage},
)
def audit_log() -> Response:
    """Who read or changed which request, newest first, a page at a time (follow next_cursor)."""
    if scope() is not None:
        # A territory's token does not learn that the log exists, as for another territory's data.
        raise not_found()
    args = parse_query(AuditQuery, request)
    if args.reference is not None and len(args.reference) > REFERENCE_MAX:
        return jsonify({"items": [], "next_cursor": None})  # no reference is that long: nothing matches
    rows = list(
        audit.entries(
            db(),
            territory_id=args.territory_id,
            since=None if args.since is None else args.since.astimezone(UTC),
            until=None if args.until is None else args.until.astimezone(UTC),
            # A NUL (which PostgreSQL would refuse to compare) is refused at the edge (orientation.web.edge).
            reference=args.reference or None,
            before_id=None if args.cursor is None else int(args.cursor),
            limit=args.limit + 1,
        )
    )
    next_cursor = None
    if len(rows) > args.limit:
        rows = rows[: args.limit]
        next_cursor = str(rows[-1].id)
    return jsonify({"items": [audit.as_dict(e) for e in rows], "next_cursor": next_cursor})
