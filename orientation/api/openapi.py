"""The OpenAPI 3.1 document of the API, built from the same pydantic models that parse the input."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from orientation import lifecycle
from orientation.api import bp, rota_schemas
from orientation.api import directory as directory_api
from orientation.api.schemas import OutcomePatch, ShiftIn, TerritoryIn, TerritoryPatch, VolunteerIn, VolunteerPatch
from orientation.stats import MATCH_RATE_DEFINITION_EN

FIGURES_EN = (
    "Per motive (and `unknown`: no motive chosen; `all`: every request): requests; connected (live, by the "
    "line) and answer_rate; median_seconds_to_answer and p90_seconds_to_answer (nearest rank); abandoned and "
    "abandon_rate; callbacks_pending (waiting for a call back now) and median_callback_delay_seconds (from "
    "the message to the patient reached); with_outcome, matched, oriented, no_solution and match_rate. "
    "A request counts in the period of its call (created_at); rates are null when their denominator is 0."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": _json(_ref("Error"), "No or bad bearer token"),
    "404": _json(_ref("Error"), "Unknown, or another territory's"),
    "422": _json(_ref("ValidationErrors"), "Bad input: one message per field"),
}

# Reference prefixes are unique across the instance (any case): another territory's is refused.
PREFIX_TAKEN = _json(_ref("ValidationErrors"), "reference_prefix already used by another territory")


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_NUM = {"type": ["number", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (TerritoryIn, TerritoryPatch, VolunteerIn, VolunteerPatch, ShiftIn, OutcomePatch):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model.__name__] = schema
    schemas["Error"] = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    schemas["ValidationErrors"] = {
        "type": "object",
        "properties": {"errors": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["errors"],
    }
    schemas["Territory"] = {
        "type": "object",
        "required": ["id", "name", "phone_numbers", "postcodes", "opening_hours"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "reference_prefix": {"type": "string"},
            "phone_numbers": {"type": "array", "items": {"type": "string"}},
            "postcodes": {"type": "array", "items": {"type": "string"}},
            "opening_hours": {"type": "string"},
            "holiday_subdivision": NULLABLE_STR,
            "languages": {"type": "array", "items": {"type": "string"}},
            "coordinator_phone": NULLABLE_STR,
            "ring_seconds": {"type": "integer"},
            "max_wait_seconds": {"type": "integer"},
            "queue_wait_limit_seconds": {"type": "integer"},
            "crisis": {
                "type": "object",
                "properties": {
                    "enabled": {"type": "boolean"},
                    "offers": {"type": "integer"},
                    "announcement": NULLABLE_STR,
                },
            },
            "sms_sender": {
                "type": ["string", "null"],
                "description": "null: the line's number; else an E.164 number, an alphanumeric ID or an MG sid",
            },
            "sms_replies": {"type": "boolean", "description": "whether the line's SMS ask for SMS answers"},
            "neighbours": {"type": "array", "items": {"type": "object"}},
            "created_at": NULLABLE_DATETIME,
        },
    }
    schemas["Volunteer"] = {
        "type": "object",
        "required": ["id", "territory_id", "name", "phone", "profession", "motives", "languages"],
        "properties": {
            "id": {"type": "integer"},
            "territory_id": {"type": "integer"},
            "name": {"type": "string"},
            "phone": {"type": "string", "description": "E.164"},
            "profession": {"type": "string"},
            "motives": {"type": "array", "items": {"type": "string", "enum": list(lifecycle.MOTIVES)}},
            "languages": {"type": "array", "items": {"type": "string"}},
            "directory_entry_id": NULLABLE_INT,
            "active": {"type": "boolean"},
            "paused": {"type": "boolean"},
            "last_offered_at": NULLABLE_DATETIME,
            "created_at": NULLABLE_DATETIME,
        },
    }
    schemas["Shift"] = {
        "type": "object",
        "required": ["id", "volunteer_id", "starts_at", "ends_at"],
        "properties": {
            "id": {"type": "integer"},
            "volunteer_id": {"type": "integer"},
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "motives": {"type": "array", "items": {"type": "string"}},
        },
    }
    request_properties: dict[str, Any] = {
        "reference": {"type": "string"},
        "call_sid": NULLABLE_STR,
        "territory_id": {"type": "integer"},
        "motive": {"type": ["string", "null"], "enum": [*lifecycle.MOTIVES, None]},
        "postcode": NULLABLE_STR,
        "in_territory": {"type": ["boolean", "null"]},
        "status": {"type": "string", "enum": list(lifecycle.STATUSES)},
        "outcome": {"type": ["string", "null"], "enum": [*lifecycle.OUTCOMES, None]},
        "outcome_entry_id": NULLABLE_INT,
        "volunteer_id": NULLABLE_INT,
        "caller": {"type": "string", "description": "masked"},
        "had_message": {"type": "boolean"},
        "created_at": DATETIME,
        "connected_at": NULLABLE_DATETIME,
        "closed_at": NULLABLE_DATETIME,
    }
    schemas["RequestSummary"] = {
        "type": "object",
        "required": ["reference", "territory_id", "status", "caller", "created_at"],
        "properties": request_properties,
    }
    schemas["Attempt"] = {
        "type": "object",
        "required": ["volunteer_id", "result", "at"],
        "properties": {
            "volunteer_id": {"type": "integer"},
            "kind": {"type": "string"},
            "result": {"type": ["string", "null"], "enum": [*lifecycle.ATTEMPT_RESULTS, None]},
            "at": DATETIME,
            "ended_at": NULLABLE_DATETIME,
        },
    }
    schemas["Event"] = {
        "type": "object",
        "properties": {
            "kind": {"type": "string"},
            "at": DATETIME,
            "actor": NULLABLE_STR,
            "data": {"type": "object"},
        },
    }
    schemas["RequestDetail"] = {
        "type": "object",
        "required": ["reference", "events", "attempts"],
        "properties": {
            **request_properties,
            "outcome_note": NULLABLE_STR,
            "events": {"type": "array", "items": _ref("Event")},
            "attempts": {"type": "array", "items": _ref("Attempt")},
        },
    }
    figures = {
        "type": "object",
        "properties": {
            "requests": {"type": "integer"},
            "connected": {"type": "integer"},
            "answer_rate": NULLABLE_NUM,
            "median_seconds_to_answer": NULLABLE_NUM,
            "p90_seconds_to_answer": NULLABLE_NUM,
            "abandoned": {"type": "integer"},
            "abandon_rate": NULLABLE_NUM,
            "callbacks_pending": {"type": "integer"},
            "median_callback_delay_seconds": NULLABLE_NUM,
            "with_outcome": {"type": "integer"},
            "matched": {"type": "integer"},
            "oriented": {"type": "integer"},
            "no_solution": {"type": "integer"},
            "match_rate": {**NULLABLE_NUM, "description": MATCH_RATE_DEFINITION_EN},
            "waiting_line": {
                "type": "object",
                "description": "Callers of the period who waited in the line (everyone busy): how many, their time "
                "in it (median, nearest-rank p90, over those who left it) and how they left it",
                "properties": {
                    "waited": {"type": "integer"},
                    "waiting": {"type": "integer", "description": "still in the line"},
                    "answered_from_line": {"type": "integer"},
                    "left_hung_up": {"type": "integer"},
                    "left_chose_message": {"type": "integer"},
                    "left_wait_limit": {"type": "integer"},
                    "median_wait_seconds": NULLABLE_NUM,
                    "p90_wait_seconds": NULLABLE_NUM,
                },
            },
        },
    }
    schemas["Stats"] = {
        "type": "object",
        "properties": {
            "territory_id": NULLABLE_INT,
            "since": NULLABLE_STR,
            "until": NULLABLE_STR,
            "match_rate_definition": {"type": "string"},
            "motives": {"type": "object", "additionalProperties": figures},
        },
    }
    schemas["CallbackTriggered"] = {
        "type": "object",
        "required": ["reference", "status", "offered_to", "failed_calls", "next_callback_at"],
        "properties": {
            "reference": {"type": "string"},
            "status": {"type": "string", "enum": list(lifecycle.STATUSES)},
            "offered_to": {**NULLABLE_INT, "description": "the volunteer phoned now"},
            "in_progress": {"type": "boolean", "description": "a call-back was already under way"},
            "failed_calls": {"type": "integer", "description": "calls to the patient that did not reach them"},
            "next_callback_at": NULLABLE_DATETIME,
            "request": _ref("RequestDetail"),
        },
    }
    schemas["AuditEntry"] = {
        "type": "object",
        "required": ["id", "at", "actor", "action"],
        "properties": {
            "id": {"type": "integer"},
            "at": DATETIME,
            "actor": {"type": "string", "description": "token:NAME, user:EMAIL, cli:USER or retention"},
            "action": {"type": "string", "description": "read, outcome, edit, callback, export, erase, pseudonymise"},
            "territory_id": NULLABLE_INT,
            "reference": NULLABLE_STR,
            "details": {"type": "object"},
        },
    }
    schemas.update(rota_schemas.openapi_schemas())
    schemas.update(directory_api.openapi_schemas())
    return schemas


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    list_of = lambda name: {  # noqa: E731
        "type": "object",
        "properties": {"items": {"type": "array", "items": _ref(name)}},
        "required": ["items"],
    }
    period = [
        _query("since", {"type": "string", "format": "date-time"}, "ISO 8601 with offset, inclusive"),
        _query("until", {"type": "string", "format": "date-time"}, "ISO 8601 with offset, exclusive"),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Orientation API",
            "version": "1",
            "description": "The patient line of a CPTS. Bearer tokens from `orientation token create NAME`. "
            + MATCH_RATE_DEFINITION_EN,
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "paths": {
            **rota_schemas.openapi_paths(),
            **directory_api.openapi_paths(),
            "/territories": {
                "get": {"summary": "Territories", "responses": {"200": _json(list_of("Territory")), **ERRORS}},
                "post": {
                    "summary": "Create a territory",
                    "requestBody": _body("TerritoryIn"),
                    "responses": {"201": _json(_ref("Territory"), "Created"), "409": PREFIX_TAKEN, **ERRORS},
                },
            },
            "/territories/{territory_id}": {
                "parameters": [_path("territory_id", {"type": "integer"})],
                "get": {"summary": "A territory", "responses": {"200": _json(_ref("Territory")), **ERRORS}},
                "patch": {
                    "summary": "Change a territory",
                    "requestBody": _body("TerritoryPatch"),
                    "responses": {"200": _json(_ref("Territory")), "409": PREFIX_TAKEN, **ERRORS},
                },
            },
            "/volunteers": {
                "get": {
                    "summary": "Volunteers",
                    "parameters": [_query("territory_id", {"type": "integer"})],
                    "responses": {"200": _json(list_of("Volunteer")), **ERRORS},
                },
                "post": {
                    "summary": "Add a volunteer",
                    "requestBody": _body("VolunteerIn"),
                    "responses": {"201": _json(_ref("Volunteer"), "Created"), **ERRORS},
                },
            },
            "/volunteers/{volunteer_id}": {
                "parameters": [_path("volunteer_id", {"type": "integer"})],
                "get": {"summary": "A volunteer", "responses": {"200": _json(_ref("Volunteer")), **ERRORS}},
                "patch": {
                    "summary": "Change a volunteer",
                    "requestBody": _body("VolunteerPatch"),
                    "responses": {"200": _json(_ref("Volunteer")), **ERRORS},
                },
            },
            "/shifts": {
                "get": {
                    "summary": "One-off shifts",
                    "parameters": [
                        _query("territory_id", {"type": "integer"}),
                        _query("volunteer_id", {"type": "integer"}),
                    ],
                    "responses": {"200": _json(list_of("Shift")), **ERRORS},
                },
                "post": {
                    "summary": "Add a one-off shift",
                    "requestBody": _body("ShiftIn"),
                    "responses": {"201": _json(_ref("Shift"), "Created"), **ERRORS},
                },
            },
            "/shifts/{shift_id}": {
                "parameters": [_path("shift_id", {"type": "integer"})],
                "delete": {"summary": "Remove a shift", "responses": {"204": {"description": "Removed"}, **ERRORS}},
            },
            "/requests": {
                "get": {
                    "summary": "The request log, newest first",
                    "parameters": [
                        _query("territory_id", {"type": "integer"}),
                        _query("motive", {"type": "string", "enum": list(lifecycle.MOTIVES)}),
                        _query("status", {"type": "string", "enum": list(lifecycle.STATUSES)}),
                        _query("outcome", {"type": "string", "enum": list(lifecycle.OUTCOMES)}),
                        _query("postcode", {"type": "string"}),
                        *period,
                        _query("cursor", {"type": "string"}, "next_cursor of the previous page"),
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items", "next_cursor"],
                                "properties": {
                                    "items": {"type": "array", "items": _ref("RequestSummary")},
                                    "next_cursor": NULLABLE_STR,
                                },
                            }
                        ),
                        **ERRORS,
                    },
                }
            },
            "/requests/{reference}": {
                "parameters": [_path("reference", {"type": "string"})],
                "get": {"summary": "A request", "responses": {"200": _json(_ref("RequestDetail")), **ERRORS}},
                "patch": {
                    "summary": "Set or correct the outcome",
                    "requestBody": _body("OutcomePatch"),
                    "responses": {
                        "200": _json(_ref("RequestDetail")),
                        "409": _json(_ref("Error"), "The call is still in progress"),
                        **ERRORS,
                    },
                },
            },
            "/audit": {
                "get": {
                    "summary": "Who read or changed which request, newest first (tokens for all territories only)",
                    "parameters": [
                        _query("territory_id", {"type": "integer"}),
                        *period,
                        _query("reference", {"type": "string"}, "one request's entries"),
                        _query("cursor", {"type": "string"}, "next_cursor of the previous page"),
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items", "next_cursor"],
                                "properties": {
                                    "items": {"type": "array", "items": _ref("AuditEntry")},
                                    "next_cursor": NULLABLE_STR,
                                },
                            }
                        ),
                        **ERRORS,
                    },
                }
            },
            "/requests/{reference}/callback": {
                "parameters": [_path("reference", {"type": "string"})],
                "post": {
                    "summary": "Call the patient back now: a volunteer on duty is phoned at once",
                    "description": "Starts a call-back round outside the territory's spacing. A request that was "
                    "abandoned or connected waits for a call-back again (an `abandoned` outcome is cleared). "
                    "`offered_to` is null when nobody is on duty: the clock process tries again at "
                    "`next_callback_at`.",
                    "responses": {
                        "202": _json(_ref("CallbackTriggered"), "Call-back started"),
                        "409": _json(_ref("Error"), "Call in progress, request closed, or number unknown"),
                        **ERRORS,
                    },
                },
            },
            "/stats": {
                "get": {
                    "summary": "Figures per motive over a period",
                    "description": MATCH_RATE_DEFINITION_EN + " " + FIGURES_EN,
                    "parameters": [_query("territory_id", {"type": "integer"}), *period],
                    "responses": {"200": _json(_ref("Stats")), **ERRORS},
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The API's description (no token needed)."""
    return jsonify(document())
