"""API: the audit log, for administrators' tokens (no territory scope) only."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from flask import Response, jsonify, request

from orientation.api import bp, id_arg, not_found, scope, unprocessable
from orientation.api.requests import _cursor, _instant
from orientation.runtime import db
from orientation.services import audit

PAGE_SIZE = 100
MAX_PAGE = 1000
REFERENCE_MAX = 32


def _utc_instant(name: str) -> datetime | None:
    """A period bound in UTC (``_instant`` already answers 422 for one with no UTC instant, year 1 at +01:00…)."""
    value = _instant(name)
    return None if value is None else value.astimezone(UTC)


@bp.get("/audit")
def audit_log() -> Response:
    """Who read or changed which request, newest first, a page at a time (follow next_cursor)."""
    if scope() is not None:
        # A territory's token does not learn that the log exists, as for another territory's data.
        raise not_found()
    territory_id = id_arg("territory_id")
    since, until = _utc_instant("since"), _utc_instant("until")
    reference = request.args.get("reference") or None
    if reference is not None and (len(reference) > REFERENCE_MAX or "\x00" in reference):
        # No reference is that long or holds a NUL (which PostgreSQL would refuse to compare): nothing matches.
        return jsonify({"items": [], "next_cursor": None})
    raw_limit = request.args.get("limit", "")
    if raw_limit and not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6):
        raise unprocessable({"limit": f"a number of entries per page (1 to {MAX_PAGE}) is expected"})
    limit = min(max(int(raw_limit or PAGE_SIZE), 1), MAX_PAGE)
    rows = list(
        audit.entries(
            db(),
            territory_id=territory_id,
            since=since,
            until=until,
            reference=reference,
            before_id=_cursor(),
            limit=limit + 1,
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=")
    return jsonify({"items": [audit.as_dict(e) for e in rows], "next_cursor": next_cursor})
