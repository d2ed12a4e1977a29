"""API: the rota — occurrences, who is on duty, gaps, load and feeds (weekly patterns: patterns.py)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request
from sqlalchemy import select

from orientation.core.fields import at_midnight
from orientation.core.models import Territory
from orientation.core.runtime import db, now, runtime
from orientation.web.api import answers, bp, scope, unprocessable
from orientation.web.api.queries import GapsQuery, LoadQuery, OnDutyQuery, RotaQuery, TerritoryLoadQuery
from orientation.web.api.spec import operation, parse_query
from orientation.web.api.territories import get_territory
from orientation.web.api.volunteers import get_volunteer
from volunteers import rota as rota_mod
from volunteers.models import Volunteer
from volunteers.services import (
    coverage_gaps_by_motive,
    load_rota_between,
    on_duty_volunteers,
    territory_calendar,
    volunteer_loads,
)

MAX_ROTA_DAYS = 93
MAX_GAP_DAYS = 62
MAX_LOAD_DAYS = 366
LOAD_DEFINITION = (
    "offered: requests put to the volunteer (their phone rang: accepted, declined, no answer, or cancelled "
    "when the patient hung up); accepted: requests they took. Busy lines and carrier failures are not counted."
)


# --------------------------------------------------------------- JSON shapes (described by orientation.web.api.answers)


def _iso(value: datetime, tz: ZoneInfo) -> str:
    """An instant in the territory's wall clock with its offset (2026-12-01T09:00:00+01:00)."""
    return value.astimezone(tz).isoformat()


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def occurrence_json(
    o: rota_mod.Occurrence, names: dict[int, str], motives: dict[int, frozenset[str]], tz: ZoneInfo
) -> dict[str, Any]:
    """One concrete shift, in the territory's wall clock, with the motives it really covers."""
    return {
        "volunteer_id": o.volunteer_id,
        "volunteer_name": names.get(o.volunteer_id),
        "starts_at": _iso(o.starts_at, tz),
        "ends_at": _iso(o.ends_at, tz),
        "hours": _hours(o.starts_at, o.ends_at),
        "motives": sorted(rota_mod.effective_motives(o, motives)),
        "pattern_id": o.pattern_id,
        "shift_id": o.shift_id,
        "replaced_volunteer_id": o.replaced_volunteer_id,
    }


# ---------------------------------------------------------------- helpers


def _territory_of(territory_id: int | None) -> Territory:
    """The territory asked for, or the token's own when it is limited to one."""
    if territory_id is None:
        territory_id = scope()
    if territory_id is None:
        raise unprocessable({"territory_id": "required (this token may see every territory)"})
    return get_territory(territory_id)


def _period(
    names: tuple[str, str],
    bounds: tuple[datetime | None, datetime | None],
    default: tuple[datetime, timedelta],
    limit: int,
) -> tuple[datetime, datetime]:
    """A period from two optional bounds: the first defaults to default[0], the second to the first + default[1]."""
    begin = bounds[0] or default[0]
    end = bounds[1] or begin + default[1]
    if end <= begin:
        raise unprocessable({names[1]: f"must come after {names[0]}"})
    if end - begin > timedelta(days=limit):
        raise unprocessable({names[1]: f"a period of {limit} days at most"})
    return begin, end


def _bounds(
    first: date | datetime | None, second: date | datetime | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    return (
        None if first is None else at_midnight(first, tz),
        None if second is None else at_midnight(second, tz),
    )


# ---------------------------------------------------------------- the rota, expanded


def _volunteer_maps(territory_id: int) -> tuple[dict[int, str], dict[int, frozenset[str]]]:
    volunteers = db().scalars(select(Volunteer).where(Volunteer.territory_id == territory_id)).all()
    return {v.id: v.name for v in volunteers}, {v.id: frozenset(v.motives or ()) for v in volunteers}


@bp.get("/rota")
@operation(
    "Every occurrence of the shifts over a period (default: the next 7 days)",
    query=RotaQuery,
    answers={200: answers.Rota},
)
def expanded_rota() -> Response:
    """Every occurrence of the territory's shifts over a period (default: the next 7 days), on the territory's clock."""
    args = parse_query(RotaQuery, request)
    territory = _territory_of(args.territory_id)
    holidays, tz = territory_calendar(territory)
    today = datetime.combine(now().astimezone(tz).date(), time(), tzinfo=tz)
    start, end = _period(("from", "to"), _bounds(args.from_, args.to, tz), (today, timedelta(days=7)), MAX_ROTA_DAYS)
    rota = load_rota_between(db(), territory.id, start, end)
    occurrences = rota.occurrences(start, end, holidays, tz, volunteer_id=args.volunteer_id)
    names, motives = _volunteer_maps(territory.id)
    return jsonify(
        {
            "territory_id": territory.id,
            "timezone": str(tz),
            "from": _iso(start, tz),
            "to": _iso(end, tz),
            "items": [occurrence_json(o, names, motives, tz) for o in occurrences],
        }
    )


@bp.get("/rota/on-duty")
@operation(
    "Who is on duty at an instant (default now), for a motive or any",
    query=OnDutyQuery,
    answers={200: answers.OnDuty},
)
def on_duty() -> Response:
    """Who is on duty at an instant (default now), for a motive or any: the volunteers routing would consider."""
    args = parse_query(OnDutyQuery, request)
    territory = _territory_of(args.territory_id)
    _, tz = territory_calendar(territory)
    at = now() if args.at is None else at_midnight(args.at, tz)
    motive = args.motive
    volunteers = on_duty_volunteers(db(), territory, motive, at)
    return jsonify(
        {
            "territory_id": territory.id,
            "at": _iso(at, tz),
            "motive": motive,
            "items": [
                {"volunteer_id": v.id, "name": v.name, "paused": v.paused, "motives": list(v.motives or [])}
                for v in volunteers
            ],
        }
    )


@bp.get("/rota/gaps")
@operation(
    "Opening hours of the next days that no available volunteer covers, per motive",
    query=GapsQuery,
    answers={200: answers.Gaps},
)
def gaps() -> Response:
    """Per motive, the opening hours of the next `days` days (default 14) that no available volunteer covers."""
    args = parse_query(GapsQuery, request)
    territory = _territory_of(args.territory_id)
    _, tz = territory_calendar(territory)
    days = args.days
    start = now()
    end = start + timedelta(days=days)
    by_motive = coverage_gaps_by_motive(db(), territory, start, end, start)
    return jsonify(
        {
            "territory_id": territory.id,
            "timezone": str(tz),
            "from": _iso(start, tz),
            "to": _iso(end, tz),
            "days": days,
            "motives": {
                motive: [{"starts_at": _iso(a, tz), "ends_at": _iso(b, tz), "hours": _hours(a, b)} for a, b in found]
                for motive, found in by_motive.items()
            },
            "hours_uncovered": {
                motive: round(sum(_hours(a, b) for a, b in found), 2) for motive, found in by_motive.items()
            },
        }
    )


# ---------------------------------------------------------------- fairness


def _loads(territory: Territory, volunteer_id: int | None, args: LoadQuery) -> dict[str, Any]:
    _, tz = territory_calendar(territory)
    since, until = _bounds(args.since, args.until, tz)
    until = until or now()
    since = since or until - timedelta(days=30)
    if until <= since:
        raise unprocessable({"until": "must come after since"})
    if until - since > timedelta(days=MAX_LOAD_DAYS):
        raise unprocessable({"until": f"a period of {MAX_LOAD_DAYS} days at most"})
    # The whole territory, so that each share is of the territory's offered requests.
    rows = volunteer_loads(db(), territory.id, since, until)
    total_offered = sum(load.offered for _, load, _ in rows)
    items = []
    for volunteer, load, shift_hours in rows:
        if volunteer_id is not None and volunteer.id != volunteer_id:
            continue
        items.append(
            {
                "volunteer_id": volunteer.id,
                "name": volunteer.name,
                "offered": load.offered,
                "accepted": load.accepted,
                "acceptance_rate": None if load.acceptance_rate is None else round(load.acceptance_rate, 3),
                "share_of_offered": round(load.offered / total_offered, 3) if total_offered else None,
                "shift_hours": round(shift_hours, 2),
                "offered_per_shift_hour": round(load.offered / shift_hours, 3) if shift_hours else None,
            }
        )
    return {
        "territory_id": territory.id,
        "since": _iso(since, tz),
        "until": _iso(until, tz),
        "definition": LOAD_DEFINITION,
        "items": items,
    }


@bp.get("/rota/load")
@operation(
    "Fairness: offered and accepted requests per volunteer (default: the last 30 days)",
    description=LOAD_DEFINITION,
    query=TerritoryLoadQuery,
    answers={200: answers.Load},
)
def loads() -> Response:
    """Fairness: offered and accepted requests per volunteer of a territory over a period (default 30 days)."""
    args = parse_query(TerritoryLoadQuery, request)
    return jsonify(_loads(_territory_of(args.territory_id), None, args))


@bp.get("/volunteers/<int:volunteer_id>/load")
@operation(
    "Fairness of one volunteer over a period (default: the last 30 days)",
    description=LOAD_DEFINITION,
    query=LoadQuery,
    answers={200: answers.VolunteerLoad},
)
def volunteer_load(volunteer_id: int) -> Response:
    """Fairness of one volunteer: offered and accepted requests over a period (default the last 30 days)."""
    volunteer = get_volunteer(volunteer_id)
    body = _loads(get_territory(volunteer.territory_id), volunteer.id, parse_query(LoadQuery, request))
    item = body.pop("items")[0]
    return jsonify({**body, **item})


# ---------------------------------------------------------------- the volunteer's calendar feed


def _feed(volunteer: Volunteer) -> dict[str, Any]:
    base = runtime().config.public_base_url.rstrip("/")
    return {"volunteer_id": volunteer.id, "url": f"{base}/ical/{volunteer.ical_secret}.ics"}


@bp.get("/volunteers/<int:volunteer_id>/ical")
@operation("The address of the volunteer's private iCalendar feed", answers={200: answers.Feed})
def volunteer_feed(volunteer_id: int) -> Response:
    """The address of the volunteer's private iCalendar feed, to give them (it is their only key)."""
    return jsonify(_feed(get_volunteer(volunteer_id)))


@bp.post("/volunteers/<int:volunteer_id>/ical")
@operation("A new feed address (the old one stops working)", answers={200: answers.Feed})
def rotate_volunteer_feed(volunteer_id: int) -> Response:
    """A new feed address for the volunteer (the old one answers 404 from now on), e.g. after a leak."""
    volunteer = get_volunteer(volunteer_id)
    volunteer.ical_secret = secrets.token_urlsafe(24)
    db().commit()
    return jsonify(_feed(volunteer))
