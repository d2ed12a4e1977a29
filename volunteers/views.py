"""The volunteers' private iCalendar feeds: ``GET /ical/<secret>.ics``, the secret being the only key."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, Response, abort
from sqlalchemy import select

from orientation.core.models import Territory
from orientation.core.runtime import db, now
from volunteers.ical import shifts_calendar
from volunteers.models import Volunteer
from volunteers.services import territory_calendar, volunteer_occurrences

bp = Blueprint("ical", __name__)

# The window a calendar app sees: recent shifts stay visible, the next six months are there to plan.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)


@bp.get("/ical/<secret>.ics")
def feed(secret: str) -> Response:
    """The volunteer's shifts from 30 days ago to 180 days ahead; 404 for an unknown secret or a deactivated one."""
    session = db()
    # Secrets are 32 URL-safe characters; anything much longer is not one (and needs no database trip).
    volunteer = session.scalar(select(Volunteer).where(Volunteer.ical_secret == secret)) if len(secret) <= 64 else None
    if volunteer is None or not volunteer.active:
        # A deactivated volunteer's feed stops: their calendar app must not keep showing the rota.
        abort(404)
    territory = session.get(Territory, volunteer.territory_id)
    if territory is None:
        abort(404)
    at = now()
    _, tz = territory_calendar(territory)
    occurrences = volunteer_occurrences(session, volunteer, territory, at - FEED_PAST, at + FEED_AHEAD)
    body = shifts_calendar(volunteer.name, occurrences, territory.name, at, tz)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="permanences.ics"'
    # Private to the volunteer; calendar apps poll, a quarter of an hour of staleness is fine.
    response.headers["Cache-Control"] = "private, max-age=900"
    return response


def register(app: Flask) -> None:
    """Attach the iCalendar feeds to the app."""
    app.register_blueprint(bp)
