"""API: weekly patterns and their exceptions (the rota's expanded views, gaps and load are in rota.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from orientation.core.runtime import db, now
from orientation.core.times_of_day import PatternValueError
from orientation.web.api import answers, bp, json_body, not_found, scope, unprocessable, valid_id, visible
from orientation.web.api.queries import ShiftQuery
from orientation.web.api.rota_inputs import ExceptionIn, PatternIn, PatternPatch
from orientation.web.api.schemas import parse
from orientation.web.api.spec import operation, parse_query
from volunteers.models import ShiftException, ShiftPattern, Volunteer
from volunteers.patterns import check_validity, occurs_on


def pattern_json(p: ShiftPattern) -> dict[str, Any]:
    """A weekly pattern and its exceptions."""
    return {
        "id": p.id,
        "volunteer_id": p.volunteer_id,
        "weekdays": list(p.weekdays),
        "start_time": p.start_time,
        "end_time": p.end_time,
        "valid_from": p.valid_from.isoformat(),
        "valid_until": p.valid_until.isoformat() if p.valid_until else None,
        "motives": list(p.motives or []),
        "holidays": p.holidays,
        "exceptions": [exception_json(e) for e in p.exceptions],
    }


def exception_json(e: ShiftException) -> dict[str, Any]:
    """A cancellation (no replacement) or a replacement of one occurrence."""
    return {
        "pattern_id": e.pattern_id,
        "on_date": e.on_date.isoformat(),
        "replacement_volunteer_id": e.replacement_volunteer_id,
        "kind": "cancellation" if e.replacement_volunteer_id is None else "replacement",
    }


def _pattern(pattern_id: int) -> ShiftPattern:
    pattern = db().get(ShiftPattern, pattern_id) if valid_id(pattern_id) else None
    if pattern is None or not visible(pattern.volunteer.territory_id):
        raise not_found("pattern not found")
    return pattern


def _same_territory_volunteer(volunteer_id: int, territory_id: int, field: str) -> Volunteer:
    volunteer = db().get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.territory_id != territory_id:
        raise unprocessable({field: "unknown volunteer of this territory"})
    return volunteer


# ---------------------------------------------------------------- weekly patterns


@bp.post("/patterns")
@operation("Add a weekly pattern (the territory's wall-clock times)", body=PatternIn, answers={201: answers.Pattern})
def create_pattern() -> tuple[Response, int]:
    """Add a weekly pattern for a volunteer."""
    data = parse(PatternIn, json_body())
    session = db()
    volunteer = session.get(Volunteer, data.volunteer_id)
    if volunteer is None or not visible(volunteer.territory_id):
        raise unprocessable({"volunteer_id": "unknown volunteer"})
    pattern = ShiftPattern(
        volunteer_id=volunteer.id,
        weekdays=data.weekdays,
        start_time=data.start_time,
        end_time=data.end_time,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        motives=data.motives,
        holidays=data.holidays,
        created_at=now(),
    )
    session.add(pattern)
    session.commit()
    return jsonify(pattern_json(pattern)), 201


@bp.get("/patterns")
@operation("Weekly patterns", query=ShiftQuery, answers={200: answers.Patterns})
def list_patterns() -> Response:
    """Weekly patterns, by territory or volunteer."""
    args = parse_query(ShiftQuery, request)
    query = select(ShiftPattern).join(Volunteer, ShiftPattern.volunteer_id == Volunteer.id).order_by(ShiftPattern.id)
    for value, column in ((args.territory_id, Volunteer.territory_id), (args.volunteer_id, ShiftPattern.volunteer_id)):
        if value is not None:
            query = query.where(column == value)
    if scope() is not None:
        query = query.where(Volunteer.territory_id == scope())
    return jsonify({"items": [pattern_json(p) for p in db().scalars(query.limit(5000))]})


@bp.get("/patterns/<int:pattern_id>")
@operation("A pattern and its exceptions", answers={200: answers.Pattern})
def show_pattern(pattern_id: int) -> Response:
    """One weekly pattern with its exceptions."""
    return jsonify(pattern_json(_pattern(pattern_id)))


@bp.patch("/patterns/<int:pattern_id>")
@operation("Change a pattern (e.g. end it with valid_until)", body=PatternPatch, answers={200: answers.Pattern})
def patch_pattern(pattern_id: int) -> Response:
    """Change a pattern: end it (valid_until), move it, narrow its motives…"""
    pattern = _pattern(pattern_id)
    body = json_body()
    data = parse(PatternPatch, body)
    changes = {k: v for k, v in data.model_dump().items() if k in body}
    for key in ("weekdays", "start_time", "end_time", "valid_from", "motives", "holidays"):
        if key in changes and changes[key] is None:
            raise unprocessable({key: "cannot be null"})
    valid_from = changes.get("valid_from", pattern.valid_from)
    valid_until = changes.get("valid_until", pattern.valid_until)
    try:
        check_validity(valid_from, valid_until)
    except PatternValueError as exc:
        raise unprocessable({"valid_until": str(exc)}) from exc
    for key, value in changes.items():
        setattr(pattern, key, value)
    db().commit()
    return jsonify(pattern_json(pattern))


@bp.delete("/patterns/<int:pattern_id>")
@operation("Remove a pattern", answers={204: None})
def delete_pattern(pattern_id: int) -> tuple[str, int]:
    """Remove a pattern and its exceptions (to stop it from a date on, PATCH its valid_until instead)."""
    session = db()
    session.delete(_pattern(pattern_id))
    session.commit()
    return "", 204


@bp.post("/patterns/<int:pattern_id>/exceptions")
@operation(
    "Cancel one occurrence, or give it to a replacement volunteer",
    body=ExceptionIn,
    answers={201: answers.ShiftException, 200: (answers.ShiftException, "Changed")},
)
def create_exception(pattern_id: int) -> tuple[Response, int]:
    """Cancel the occurrence starting on `on_date`, or give it to `replacement_volunteer_id` (set again: changed)."""
    pattern = _pattern(pattern_id)
    data = parse(ExceptionIn, json_body())
    if not occurs_on(pattern.weekdays, pattern.valid_from, pattern.valid_until, data.on_date):
        raise unprocessable({"on_date": "the pattern has no shift starting on that date"})
    replacement_id = data.replacement_volunteer_id
    if replacement_id is not None:
        _same_territory_volunteer(replacement_id, pattern.volunteer.territory_id, "replacement_volunteer_id")
        if replacement_id == pattern.volunteer_id:
            raise unprocessable({"replacement_volunteer_id": "the volunteer cannot replace themselves"})
    session = db()
    existing = session.scalar(
        select(ShiftException).where(ShiftException.pattern_id == pattern.id, ShiftException.on_date == data.on_date)
    )
    status = 200 if existing is not None else 201
    exception = existing or ShiftException(pattern_id=pattern.id, on_date=data.on_date, created_at=now())
    exception.replacement_volunteer_id = replacement_id
    session.add(exception)
    session.commit()
    return jsonify(exception_json(exception)), status


@bp.delete("/patterns/<int:pattern_id>/exceptions/<on_date>")
@operation(
    "Undo a cancellation or replacement",
    answers={204: None},
    path={"on_date": {"type": "string", "format": "date"}},
)
def delete_exception(pattern_id: int, on_date: str) -> tuple[str, int]:
    """Undo a cancellation or replacement: the occurrence goes back to the pattern's volunteer."""
    pattern = _pattern(pattern_id)
    try:
        day = date.fromisoformat(on_date)
    except ValueError as exc:
        raise not_found("exception not found") from exc
    session = db()
    exception = session.scalar(
        select(ShiftException).where(ShiftException.pattern_id == pattern.id, ShiftException.on_date == day)
    )
    if exception is None:
        raise not_found("exception not found")
    session.delete(exception)
    session.commit()
    return "", 204
