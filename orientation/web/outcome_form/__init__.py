"""The outcome form: one phone-friendly page, reached from the SMS by a signed expiring link (no login).

The volunteer who took a request sets its outcome (1 pris en charge, 2 orienté ailleurs, 3 sans suite) and
names the professional or structure that took the patient, searched in the directory as they type. The
link is the key (signed with SECRET_KEY, valid FORM_LINK_LIFETIME) and travels in the query string
(``/issue?t=…``) so access logs, which keep paths only, never hold a working one; each page carries a signed
nonce bound to the link that the post must send back, so a post is only accepted from a page this app
served for it. The link is the volunteer's: it stops when they are deactivated, shows and changes only what
they set (never the coordinator's note, nor an outcome the coordinator or the API set), and every page
shown and every change is in the audit log as ``volunteer:ID``.
The blueprint is named "outcome_links": the console's CSRF protection exempts it by that name.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, jsonify, request

from orientation.core.labels import OUTCOME_LABELS
from orientation.core.models import Request
from orientation.core.prompts import motive_label
from orientation.core.runtime import db, runtime
from orientation.services import audit, outcomes
from orientation.web import signed_links
from orientation.web.console import messages

bp = Blueprint(
    "outcome_links",
    __name__,
    url_prefix=outcomes.FORM_PATH.rstrip("/"),
    template_folder="templates",
    static_folder="static",
)

NOTE_MAX = 2000
SEARCH_MIN = 2


signed_links.refuse_with_pages(bp)


def _granted() -> tuple[Request, int]:
    """The request this link is for, and the volunteer it was sent to; refuses expired, foreign or stopped links."""
    try:
        grant = outcomes.read_form_token(runtime().config.secret_key, signed_links.token(), signed_links.now())
    except outcomes.FormLinkError as exc:
        if exc.expired:
            raise signed_links.Refused(
                410,
                messages.LINK_EXPIRED,
                "Répondez au SMS par 1, 2 ou 3, ou contactez la coordination de la CPTS.",
            ) from exc
        raise signed_links.Refused(404, *messages.LINK_UNKNOWN) from exc
    session = db()
    if outcomes.granted_volunteer(session, grant) is None:
        raise signed_links.Refused(403, *messages.LINK_INACTIVE)
    found = outcomes.granted_request(session, grant)
    if found is None:
        raise signed_links.Refused(
            409,
            "Cette demande n'est plus modifiable par ce lien",
            "Elle a été attribuée à quelqu'un d'autre ou n'est pas terminée. Contactez la coordination.",
        )
    if not outcomes.outcome_is_theirs(found.outcome, found.outcome_by, grant.volunteer_id):
        raise signed_links.Refused(
            409,
            "L'issue de cette demande a été fixée par la coordination",
            "Ce lien ne permet plus de la modifier. Pour toute correction, contactez la coordination.",
        )
    return found, grant.volunteer_id


def _entry_choice(entry: Any) -> dict[str, Any]:
    what = entry.category_label or entry.profession or ""
    where = " ".join(part for part in (entry.postcode, entry.commune) if part)
    return {"id": entry.id, "name": entry.name, "what": what, "where": where}


def _form(token: str, found: Request, volunteer_id: int, status: int = 200, **extra: Any) -> Response:
    session = db()
    note_is_theirs = outcomes.note_is_theirs(found.outcome_note, found.outcome_note_by, volunteer_id)
    territory = found.territory
    tz = ZoneInfo(territory.timezone)
    current_entry = None
    if found.outcome_entry_id is not None:
        from directory.models import DirectoryEntry

        entry = session.get(DirectoryEntry, found.outcome_entry_id)
        current_entry = _entry_choice(entry) if entry is not None else None
    query = (request.values.get("q") or "").strip()[:100]
    results = (
        [_entry_choice(e) for e in outcomes.find_directory_entries(session, territory.id, query)]
        if len(query) >= SEARCH_MIN
        else []
    )
    chosen_outcome = extra.pop("chosen_outcome", None) or found.outcome
    note = extra.pop("note", None)
    return signed_links.page(
        "outcome_form/form.html",
        status,
        token=token,
        nonce=outcomes.form_nonce(runtime().config.secret_key, token, signed_links.now()),
        request_=found,
        territory=territory,
        motive=motive_label(found.motive),
        called_at=found.created_at.astimezone(tz).strftime("%d/%m/%Y à %H:%M"),
        outcome_label=OUTCOME_LABELS.get(found.outcome or "", None),
        choices=[(code, OUTCOME_LABELS[code]) for code in outcomes.VOLUNTEER_OUTCOMES],
        chosen_outcome=chosen_outcome,
        current_entry=current_entry,
        query=query,
        results=results,
        # The coordinator's note is theirs: never shown on, nor changed through, a volunteer's link.
        note_is_theirs=note_is_theirs,
        note=(found.outcome_note or "" if note_is_theirs else "") if note is None else note,
        **extra,
    )


def _audit_read(found: Request, volunteer_id: int) -> None:
    """Keep in the audit log that the volunteer's link showed the request (the caller commits)."""
    actor = outcomes.volunteer_actor(volunteer_id)
    audit.record(db(), actor, "read", found, signed_links.now(), {"via": "outcome_form"})


@bp.get("")
def show() -> Response:
    """The form, with the current outcome and entry (and the directory's answers to `q`, if given)."""
    found, volunteer_id = _granted()
    _audit_read(found, volunteer_id)
    db().commit()
    return _form(signed_links.token(), found, volunteer_id)


@bp.post("")
def save() -> Response:
    """Save the outcome, the directory entry and the note; every change goes to the timeline as the volunteer's."""
    found, volunteer_id = _granted()
    token = signed_links.token()
    session = db()
    if request.form.get("search"):
        # "Chercher" without JavaScript: show the directory's answers, keep what was typed, save nothing.
        _audit_read(found, volunteer_id)
        session.commit()
        return _form(
            token, found, volunteer_id, chosen_outcome=request.form.get("outcome"), note=request.form.get("note", "")
        )
    secret = runtime().config.secret_key
    now = signed_links.now()
    if not outcomes.nonce_is_valid(secret, token, request.form.get("nonce", ""), now):
        raise signed_links.Refused(400, messages.FORM_STALE, "Rouvrez le lien du SMS et enregistrez à nouveau.")
    errors: dict[str, str] = {}
    outcome = request.form.get("outcome", "")
    if outcome not in outcomes.VOLUNTEER_OUTCOMES:
        errors["outcome"] = "Choisissez une issue."
    change_entry = "directory_entry_id" in request.form
    raw_entry = request.form.get("directory_entry_id", "").strip()
    entry_id: int | None = None
    if raw_entry:
        if not (raw_entry.isascii() and raw_entry.isdigit() and len(raw_entry) <= 9) or not (
            outcomes.directory_entry_exists(session, int(raw_entry), found.territory_id)
        ):
            errors["directory_entry_id"] = "Ce professionnel ou cette structure n'est pas dans l'annuaire."
        else:
            entry_id = int(raw_entry)
    # A note the coordinator wrote is not the volunteer's to change: whatever is posted for it is ignored.
    may_note = outcomes.note_is_theirs(found.outcome_note, found.outcome_note_by, volunteer_id)
    note = request.form.get("note", "").strip() if may_note else None
    if note is not None and len(note) > NOTE_MAX:
        errors["note"] = f"La note dépasse {NOTE_MAX} caractères."
    if errors:
        return _form(token, found, volunteer_id, 422, errors=errors, chosen_outcome=outcome, note=note)
    actor = outcomes.volunteer_actor(volunteer_id)
    changed = outcomes.set_outcome(
        session, found, now, actor, outcome=outcome, entry_id=entry_id, change_entry=change_entry, note=note
    )
    if changed:
        from orientation.services.requests import add_event

        add_event(session, found, "outcome.form", now, {"changed": changed}, actor)
        action = "outcome" if "outcome" in changed else "edit"
        audit.record(session, actor, action, found, now, {"via": "outcome_form", "fields": changed})
    session.commit()
    return _form(token, found, volunteer_id, saved=True)


@bp.get("/annuaire")
def search() -> Response:
    """Search-as-you-type: directory entries of the request's territory matching `q` (JSON)."""
    found, _ = _granted()
    query = (request.args.get("q") or "").strip()[:100]
    items = (
        [_entry_choice(e) for e in outcomes.find_directory_entries(db(), found.territory_id, query)]
        if len(query) >= SEARCH_MIN
        else []
    )
    response = jsonify({"items": items})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# Links sent before the token moved to the query string (/issue/<token>). Answered with a clear page and
# never honoured: such a token already sits in some access log, and honouring it would let whoever reads
# that log set the outcome. The volunteer can still reply by SMS or ask the coordination.
@bp.route("/<path:old_token>", methods=["GET", "POST"])
def old_link(old_token: str) -> Response:
    """A link of the old form: a French page saying it no longer works, and what to do instead."""
    return signed_links.page(
        "outcome_form/refused.html",
        410,
        title="Ce lien n'est plus valable",
        detail=(
            "Les liens des SMS ont changé. Répondez au SMS par 1, 2 ou 3, ou contactez la coordination "
            "de la CPTS pour indiquer la suite donnée."
        ),
    )


def register(app: Flask) -> None:
    """Attach the outcome form (its link is built by orientation.services.outcomes.form_link)."""
    app.register_blueprint(bp)
