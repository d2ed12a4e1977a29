"""The rota API's input shapes: weekly patterns and their exceptions, parsed once at the edge."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from orientation import lifecycle
from orientation.api.schemas import Id
from volunteers.patterns import PatternValueError, check_validity, parse_hhmm, parse_holidays, parse_weekdays

# Dates far from now are typos, and near the ends of the calendar they would overflow date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2100

Weekdays = Annotated[list[int | str] | str, Field(description='[0..6] (0 = Monday), ["Mo", "We"], or "Mo-Fr"')]
HHMM = Annotated[str, Field(description="local wall-clock time, HH:MM", examples=["09:00"])]


def _weekdays(value: Any) -> list[int]:
    try:
        return parse_weekdays(value)
    except PatternValueError as exc:
        raise ValueError(str(exc)) from exc


def _hhmm(value: str) -> str:
    try:
        return parse_hhmm(value)
    except PatternValueError as exc:
        raise ValueError(str(exc)) from exc


def _holidays(value: str) -> str:
    try:
        return parse_holidays(value)
    except PatternValueError as exc:
        raise ValueError(str(exc)) from exc


def _date_in_range(value: date | None) -> date | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a date between {FIRST_YEAR} and {LAST_YEAR} is expected")
    return value


def _motive_codes(value: list[str]) -> list[str]:
    unknown = [m for m in value if m not in lifecycle.MOTIVES]
    if unknown:
        raise ValueError(f"unknown motive {unknown[0]!r}; known: {', '.join(lifecycle.MOTIVES)}")
    return list(dict.fromkeys(value))


class PatternIn(BaseModel):
    """POST /patterns: "every Tuesday 09:00–12:00 from 1 December to 30 June", in the territory's wall-clock time.

    ``end_time`` at or before ``start_time`` ends the next day (20:00–08:00). ``motives`` narrows the
    volunteer's motives during this shift (empty: all of theirs). ``holidays``: ``include`` (a public holiday
    is a day like any other), ``skip`` (no shift on public holidays), ``only`` (on public holidays alone).
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    volunteer_id: Id
    weekdays: Weekdays
    start_time: HHMM
    end_time: HHMM
    valid_from: date
    valid_until: date | None = None
    motives: list[str] = Field(default_factory=list)
    holidays: str = "include"

    _w = field_validator("weekdays")(classmethod(lambda cls, v: _weekdays(v)))
    _t = field_validator("start_time", "end_time")(classmethod(lambda cls, v: _hhmm(v)))
    _h = field_validator("holidays")(classmethod(lambda cls, v: _holidays(v)))
    _m = field_validator("motives")(classmethod(lambda cls, v: _motive_codes(v)))
    _d = field_validator("valid_from")(classmethod(lambda cls, v: _date_in_range(v)))

    @field_validator("valid_until")
    @classmethod
    def _until(cls, value: date | None, info: ValidationInfo) -> date | None:
        value = _date_in_range(value)
        valid_from = info.data.get("valid_from")
        if value is not None and valid_from is not None:
            try:
                check_validity(valid_from, value)
            except PatternValueError as exc:
                raise ValueError(str(exc)) from exc
        return value


class PatternPatch(BaseModel):
    """PATCH /patterns/{id}: any subset of the fields (the view checks the result as a whole)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    weekdays: Weekdays | None = None
    start_time: HHMM | None = None
    end_time: HHMM | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    motives: list[str] | None = None
    holidays: str | None = None

    _w = field_validator("weekdays")(classmethod(lambda cls, v: None if v is None else _weekdays(v)))
    _t = field_validator("start_time", "end_time")(classmethod(lambda cls, v: None if v is None else _hhmm(v)))
    _h = field_validator("holidays")(classmethod(lambda cls, v: None if v is None else _holidays(v)))
    _m = field_validator("motives")(classmethod(lambda cls, v: None if v is None else _motive_codes(v)))
    _d = field_validator("valid_from", "valid_until")(classmethod(lambda cls, v: _date_in_range(v)))


class ExceptionIn(BaseModel):
    """POST /patterns/{id}/exceptions: the occurrence starting on `on_date` is cancelled, or taken by another."""

    model_config = ConfigDict(extra="ignore")
    on_date: date
    replacement_volunteer_id: Id | None = None

    _d = field_validator("on_date")(classmethod(lambda cls, v: _date_in_range(v)))


# ---------------------------------------------------------------- the OpenAPI description of the rota endpoints


def openapi_schemas() -> dict[str, Any]:
    """The rota's components for the OpenAPI document (input models and answers)."""
    schemas: dict[str, Any] = {}
    for model in (PatternIn, PatternPatch, ExceptionIn):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    local = {"type": "string", "format": "date-time", "description": "the territory's wall clock, with its offset"}
    nullable_int = {"type": ["integer", "null"]}
    schemas["ShiftException"] = {
        "type": "object",
        "properties": {
            "pattern_id": {"type": "integer"},
            "on_date": {"type": "string", "format": "date"},
            "replacement_volunteer_id": nullable_int,
            "kind": {"type": "string", "enum": ["cancellation", "replacement"]},
        },
    }
    schemas["Pattern"] = {
        "type": "object",
        "required": ["id", "volunteer_id", "weekdays", "start_time", "end_time", "valid_from"],
        "properties": {
            "id": {"type": "integer"},
            "volunteer_id": {"type": "integer"},
            "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
            "start_time": {"type": "string"},
            "end_time": {"type": "string"},
            "valid_from": {"type": "string", "format": "date"},
            "valid_until": {"type": ["string", "null"], "format": "date"},
            "motives": {"type": "array", "items": {"type": "string"}},
            "holidays": {"type": "string", "enum": ["include", "skip", "only"]},
            "exceptions": {"type": "array", "items": {"$ref": "#/components/schemas/ShiftException"}},
        },
    }
    schemas["Occurrence"] = {
        "type": "object",
        "properties": {
            "volunteer_id": {"type": "integer"},
            "volunteer_name": {"type": ["string", "null"]},
            "starts_at": local,
            "ends_at": local,
            "hours": {"type": "number", "description": "real hours (11 or 13 for a night across a DST change)"},
            "motives": {"type": "array", "items": {"type": "string"}, "description": "motives really covered"},
            "pattern_id": nullable_int,
            "shift_id": nullable_int,
            "replaced_volunteer_id": nullable_int,
        },
    }
    interval = {"type": "object", "properties": {"starts_at": local, "ends_at": local, "hours": {"type": "number"}}}
    schemas["Gaps"] = {
        "type": "object",
        "properties": {
            "territory_id": {"type": "integer"},
            "timezone": {"type": "string"},
            "from": local,
            "to": local,
            "days": {"type": "integer"},
            "motives": {"type": "object", "additionalProperties": {"type": "array", "items": interval}},
            "hours_uncovered": {"type": "object", "additionalProperties": {"type": "number"}},
        },
    }
    load_item = {
        "type": "object",
        "properties": {
            "volunteer_id": {"type": "integer"},
            "name": {"type": "string"},
            "offered": {"type": "integer"},
            "accepted": {"type": "integer"},
            "acceptance_rate": {"type": ["number", "null"]},
            "share_of_offered": {"type": ["number", "null"]},
            "shift_hours": {"type": "number"},
            "offered_per_shift_hour": {"type": ["number", "null"]},
        },
    }
    schemas["LoadItem"] = load_item
    schemas["Load"] = {
        "type": "object",
        "properties": {
            "territory_id": {"type": "integer"},
            "since": local,
            "until": local,
            "definition": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/LoadItem"}},
        },
    }
    return schemas


def openapi_paths() -> dict[str, Any]:
    """The rota's paths for the OpenAPI document."""
    from orientation.api.openapi import ERRORS, _body, _json, _path, _query, _ref

    def items(name: str) -> dict[str, Any]:
        return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}}

    territory = _query("territory_id", {"type": "integer"}, "required unless the token is limited to one territory")
    when = {"type": "string", "description": "a date (local midnight) or a date-time with its offset"}
    pattern_id = _path("pattern_id", {"type": "integer"})
    feed = {"type": "object", "properties": {"volunteer_id": {"type": "integer"}, "url": {"type": "string"}}}
    return {
        "/patterns": {
            "get": {
                "summary": "Weekly patterns",
                "parameters": [
                    _query("territory_id", {"type": "integer"}),
                    _query("volunteer_id", {"type": "integer"}),
                ],
                "responses": {"200": _json(items("Pattern")), **ERRORS},
            },
            "post": {
                "summary": "Add a weekly pattern (the territory's wall-clock times)",
                "requestBody": _body("PatternIn"),
                "responses": {"201": _json(_ref("Pattern"), "Created"), **ERRORS},
            },
        },
        "/patterns/{pattern_id}": {
            "parameters": [pattern_id],
            "get": {"summary": "A pattern and its exceptions", "responses": {"200": _json(_ref("Pattern")), **ERRORS}},
            "patch": {
                "summary": "Change a pattern (e.g. end it with valid_until)",
                "requestBody": _body("PatternPatch"),
                "responses": {"200": _json(_ref("Pattern")), **ERRORS},
            },
            "delete": {"summary": "Remove a pattern", "responses": {"204": {"description": "Removed"}, **ERRORS}},
        },
        "/patterns/{pattern_id}/exceptions": {
            "parameters": [pattern_id],
            "post": {
                "summary": "Cancel one occurrence, or give it to a replacement volunteer",
                "requestBody": _body("ExceptionIn"),
                "responses": {
                    "201": _json(_ref("ShiftException"), "Created"),
                    "200": _json(_ref("ShiftException"), "Changed"),
                    **ERRORS,
                },
            },
        },
        "/patterns/{pattern_id}/exceptions/{on_date}": {
            "parameters": [pattern_id, _path("on_date", {"type": "string", "format": "date"})],
            "delete": {
                "summary": "Undo a cancellation or replacement",
                "responses": {"204": {"description": "Removed"}, **ERRORS},
            },
        },
        "/rota": {
            "get": {
                "summary": "Every occurrence of the shifts over a period (default: the next 7 days)",
                "parameters": [
                    territory,
                    _query("from", when),
                    _query("to", when),
                    _query("volunteer_id", {"type": "integer"}),
                ],
                "responses": {"200": _json(items("Occurrence")), **ERRORS},
            }
        },
        "/rota/on-duty": {
            "get": {
                "summary": "Who is on duty at an instant (default now), for a motive or any",
                "parameters": [territory, _query("at", when), _query("motive", {"type": "string"})],
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
        "/rota/gaps": {
            "get": {
                "summary": "Opening hours of the next days that no available volunteer covers, per motive",
                "parameters": [territory, _query("days", {"type": "integer", "minimum": 1, "maximum": 62})],
                "responses": {"200": _json(_ref("Gaps")), **ERRORS},
            }
        },
        "/rota/load": {
            "get": {
                "summary": "Fairness: offered and accepted requests per volunteer (default: the last 30 days)",
                "parameters": [territory, _query("since", when), _query("until", when)],
                "responses": {"200": _json(_ref("Load")), **ERRORS},
            }
        },
        "/volunteers/{volunteer_id}/ical": {
            "parameters": [_path("volunteer_id", {"type": "integer"})],
            "get": {
                "summary": "The address of the volunteer's private iCalendar feed",
                "responses": {"200": _json(feed), **ERRORS},
            },
            "post": {
                "summary": "A new feed address (the old one stops working)",
                "responses": {"200": _json(feed), **ERRORS},
            },
        },
        "/volunteers/{volunteer_id}/load": {
            "parameters": [_path("volunteer_id", {"type": "integer"})],
            "get": {
                "summary": "Fairness of one volunteer over a period (default: the last 30 days)",
                "parameters": [_query("since", when), _query("until", when)],
                "responses": {"200": _json(_ref("LoadItem")), **ERRORS},
            },
        },
    }
