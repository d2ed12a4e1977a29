"""The planning ("rota" in code): a week per motive, its gaps, shifts and patterns, and the forms to correct them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from orientation.core import lifecycle
from orientation.core.calendar import french_public_holidays
from orientation.core.french_dates import WEEKDAYS
from orientation.core.labels import MOTIVES
from orientation.core.models import Territory
from orientation.core.runtime import db, now
from orientation.web.console import adapters, rota_forms
from orientation.web.console.periods import parse_day
from orientation.web.console.rota_grid import week_grid
from orientation.web.console.web import bp, page_tz, territory_or_404
from volunteers.models import ShiftPattern, Volunteer


def _monday(territory: Territory) -> date:
    tz = ZoneInfo(territory.timezone)
    day = parse_day(request.values.get("semaine")) or now().astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def _day_shown(monday: date, tz: ZoneInfo) -> date:
    """The day a phone shows (`?jour=`): today when it is in the week, else the Monday."""
    asked = parse_day(request.values.get("jour"))
    if asked is not None and monday <= asked < monday + timedelta(days=7):
        return asked
    today = now().astimezone(tz).date()
    return today if monday <= today < monday + timedelta(days=7) else monday


def _page(
    territory: Territory,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
    failed: str = "",
) -> tuple[str, int]:
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
    day = _day_shown(monday, tz)
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
            failed=failed,
            today=now().astimezone(tz).date(),
            day=day,
            day_rows=[(hour, row[(day - monday).days]) for hour, row in enumerate(grid)],
            week_shifts=rota_forms.week_shifts(session, territory.id, start, end),
            week_patterns=rota_forms.week_patterns(session, territory.id, monday, monday + timedelta(days=6)),
            tz=tz,
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
        return _page(territory, {form_name: exc.errors}, 422, form_name)
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
        lambda session, t: rota_forms.add_pattern(session, t.id, request.form, now(), ZoneInfo(t.timezone)),
        "Permanence régulière ajoutée.",
        lambda pattern: max(pattern.valid_from, now().astimezone(page_tz()).date()),
    )


@bp.post("/t/<int:territory_id>/rota/remplacement")
def rota_add_replacement(territory_id: int) -> Response | tuple[str, int]:
    """Replace (or cancel) one occurrence of a weekly shift."""
    return _save(
        territory_id,
        "replacement",
        lambda session, t: rota_forms.add_replacement(session, t.id, request.form, now(), ZoneInfo(t.timezone)),
        "Remplacement enregistré.",
        lambda exception: exception.on_date,
    )


def _shift_or_404(territory: Territory, shift_id: int) -> Any:
    shift = rota_forms.territory_shift(db(), territory.id, shift_id)
    if shift is None:
        abort(404)
    return shift


@bp.post("/t/<int:territory_id>/rota/permanence/<int:shift_id>")
def rota_edit_shift(territory_id: int, shift_id: int) -> Response | tuple[str, int]:
    """Correct a one-off shift (volunteer, day, times, motives)."""
    shift = _shift_or_404(territory_or_404(territory_id), shift_id)
    return _save(
        territory_id,
        f"shift-{shift_id}",
        lambda session, t: rota_forms.edit_shift(session, shift, request.form, now(), ZoneInfo(t.timezone)),
        "Permanence modifiée.",
        lambda edited: edited.starts_at.astimezone(page_tz()).date(),
    )


@bp.post("/t/<int:territory_id>/rota/permanence/<int:shift_id>/suppression")
def rota_delete_shift(territory_id: int, shift_id: int) -> Response | tuple[str, int]:
    """Delete a one-off shift."""
    shift = _shift_or_404(territory_or_404(territory_id), shift_id)
    day = shift.starts_at.astimezone(page_tz()).date()
    return _save(
        territory_id,
        f"delete-{shift_id}",
        lambda session, t: rota_forms.delete_shift(session, shift),
        "Permanence supprimée.",
        lambda _deleted: parse_day(request.form.get("semaine")) or day,
    )


@bp.post("/t/<int:territory_id>/rota/modele/<int:pattern_id>/fin")
def rota_end_pattern(territory_id: int, pattern_id: int) -> Response | tuple[str, int]:
    """End a weekly pattern from a date (its last day)."""
    territory = territory_or_404(territory_id)
    pattern = rota_forms.territory_pattern(db(), territory.id, pattern_id)
    if pattern is None:
        abort(404)
    return _save(
        territory_id,
        f"end-{pattern_id}",
        lambda session, t: rota_forms.end_pattern(session, pattern, request.form, now(), ZoneInfo(t.timezone)),
        "Permanence régulière terminée.",
        lambda ended: parse_day(request.form.get("semaine")) or ended.valid_until,
    )
