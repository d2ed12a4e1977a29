"""The directory: search, an entry's page, the CPTS fields, an entry added by hand."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for

from directory.categories import CATEGORY_LABELS_FR
from directory.models import DirectoryEntry
from orientation.core.models import Territory
from orientation.core.runtime import db, now
from orientation.web.console import adapters, directory_forms
from orientation.web.console.rota_forms import FormErrors
from orientation.web.console.web import bp, territory_or_404
from volunteers.professions import PROFESSIONS


def _entry_or_404(territory: Territory, entry_id: int) -> DirectoryEntry:
    found = db().get(DirectoryEntry, entry_id)
    if found is None or found.territory_id != territory.id:
        abort(404)
    return found


@bp.get("/t/<int:territory_id>/annuaire")
def directory_search(territory_id: int) -> str:
    """Search the territory's directory by words, postcode, and whether they take new patients."""
    territory = territory_or_404(territory_id)
    q = (request.args.get("q") or "").strip()[:100]
    postcode = (request.args.get("cp") or "").strip()[:5] or None
    accepting = {"oui": True, "non": False}.get(request.args.get("accepte", ""))
    searched = bool(q or postcode or accepting is not None)
    results = adapters.search_directory(db(), territory.id, q, postcode=postcode, accepting=accepting, limit=50)
    return render_template(
        "console/directory.html",
        territory=territory,
        section="directory",
        q=q,
        postcode=postcode or "",
        accepting=request.args.get("accepte", ""),
        results=results,
        searched=searched,
        categories=CATEGORY_LABELS_FR,
        professions=PROFESSIONS,
    )


def _entry_page(territory: Territory, entry: DirectoryEntry, errors: dict[str, str], status: int) -> tuple[str, int]:
    return (
        render_template(
            "console/directory_entry.html",
            territory=territory,
            section="directory",
            e=entry,
            errors=errors,
            categories=CATEGORY_LABELS_FR,
            professions=PROFESSIONS,
        ),
        status,
    )


@bp.route("/t/<int:territory_id>/annuaire/<int:entry_id>", methods=["GET", "POST"])
def directory_entry(territory_id: int, entry_id: int) -> Response | tuple[str, int]:
    """An entry's page; its form edits the fields the CPTS maintains."""
    territory = territory_or_404(territory_id)
    entry = _entry_or_404(territory, entry_id)
    if request.method == "GET":
        return _entry_page(territory, entry, {}, 200)
    moment = now()
    try:
        directory_forms.update_cpts_fields(
            db(), entry, request.form, moment, moment.astimezone(ZoneInfo(territory.timezone)).date()
        )
    except FormErrors as exc:
        db().rollback()
        return _entry_page(territory, entry, exc.errors, 422)
    db().commit()
    flash("Fiche mise à jour.", "success")
    return redirect(url_for("console.directory_entry", territory_id=territory.id, entry_id=entry.id))  # type: ignore[return-value]


@bp.route("/t/<int:territory_id>/annuaire/nouvelle", methods=["GET", "POST"])
def directory_new(territory_id: int) -> Response | tuple[str, int]:
    """Add an entry by hand."""
    territory = territory_or_404(territory_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = db()
        try:
            moment = now()
            today = moment.astimezone(ZoneInfo(territory.timezone)).date()
            entry = directory_forms.create_manual_entry(session, territory, request.form, moment, today)
        except FormErrors as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash("Fiche ajoutée à l'annuaire.", "success")
            return redirect(url_for("console.directory_entry", territory_id=territory.id, entry_id=entry.id))  # type: ignore[return-value]
    return (
        render_template(
            "console/directory_new.html",
            territory=territory,
            section="directory",
            errors=errors,
            values=request.form,
            categories=CATEGORY_LABELS_FR,
            professions=PROFESSIONS,
        ),
        422 if errors else 200,
    )
