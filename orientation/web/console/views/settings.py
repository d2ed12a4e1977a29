"""Territory settings: line numbers, postcodes, opening hours, and the line's wording with a preview."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from orientation.core import prompts
from orientation.core.models import Territory
from orientation.core.runtime import db, now
from orientation.services.territories import record_settings_change, update_territory
from orientation.web.api.schemas import (
    ANNOUNCEMENT_MAX,
    CRISIS_OFFERS_MAX,
    CRISIS_OFFERS_MIN,
    WAIT_LIMIT_MAX,
    WAIT_LIMIT_MIN,
)
from orientation.web.console import settings_forms as forms
from orientation.web.console.rota_forms import FormErrors
from orientation.web.console.web import actor, bp, territory_or_404, user


def _page(territory: Territory, wording: dict[str, str], errors: dict[str, str], status: int) -> tuple[str, int]:
    return (
        render_template(
            "console/settings.html",
            territory=territory,
            section="settings",
            wording=wording,
            preview=forms.preview(territory, {k: v for k, v in wording.items() if f"prompt_{k}" not in errors}),
            defaults=prompts.PROMPTS,
            editable=forms.EDITABLE_PROMPTS,
            placeholders={key: sorted(prompts.placeholders(key)) for key in forms.EDITABLE_PROMPTS},
            errors=errors,
            # Only the line's own form refills the line's fields; another form's post must not blank them.
            values=request.form if request.endpoint == "console.settings_line" else None,
            crisis_values=request.form if request.endpoint == "console.settings_crisis" else None,
            crisis_bounds={
                "offers": (CRISIS_OFFERS_MIN, CRISIS_OFFERS_MAX),
                "limit": (WAIT_LIMIT_MIN, WAIT_LIMIT_MAX),
                "announcement": ANNOUNCEMENT_MAX,
            },
            crisis_example=prompts.PROMPTS["crisis_announcement_example"],
            may_edit_numbers=user().is_admin,
        ),
        status,
    )


@bp.get("/t/<int:territory_id>/parametres")
def settings(territory_id: int) -> tuple[str, int]:
    """The territory's settings page."""
    territory = territory_or_404(territory_id)
    return _page(territory, forms.overrides(territory), {}, 200)


@bp.post("/t/<int:territory_id>/parametres/ligne")
def settings_line(territory_id: int) -> Response | tuple[str, int]:
    """Save numbers, postcodes and opening hours."""
    territory = territory_or_404(territory_id)
    session = db()
    try:
        forms.save_line(session, territory, forms.parse_line(request.form, territory, user().is_admin))
    except FormErrors as exc:
        session.rollback()
        return _page(territory, forms.overrides(territory), exc.errors, 422)
    session.commit()
    flash("Paramètres de la ligne enregistrés.", "success")
    return redirect(url_for("console.settings", territory_id=territory.id))  # type: ignore[return-value]


@bp.post("/t/<int:territory_id>/parametres/messages")
def settings_prompts(territory_id: int) -> Response | tuple[str, int]:
    """Preview or save the line's wording."""
    territory = territory_or_404(territory_id)
    try:
        wording = forms.parse_wording(request.form)
    except FormErrors as exc:
        typed = {k: request.form.get(f"prompt_{k}", "") for k in forms.EDITABLE_PROMPTS}
        return _page(territory, {k: v for k, v in typed.items() if v}, exc.errors, 422)
    if request.form.get("action") == "preview":
        return _page(territory, wording, {}, 200)
    forms.save_wording(territory, wording)
    db().commit()
    flash("Messages de la ligne enregistrés.", "success")
    return redirect(url_for("console.settings", territory_id=territory.id, _anchor="messages"))  # type: ignore[return-value]


@bp.post("/t/<int:territory_id>/parametres/crise")
def settings_crisis(territory_id: int) -> Response | tuple[str, int]:
    """Save crisis mode, its offers and announcement, and the waiting line's limit."""
    territory = territory_or_404(territory_id)
    try:
        data = forms.parse_crisis(request.form)
    except FormErrors as exc:
        return _page(territory, forms.overrides(territory), exc.errors, 422)
    session = db()
    update_territory(session, territory, data)
    record_settings_change(session, territory, data, actor(), "console", now())
    session.commit()
    state = "activé" if territory.crisis_enabled else "désactivé"
    flash(f"Mode crise {state} ; réglages de la file d'attente enregistrés.", "success")
    return redirect(url_for("console.settings", territory_id=territory.id, _anchor="crise"))  # type: ignore[return-value]
