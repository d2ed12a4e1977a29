"""The JSON API v1: bearer tokens, 422 with field errors, 404 for other territories' data, never a 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from orientation.core.fields import MAX_ID
from orientation.core.runtime import db
from orientation.services.tokens import find_token
from orientation.web.api.schemas import field_errors
from orientation.web.edge import API_MESSAGE, json_field

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    """An error answered as JSON with a status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def not_found(what: str = "not found") -> ApiError:
    """404, also for another territory's data (its existence is not revealed)."""
    return ApiError(404, {"error": what})


def unprocessable(errors: dict[str, str]) -> ApiError:
    """422 naming each bad field."""
    return ApiError(422, {"errors": errors})


@bp.before_request
def authenticate() -> Response | None:
    """Every API call but the OpenAPI document needs a valid bearer token."""
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = find_token(db(), value.strip()) if scheme.lower() == "bearer" and value.strip() else None
    if token is None:
        response = jsonify({"error": "a valid bearer token is required"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="orientation"'
        return response
    g.api_token = token
    return None


def scope() -> int | None:
    """The territory the token is limited to (None: all territories)."""
    return g.api_token.territory_id


def visible(territory_id: int) -> bool:
    """True when the token may see that territory's data."""
    limit = scope()
    return limit is None or limit == territory_id


def valid_id(value: int) -> bool:
    """True when the number can be a row id (larger ones would overflow the 32-bit columns: a 500, not a 404)."""
    return 1 <= value <= MAX_ID


def json_body() -> Any:
    """The request's JSON body, or a 422 when it is not JSON."""
    try:
        body = request.get_json(silent=True)
        # Checked at the edge already (orientation.web.edge); kept here for the API's own tests and callers.
        refused = json_field(body)
    except RecursionError:  # nested hundreds deep: no client of this API sends that
        raise unprocessable({"body": "the JSON is nested too deeply"}) from None
    if body is None:
        raise unprocessable({"body": "a JSON object is expected (Content-Type: application/json)"})
    if refused is not None:
        raise unprocessable({refused: API_MESSAGE})
    return body


@bp.after_request
def _no_store(response: Response) -> Response:
    # API answers hold callers' requests and timelines: no browser, proxy or client cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> tuple[Response, int]:
    return jsonify(error.body), error.status


@bp.errorhandler(ValidationError)
def _validation_error(error: ValidationError) -> tuple[Response, int]:
    return jsonify({"errors": field_errors(error)}), 422


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[Response, int]:
    return jsonify({"error": error.description}), error.code or 500


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[Response, int]:
    log.exception("API error")
    db().rollback()
    return jsonify({"error": "internal error"}), 500


def register(app: Flask) -> None:
    """Attach the API's routes."""
    from orientation.web.api import (  # noqa: F401
        audit,
        callbacks,
        directory,
        openapi,
        patterns,
        requests,
        rota,
        territories,
        volunteers,
    )

    app.register_blueprint(bp)

    def _json_for_api(error: HTTPException) -> Response | HTTPException:
        # URLs that match no API route never reach the blueprint's handlers: answer them in JSON too.
        if request.path.startswith(bp.url_prefix or "/api/"):
            response = jsonify({"error": error.description})
            response.status_code = error.code or 500
            response.headers["Cache-Control"] = "no-store"
            # A 405 lists the methods the URL takes (RFC 9110 §15.5.6): werkzeug's own headers carry it.
            for name, value in error.get_headers():
                if name.lower() == "allow":
                    response.headers["Allow"] = value
            return response
        return error

    app.register_error_handler(404, _json_for_api)
    app.register_error_handler(405, _json_for_api)
