"""The rota: a week per motive with its gaps, and the forms to add a shift, a weekly pattern, a replacement."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from orientation import lifecycle
from orientation.calendar import french_public_holidays
from orientation.console import adapters, rota_forms
from orientation.console.periods import parse_day
from orientation.console.rota_grid import week_grid
from orientation.console.web import MOTIVES, WEEKDAYS, bp, page_tz, territory_or_404
from orientation.models import Territory
from orientation.runtime import db, now
from volunteers.models import ShiftPattern, Volunteer


def _monday(territory: Territory) -> date:
    tz = ZoneInfo(territory.timezone)
    day = parse_day(request.values.get("semaine")) or now().astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def _page(territory: Territory, errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> tuple[str, int]:
    tz = ZoneInfo(territory.timezone)
    monday = _monday(territory)
    asked = request.values.get("motif", "")
    motive = asked if asked in lifecycle.MOTIVES else lifecycle.MOTIVES[0]
    start = datetime.combine(monday, time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    session = db()
    rota = adapters.week_rota(session, territory, start, end)
    occurrences = rota.occurrences(start, end, french_public_holidays(territory.holiday_subdivision), tz)
    motives_map = adapters.volunteer_motives(session, territory.id)
    volunteers = list(
        session.scalars(select(Volunteer).where(Volunteer.territory_id == territory.id).order_by(Volunteer.name))
    )
    names = {v.id: v.name for v in volunteers}
    gaps = adapters.coverage_gaps(session, territory, motive, start, end, now())
    grid = week_grid(
        monday, tz, motive, occurrences, adapters.opening_intervals(territory, start, end), gaps, motives_map, names
    )
    patterns = list(
        session.scalars(
            select(ShiftPattern).join(Volunteer).where(Volunteer.territory_id == territory.id).order_by(ShiftPattern.id)
        )
    )
    return (
        render_template(
            "console/rota.html",
            territory=territory,
            section="rota",
            monday=monday,
            days=[monday + timedelta(days=i) for i in range(7)],
            motive=motive,
            grid=grid,
            gaps=[(a.astimezone(tz), b.astimezone(tz)) for a, b in gaps],
            volunteers=volunteers,
            patterns=patterns,
            names=names,
            weekdays=WEEKDAYS,
            motive_labels={k: v for k, v in MOTIVES.items() if k != "unknown"},
            errors=errors or {},
            form=request.form,
            previous=monday - timedelta(days=7),
            following=monday + timedelta(days=7),
        ),
        status,
    )


@bp.get("/t/<int:territory_id>/rota")
def rota_week(territory_id: int) -> tuple[str, int]:
    """The week of one motive: who covers each hour, and the hours nobody covers while the line is open."""
    return _page(territory_or_404(territory_id))


def _save(territory_id: int, form_name: str, action: Any, message: str, week_of: Any) -> Response | tuple[str, int]:
    territory = territory_or_404(territory_id)
    session = db()
    try:
        created = action(session, territory)
    except rota_forms.FormErrors as exc:
        session.rollback()
        flash("Le formulaire contient des erreurs : voir ci-dessous.", "error")
        return _page(territory, {form_name: exc.errors}, 422)
    session.commit()
    flash(message, "success")
    day = week_of(created)
    return redirect(  # type: ignore[return-value]
        url_for(
            "console.rota_week", territory_id=territory.id, semaine=day.isoformat(), motif=request.form.get("motif")
        )
    )


@bp.post("/t/<int:territory_id>/rota/permanence")
def rota_add_shift(territory_id: int) -> Response | tuple[str, int]:
    """Add a one-off shift."""
    return _save(
        territory_id,
        "shift",
        lambda session, t: rota_forms.add_shift(session, t.id, request.form, now(), ZoneInfo(t.timezone)),
        "Permanence ajoutée.",
        lambda shift: shift.starts_at.astimezone(page_tz()).date(),
    )


@bp.post("/t/<int:territory_id>/rota/modele")
def rota_add_pattern(territory_id: int) -> Response | tuple[str, int]:
    """Add a weekly recurring shift."""
    return _save(
        territory_id,
        "pattern",
        lambda session, t: rota_forms.add_pattern(session, t.id, request.form, now()),
        "Permanence régulière ajoutée.",
        lambda pattern: max(pattern.valid_from, now().astimezone(page_tz()).date()),
    )


@bp.post("/t/<int:territory_id>/rota/remplacement")
def rota_add_replacement(territory_id: int) -> Response | tuple[str, int]:
    """Replace (or cancel) one occurrence of a weekly shift."""
    return _save(
        territory_id,
        "replacement",
        lambda session, t: rota_forms.add_replacement(session, t.id, request.form, now()),
        "Remplacement enregistré.",
        lambda exception: exception.on_date,
    )
