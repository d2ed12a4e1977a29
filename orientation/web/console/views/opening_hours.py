"""The opening-hours editor on the settings page: days × time ranges and holidays, previewed, saved as OSM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, flash, g, redirect, request, url_for

from orientation.core.calendar import french_public_holidays
from orientation.core.models import Territory
from orientation.core.opening_hours import OpeningHoursError, parse_opening_hours
from orientation.core.runtime import db, now
from orientation.services.territories import update_territory
from orientation.web.console import hours_forms
from orientation.web.console.views.settings import settings as settings_page
from orientation.web.console.web import bp, page_tz, territory_or_404


@dataclass(frozen=True)
class EditorState:
    """What the editor section shows: field values, errors, the OSM value previewed and its 14 days."""

    values: dict[str, str]
    errors: dict[str, str]
    osm: str | None
    exact: bool
    days: list[hours_forms.PreviewDay]

    @property
    def weekday_names(self) -> tuple[str, ...]:
        """The rows' day names, Monday first: the same words as the editor's messages."""
        return hours_forms.WEEKDAY_NAMES


def _preview(territory: Territory, osm: str | None) -> list[hours_forms.PreviewDay]:
    if osm is None:
        return []
    try:
        hours = parse_opening_hours(osm)
    except OpeningHoursError:
        return []
    tz = page_tz()
    holidays = french_public_holidays(territory.holiday_subdivision)
    return hours_forms.preview(hours, now().astimezone(tz).date(), holidays, tz)


@bp.app_template_global()
def hours_editor(territory: Territory) -> EditorState:
    """The editor's state: what was just posted, else the territory's current hours."""
    posted = g.get("hours_editor")
    if isinstance(posted, EditorState):
        return posted
    week = hours_forms.from_osm(territory.opening_hours)
    values = hours_forms.form_values(week) if week is not None else {"ph_mode": "normal"}
    current = territory.opening_hours
    return EditorState(values, {}, current, week is not None, _preview(territory, current))


@bp.post("/t/<int:territory_id>/parametres/horaires")
def settings_hours(territory_id: int) -> Response | tuple[str, int]:
    """Preview or save the opening hours typed in the editor."""
    territory = territory_or_404(territory_id)
    typed: dict[str, Any] = {key: value for key, value in request.form.items() if key != "csrf_token"}
    try:
        week = hours_forms.parse_week(request.form)
    except hours_forms.HoursFormErrors as exc:
        g.hours_editor = EditorState(typed, exc.errors, None, True, [])
        page, _ = settings_page(territory_id)
        return page, 422
    osm = hours_forms.to_osm(week)
    if request.form.get("action") != "save":
        g.hours_editor = EditorState(typed, {}, osm, True, _preview(territory, osm))
        return settings_page(territory_id)
    update_territory(db(), territory, {"opening_hours": osm})
    db().commit()
    flash(f"Heures d'ouverture enregistrées : {osm}", "success")
    return redirect(url_for("console.settings", territory_id=territory.id, _anchor="horaires"))  # type: ignore[return-value]
