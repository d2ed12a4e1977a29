"""Volunteers: the list with calls offered and accepted, add, edit, pause and resume."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from orientation.core.labels import MOTIVES
from orientation.core.models import Territory
from orientation.core.runtime import db, now
from orientation.web.console import adapters, volunteer_forms
from orientation.web.console.rota_forms import FormErrors
from orientation.web.console.web import bp, territory_or_404
from volunteers.models import Volunteer
from volunteers.professions import PROFESSIONS
from volunteers.services import is_paused

COUNT_DAYS = 30


def _volunteer_or_404(territory: Territory, volunteer_id: int) -> Volunteer:
    found = db().get(Volunteer, volunteer_id)
    if found is None or found.territory_id != territory.id:
        abort(404)
    return found


def _form_page(
    territory: Territory, volunteer: Volunteer | None, errors: dict[str, str], status: int
) -> tuple[str, int]:
    values = request.form if request.method == "POST" else None
    return (
        render_template(
            "console/volunteer_form.html",
            territory=territory,
            section="volunteers",
            v=volunteer,
            values=values,
            errors=errors,
            professions=PROFESSIONS,
            motive_labels={k: t for k, t in MOTIVES.items() if k != "unknown"},
        ),
        status,
    )


@bp.get("/t/<int:territory_id>/benevoles")
def volunteers_list(territory_id: int) -> str:
    """Every volunteer of the territory, with the calls offered and accepted over the last 30 days."""
    territory = territory_or_404(territory_id)
    session = db()
    moment = now()
    volunteers = list(
        session.scalars(select(Volunteer).where(Volunteer.territory_id == territory.id).order_by(Volunteer.name))
    )
    counts = adapters.offered_and_accepted(session, territory.id, moment - timedelta(days=COUNT_DAYS), moment)
    return render_template(
        "console/volunteers.html",
        territory=territory,
        section="volunteers",
        volunteers=volunteers,
        counts=counts,
        paused={v.id: is_paused(v, moment) for v in volunteers},
        professions=PROFESSIONS,
        days=COUNT_DAYS,
    )


@bp.route("/t/<int:territory_id>/benevoles/nouveau", methods=["GET", "POST"])
def volunteer_new(territory_id: int) -> Response | tuple[str, int]:
    """Add a volunteer."""
    territory = territory_or_404(territory_id)
    if request.method == "GET":
        return _form_page(territory, None, {}, 200)
    session = db()
    try:
        created = volunteer_forms.create(session, territory, request.form, now())
    except FormErrors as exc:
        session.rollback()
        return _form_page(territory, None, exc.errors, 422)
    session.commit()
    flash(f"{created.name} est ajouté(e) aux bénévoles.", "success")
    return redirect(url_for("console.volunteers_list", territory_id=territory.id))  # type: ignore[return-value]


@bp.route("/t/<int:territory_id>/benevoles/<int:volunteer_id>", methods=["GET", "POST"])
def volunteer_edit(territory_id: int, volunteer_id: int) -> Response | tuple[str, int]:
    """Edit a volunteer."""
    territory = territory_or_404(territory_id)
    volunteer = _volunteer_or_404(territory, volunteer_id)
    if request.method == "GET":
        return _form_page(territory, volunteer, {}, 200)
    session = db()
    try:
        volunteer_forms.update(session, territory, volunteer, request.form)
    except FormErrors as exc:
        session.rollback()
        return _form_page(territory, volunteer, exc.errors, 422)
    session.commit()
    flash("Modifications enregistrées.", "success")
    return redirect(url_for("console.volunteers_list", territory_id=territory.id))  # type: ignore[return-value]


@bp.post("/t/<int:territory_id>/benevoles/<int:volunteer_id>/pause")
def volunteer_pause(territory_id: int, volunteer_id: int) -> Response:
    """Pause a volunteer (no calls until resumed, like the PAUSE SMS) or resume them (DISPO)."""
    territory = territory_or_404(territory_id)
    volunteer = _volunteer_or_404(territory, volunteer_id)
    pause = request.form.get("pause") == "1"
    volunteer.paused = pause
    volunteer.paused_until = None
    db().commit()
    flash(
        f"{volunteer.name} : " + ("en pause, ne reçoit plus d'appels." if pause else "reçoit à nouveau les appels."),
        "success",
    )
    return redirect(url_for("console.volunteers_list", territory_id=territory.id))  # type: ignore[return-value]
