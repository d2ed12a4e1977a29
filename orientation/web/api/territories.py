"""API: territories."""

from __future__ import annotations

from flask import Response, g, jsonify
from sqlalchemy import select

from orientation.core.models import Territory
from orientation.core.runtime import db, now
from orientation.services.territories import (
    NumberTaken,
    PrefixTaken,
    create_territory,
    record_settings_change,
    update_territory,
)
from orientation.web.api import ApiError, answers, bp, json_body, not_found, scope, unprocessable, valid_id, visible
from orientation.web.api import serialize as out
from orientation.web.api.schemas import TerritoryIn, TerritoryPatch, parse
from orientation.web.api.spec import ValidationErrors, operation

# Reference prefixes are unique across the instance (any case): another territory's is refused.
PREFIX_TAKEN = (ValidationErrors, "reference_prefix already used by another territory")


def prefix_conflict(exc: PrefixTaken) -> ApiError:
    """409: the prefix numbers another territory's requests (two lines cannot share references)."""
    return ApiError(409, {"errors": {"reference_prefix": f"already used by another territory: {exc}"}})


def get_territory(territory_id: int) -> Territory:
    """The territory, or 404 when unknown or outside the token's scope."""
    territory = db().get(Territory, territory_id) if valid_id(territory_id) else None
    if territory is None or not visible(territory.id):
        raise not_found("territory not found")
    return territory


@bp.post("/territories")
@operation("Create a territory", body=TerritoryIn, answers={201: answers.Territory, 409: PREFIX_TAKEN})
def create() -> tuple[Response, int]:
    """Create a territory (administrator tokens only)."""
    data = parse(TerritoryIn, json_body())
    if scope() is not None:
        raise not_found("territory tokens cannot create territories")
    session = db()
    try:
        territory = create_territory(session, data.model_dump(), now())
    except NumberTaken as exc:
        raise unprocessable({"phone_numbers": f"already used by another line: {exc}"}) from exc
    except PrefixTaken as exc:
        raise prefix_conflict(exc) from exc
    session.commit()
    return jsonify(out.territory(territory)), 201


@bp.get("/territories")
@operation("Territories", answers={200: answers.Territories})
def index() -> Response:
    """The territories the token may see."""
    query = select(Territory).order_by(Territory.id)
    if scope() is not None:
        query = query.where(Territory.id == scope())
    return jsonify({"items": [out.territory(t) for t in db().scalars(query)]})


@bp.get("/territories/<int:territory_id>")
@operation("A territory", answers={200: answers.Territory})
def show(territory_id: int) -> Response:
    """One territory."""
    return jsonify(out.territory(get_territory(territory_id)))


@bp.patch("/territories/<int:territory_id>")
@operation("Change a territory", body=TerritoryPatch, answers={200: answers.Territory, 409: PREFIX_TAKEN})
def patch(territory_id: int) -> Response:
    """Change some settings of a territory."""
    territory = get_territory(territory_id)
    body = json_body()
    data = parse(TerritoryPatch, body)
    changes = {k: v for k, v in data.model_dump().items() if k in body}
    if "name" in changes and not changes["name"]:
        raise unprocessable({"name": "cannot be empty"})
    if data.crisis is not None:
        changes["crisis"] = data.crisis.model_dump(exclude_unset=True)  # only the crisis settings given change
    # The patch model makes every field optional; these have no "unset" value in a territory.
    for key in ("phone_numbers", "reference_prefix", "queue_wait_limit_seconds", "crisis", "callback_after_hang_up"):
        if key in changes and changes[key] is None:
            raise unprocessable({key: "cannot be null"})
    session = db()
    try:
        update_territory(session, territory, changes)
    except NumberTaken as exc:
        raise unprocessable({"phone_numbers": f"already used by another line: {exc}"}) from exc
    except PrefixTaken as exc:
        raise prefix_conflict(exc) from exc
    record_settings_change(session, territory, changes, f"token:{g.api_token.name}", "api", now())
    session.commit()
    return jsonify(out.territory(territory))
