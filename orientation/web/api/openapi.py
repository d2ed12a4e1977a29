"""GET /api/v1/openapi.json: the document generated from the routes and their models (orientation.web.api.spec)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from orientation.core.stats import MATCH_RATE_DEFINITION_EN
from orientation.web.api import bp, spec
from orientation.web.edge import API_MESSAGE

DESCRIPTION = (
    "The patient line of a CPTS. Bearer tokens from `orientation token create NAME`. Every 422 names each bad "
    'field: `{"errors": {field: message}}`. Some rules go beyond what the schemas can say and are answered '
    f"422 too: text never holds control characters ({API_MESSAGE}); phone numbers must be real numbers of "
    "their country; ids in a body must name a row the token may see; a period's end comes after its start. "
    "Dates and instants lie between 2000 and 2100. " + MATCH_RATE_DEFINITION_EN
)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The API's description (no token needed)."""
    return jsonify(spec.document(current_app, title="Orientation API", description=DESCRIPTION))
