"""The request log (filters, pages, CSV) and a request's page (timeline, message, outcome, call back)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from orientation.core import lifecycle, spreadsheet
from orientation.core.labels import MOTIVES, OUTCOMES, STATUSES
from orientation.core.models import Request, Territory
from orientation.core.phones import mask
from orientation.core.runtime import db, now, runtime
from orientation.web.console import adapters, recordings
from orientation.web.console.callback_status import callback_status
from orientation.web.console.ids import parse_id
from orientation.web.console.models import User
from orientation.web.console.queries import BACKLOG, filtered, parse_filters
from orientation.web.console.timeline import describe, fold_reads, is_technical
from orientation.web.console.timeline import label as event_label
from orientation.web.console.views.exports import UNKNOWN_FORMAT, format_args
from orientation.web.console.web import actor, bp, format_datetime, territory_or_404
from volunteers.models import Volunteer
from volunteers.professions import PROFESSIONS

PAGE_SIZE = 50
# How far the request page looks for the line's reopening (the next call-back round waits for it).
OPENING_LOOKAHEAD = timedelta(days=14)


def _volunteer_names(territory_id: int) -> dict[int, str]:
    rows = db().execute(select(Volunteer.id, Volunteer.name).where(Volunteer.territory_id == territory_id))
    return {row.id: row.name for row in rows}


@bp.get("/t/<int:territory_id>/demandes")
def requests_log(territory_id: int) -> str:
    """The log of requests, newest first, filtered and paginated; callers' numbers masked."""
    territory = territory_or_404(territory_id)
    filters = parse_filters(request.args)
    for message in filters.errors:
        flash(message, "error")
    query = filtered(territory.id, filters, ZoneInfo(territory.timezone), now())
    session = db()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = list(session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        "console/requests.html",
        territory=territory,
        section="requests",
        rows=rows,
        filters=filters,
        total=total,
        page=page,
        pages=pages,
        names=_volunteer_names(territory.id),
        mask=mask,
        BACKLOG=BACKLOG,
    )


@bp.get("/t/<int:territory_id>/demandes.csv")
def requests_csv(territory_id: int) -> Response:
    """The filtered log as CSV, the columns of `orientation export requests` (French by default; numbers masked)."""
    territory = territory_or_404(territory_id)
    filters = parse_filters(request.args)
    fmt = spreadsheet.parse_format(request.args.get("format"))
    if fmt is None:
        flash(UNKNOWN_FORMAT, "error")
        back: dict[str, Any] = filters.args()
        return redirect(url_for("console.requests_log", territory_id=territory.id, **back))  # type: ignore[return-value]
    query = filtered(territory.id, filters, ZoneInfo(territory.timezone), now())
    details = {"file": "requests", **filters.args(), **format_args(fmt)}
    adapters.record_export(db(), territory.id, now(), actor(), details)
    db().commit()
    sessions = runtime().sessions

    def chunks() -> Iterator[str]:
        # Its own session, closed when the last row is sent: the request's own is gone by then.
        with sessions() as session:
            yield from adapters.request_log_chunks(session, territory, query, fmt)

    stamp = now().astimezone(ZoneInfo(territory.timezone)).strftime("%Y%m%d-%H%M")
    return Response(
        chunks(),
        content_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="demandes-{territory.id}-{stamp}.csv"'},
    )


def _request_or_404(territory: Territory, reference: str) -> Request:
    found = db().scalar(select(Request).where(Request.reference == reference, Request.territory_id == territory.id))
    if found is None:
        abort(404)
    return found


def _actor_names(territory_id: int, actors: set[str], volunteers: dict[int, str]) -> dict[str, str]:
    """ "user:3" → the account's email, "volunteer:5" → the volunteer's name, "line" → "la ligne"."""
    names = {"line": "la ligne"}
    user_ids = [int(a.split(":", 1)[1]) for a in actors if a.startswith("user:") and a.split(":", 1)[1].isdigit()]
    if user_ids:
        for account in db().scalars(select(User).where(User.id.in_(user_ids))):
            names[f"user:{account.id}"] = account.name or account.email
    for a in actors:
        kind, _, rest = a.partition(":")
        if kind == "volunteer" and rest.isdigit():
            names[a] = volunteers.get(int(rest), a)
        elif kind == "token":
            names[a] = f"API ({rest})"
    return names


@bp.get("/t/<int:territory_id>/demandes/<reference>")
def request_page(territory_id: int, reference: str) -> str:
    """One request: what happened, the message, the outcome form with directory search; the read is kept."""
    territory = territory_or_404(territory_id)
    found = _request_or_404(territory, reference)
    session = db()
    adapters.record_read(session, found, now(), actor())
    session.commit()
    volunteers = _volunteer_names(territory.id)
    events = list(found.events)
    actors = _actor_names(territory.id, {e.actor for e in events if e.actor}, volunteers)
    # Each view, search and save is a read: kept one by one, shown as one line with the readers on demand.
    reads = fold_reads((e.at, actors.get(e.actor or "", e.actor or "?")) for e in events if e.kind == "read")
    timeline = [
        {"at": e.at, "text": describe(e.kind, e.payload, volunteers), "actor": actors.get(e.actor or "", e.actor)}
        for e in events
        if not is_technical(e.kind) and e.kind != "read"
    ]
    technical = [
        {"at": e.at, "label": event_label(e.kind), "payload": e.payload} for e in events if is_technical(e.kind)
    ]
    transfers = [e.payload.get("neighbour") for e in events if e.kind == "transfer.started" and e.payload]
    q = (request.args.get("q") or "").strip()[:100]
    results = adapters.search_directory(session, territory.id, q) if q else []
    current_entry = None
    if found.outcome_entry_id is not None:
        from directory.models import DirectoryEntry

        current_entry = session.get(DirectoryEntry, found.outcome_entry_id)
    return render_template(
        "console/request.html",
        territory=territory,
        section="requests",
        r=found,
        timeline=timeline,
        technical=technical,
        reads=reads,
        transferred_to=transfers[-1] if transfers else None,
        callback=callback_status(
            found,
            found.attempts,
            territory.settings,
            now(),
            volunteers,
            # No interval (hours unreadable, or closed for two weeks): the next round as the request has it.
            adapters.opening_intervals(territory, now(), now() + OPENING_LOOKAHEAD) or None,
        ),
        professions=PROFESSIONS,
        volunteers=volunteers,
        caller=mask(found.caller),
        q=q,
        results=results,
        current_entry=current_entry,
        outcomes=OUTCOMES,
        motives=MOTIVES,
        statuses=STATUSES,
        can_set_outcome=found.status not in lifecycle.WAITING,
        live_audio=runtime().config.has_twilio_credentials,
    )


@bp.post("/t/<int:territory_id>/demandes/<reference>/issue")
def request_outcome(territory_id: int, reference: str) -> Response:
    """Set or correct the outcome, the directory entry that took the patient and a note."""
    territory = territory_or_404(territory_id)
    found = _request_or_404(territory, reference)
    back = redirect(url_for("console.request_page", territory_id=territory.id, reference=found.reference))
    outcome = request.form.get("outcome", "")
    if outcome not in lifecycle.OUTCOMES:
        flash("Choisissez une issue.", "error")
        return back  # type: ignore[return-value]
    if found.status in lifecycle.WAITING:
        flash("L'appel est encore en cours : l'issue se fixe après.", "error")
        return back  # type: ignore[return-value]
    entry_id = parse_id(request.form.get("entry_id"))
    session = db()
    if entry_id is not None:
        from orientation.services.outcomes import directory_entry_exists

        if not directory_entry_exists(session, entry_id, territory.id):
            flash("Cette fiche de l'annuaire n'existe pas dans votre territoire.", "error")
            return back  # type: ignore[return-value]
    note = request.form.get("note", "").strip()[:2000]
    adapters.set_outcome(session, found, outcome, entry_id, note, now(), actor())
    session.commit()
    flash(f"Issue enregistrée : {OUTCOMES[outcome]}.", "success")
    return back  # type: ignore[return-value]


@bp.post("/t/<int:territory_id>/demandes/<reference>/rappel")
def request_callback(territory_id: int, reference: str) -> Response:
    """Ask for the patient to be called back now."""
    territory = territory_or_404(territory_id)
    found = _request_or_404(territory, reference)
    back = redirect(url_for("console.request_page", territory_id=territory.id, reference=found.reference))
    session = db()
    rt = runtime()
    volunteers = _volunteer_names(territory.id)
    # The button is off while a round is under way; a stale page's post gets the same reason, and nothing changes.
    status = callback_status(found, found.attempts, territory.settings, now(), volunteers)
    if not status.can_trigger:
        flash(f"Rappel impossible : {status.reason}.", "error")
        return back  # type: ignore[return-value]
    done, offered_to = adapters.trigger_callback(
        session, found, now(), actor(), rt.config.public_base_url, rt.live_messaging
    )
    if not done:
        session.rollback()
        flash("Cette demande ne peut pas être rappelée (appel en cours, demande close ou numéro inconnu).", "error")
        return back  # type: ignore[return-value]
    session.commit()
    if offered_to is not None:
        adapters.dispatch_callback_offers(rt)
        name = volunteers.get(offered_to, "un bénévole de permanence")
        flash(f"Rappel lancé : {name} est appelé(e) maintenant pour rappeler le patient.", "success")
    else:
        flash(
            "Aucun bénévole de permanence ne peut rappeler maintenant : prochain tour "
            f"{format_datetime(found.next_callback_at)}.",
            "error",
        )
    return back  # type: ignore[return-value]


@bp.get("/t/<int:territory_id>/demandes/<reference>/message.mp3")
def request_message(territory_id: int, reference: str) -> Response:
    """The patient's recorded message, streamed from Twilio (never a direct Twilio link)."""
    territory = territory_or_404(territory_id)
    found = _request_or_404(territory, reference)
    try:
        body = recordings.stream(runtime().config, found.recording_url)
    except recordings.RecordingUnavailable:
        abort(404)
    return Response(body, mimetype="audio/mpeg", headers={"Cache-Control": "no-store"})
