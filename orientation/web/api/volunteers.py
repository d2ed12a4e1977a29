"""API: volunteers and their one-off shifts."""

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import select

from directory.services import entry_in_territory
from orientation.core.models import Territory
from orientation.core.phones import InvalidPhone, to_e164
from orientation.core.runtime import db, now
from orientation.web.api import answers, bp, json_body, not_found, scope, unprocessable, valid_id, visible
from orientation.web.api import serialize as out
from orientation.web.api.queries import ShiftQuery, TerritoryQuery
from orientation.web.api.schemas import ShiftIn, VolunteerIn, VolunteerPatch, parse
from orientation.web.api.spec import operation, parse_query
from orientation.web.api.territories import get_territory
from volunteers.models import Shift, Volunteer
from volunteers.services import create_volunteer, phone_in_use


def get_volunteer(volunteer_id: int) -> Volunteer:
    """The volunteer, or 404 when unknown or outside the token's scope."""
    volunteer = db().get(Volunteer, volunteer_id) if valid_id(volunteer_id) else None
    if volunteer is None or not visible(volunteer.territory_id):
        raise not_found("volunteer not found")
    return volunteer


def _phone(raw: str, region: str) -> str:
    try:
        return to_e164(raw, region)
    except InvalidPhone as exc:
        raise unprocessable({"phone": f"not a valid phone number: {raw!r}"}) from exc


def _check_directory_entry(entry_id: int | None, territory_id: int) -> None:
    """A volunteer links to an entry of their own territory's directory (or to none)."""
    if entry_id is not None and not entry_in_territory(db(), entry_id, territory_id):
        raise unprocessable({"directory_entry_id": "unknown directory entry"})


@bp.post("/volunteers")
@operation("Add a volunteer", body=VolunteerIn, answers={201: answers.Volunteer})
def create_volunteer_view() -> tuple[Response, int]:
    """Add a volunteer to a territory; the phone may be in any French format."""
    data = parse(VolunteerIn, json_body())
    session = db()
    territory = session.get(Territory, data.territory_id)
    if territory is None or not visible(territory.id):
        raise unprocessable({"territory_id": "unknown territory"})
    _check_directory_entry(data.directory_entry_id, territory.id)
    values = data.model_dump()
    values["phone"] = _phone(data.phone, territory.region)
    if phone_in_use(session, territory.id, values["phone"]):
        raise unprocessable({"phone": "another volunteer of this territory has this number"})
    volunteer = create_volunteer(session, territory, values, now())
    session.commit()
    return jsonify(out.volunteer(volunteer)), 201


@bp.get("/volunteers")
@operation("Volunteers", query=TerritoryQuery, answers={200: answers.Volunteers})
def list_volunteers() -> Response:
    """Volunteers, optionally of one territory."""
    query = select(Volunteer).order_by(Volunteer.id)
    territory_id = parse_query(TerritoryQuery, request).territory_id
    if territory_id is not None:
        query = query.where(Volunteer.territory_id == territory_id)
    if scope() is not None:
        query = query.where(Volunteer.territory_id == scope())
    return jsonify({"items": [out.volunteer(v) for v in db().scalars(query)]})


@bp.get("/volunteers/<int:volunteer_id>")
@operation("A volunteer", answers={200: answers.Volunteer})
def show_volunteer(volunteer_id: int) -> Response:
    """One volunteer."""
    return jsonify(out.volunteer(get_volunteer(volunteer_id)))


@bp.patch("/volunteers/<int:volunteer_id>")
@operation("Change a volunteer", body=VolunteerPatch, answers={200: answers.Volunteer})
def patch_volunteer(volunteer_id: int) -> Response:
    """Change a volunteer: name, phone, motives, languages, active, paused…"""
    volunteer = get_volunteer(volunteer_id)
    body = json_body()
    data = parse(VolunteerPatch, body)
    session = db()
    changes = {k: v for k, v in data.model_dump().items() if k in body}
    if "phone" in changes:
        if changes["phone"] is None:
            raise unprocessable({"phone": "cannot be empty"})
        changes["phone"] = _phone(changes["phone"], get_territory(volunteer.territory_id).region)
        if phone_in_use(session, volunteer.territory_id, changes["phone"], volunteer.id):
            raise unprocessable({"phone": "another volunteer of this territory has this number"})
    for key in ("name", "profession", "motives", "languages", "active", "paused"):
        if key in changes and changes[key] is None:
            raise unprocessable({key: "cannot be null"})
    _check_directory_entry(changes.get("directory_entry_id"), volunteer.territory_id)
    for key, value in changes.items():
        setattr(volunteer, key, value)
    if changes.get("paused") is False:
        volunteer.paused_until = None
    session.commit()
    return jsonify(out.volunteer(volunteer))


@bp.post("/shifts")
@operation("Add a one-off shift", body=ShiftIn, answers={201: answers.Shift})
def create_shift() -> tuple[Response, int]:
    """Add a one-off shift (ISO 8601 instants with offset)."""
    data = parse(ShiftIn, json_body())
    session = db()
    volunteer = session.get(Volunteer, data.volunteer_id)
    if volunteer is None or not visible(volunteer.territory_id):
        raise unprocessable({"volunteer_id": "unknown volunteer"})
    shift = Shift(
        volunteer_id=volunteer.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        motives=list(data.motives),
        created_at=now(),
    )
    session.add(shift)
    session.commit()
    return jsonify(out.shift(shift)), 201


@bp.get("/shifts")
@operation("One-off shifts", query=ShiftQuery, answers={200: answers.Shifts})
def list_shifts() -> Response:
    """One-off shifts, by territory or volunteer."""
    args = parse_query(ShiftQuery, request)
    query = select(Shift).join(Volunteer).order_by(Shift.starts_at, Shift.id)
    for value, column in ((args.territory_id, Volunteer.territory_id), (args.volunteer_id, Shift.volunteer_id)):
        if value is not None:
            query = query.where(column == value)
    if scope() is not None:
        query = query.where(Volunteer.territory_id == scope())
    return jsonify({"items": [out.shift(s) for s in db().scalars(query.limit(1000))]})


@bp.delete("/shifts/<int:shift_id>")
@operation("Remove a shift", answers={204: None})
def delete_shift(shift_id: int) -> tuple[str, int]:
    """Remove a one-off shift."""
    session = db()
    shift = session.get(Shift, shift_id) if valid_id(shift_id) else None
    if shift is None or not visible(shift.volunteer.territory_id):
        raise not_found("shift not found")
    session.delete(shift)
    session.commit()
    return "", 204
