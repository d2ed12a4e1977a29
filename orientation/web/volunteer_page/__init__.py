"""A volunteer's private page, by a signed link sent with their shift reminders (no login).

For volunteers who cannot answer the line's SMS (French rules often forbid replies to automated texts): their
next shifts, "pause now" / "available again" under the same rule as the SMS commands (bounded by the shift,
coordinator told when a motive is left bare, audited as ``volunteer:ID`` with ``via: page``), and their
iCalendar subscription. The token is in the query string (``/benevole?t=…``) so access logs never hold it;
each page carries a signed nonce bound to the link that a post must send back (no cross-site post can
pause anyone). The blueprint is named "links": the console's CSRF protection exempts it by that name.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, request

from orientation.core.models import Territory
from orientation.core.runtime import db, runtime
from orientation.services import messaging, outcomes
from orientation.services import volunteer_controls as controls
from orientation.web import signed_links
from orientation.web.console import messages
from volunteers.models import Volunteer
from volunteers.sms import next_shifts, shift_text

bp = Blueprint("links", __name__, url_prefix=controls.PAGE_PATH, template_folder="templates")

SHIFTS_SHOWN = 6
WORDS = messages.VOLUNTEER_PAGE


signed_links.refuse_with_pages(bp)


def _volunteer() -> tuple[Volunteer, Territory]:
    """The active volunteer this link was sent to, and their territory; refuses anything else in French."""
    try:
        volunteer_id = controls.read_page_token(runtime().config.secret_key, signed_links.token(), signed_links.now())
    except outcomes.FormLinkError as exc:
        if exc.expired:
            raise signed_links.Refused(410, messages.LINK_EXPIRED, WORDS["expired"]) from exc
        raise signed_links.Refused(404, *messages.LINK_UNKNOWN) from exc
    session = db()
    volunteer = session.get(Volunteer, volunteer_id)
    territory = session.get(Territory, volunteer.territory_id) if volunteer is not None else None
    if volunteer is None or not volunteer.active or territory is None:
        raise signed_links.Refused(403, *messages.LINK_INACTIVE)
    return volunteer, territory


def _render(volunteer: Volunteer, territory: Territory, status: int = 200, **extra: Any) -> Response:
    now = signed_links.now()
    tz = ZoneInfo(territory.timezone)
    config = runtime().config
    token = signed_links.token()
    paused = controls.is_paused_now(volunteer, now)
    ical = f"{config.public_base_url.rstrip('/')}/ical/{volunteer.ical_secret}.ics"
    return signed_links.page(
        "volunteer_page/page.html",
        status,
        token=token,
        nonce=outcomes.form_nonce(config.secret_key, token, now),
        volunteer=volunteer,
        territory=territory,
        paused=paused,
        paused_until=(
            controls.written_until(volunteer.paused_until, now, tz) if paused and volunteer.paused_until else None
        ),
        shifts=[shift_text(s, tz) for s in next_shifts(volunteer, territory, now, SHIFTS_SHOWN)],
        ical_url=ical,
        webcal_url="webcal://" + ical.split("://", 1)[-1],
        **extra,
    )


@bp.get("")
def show() -> Response:
    """The volunteer's next shifts, their pause, the pause / available button and their calendar link."""
    volunteer, territory = _volunteer()
    return _render(volunteer, territory)


@bp.post("")
def act() -> Response:
    """Pause now or be available again, under the same rule as the SMS commands."""
    volunteer, territory = _volunteer()
    rt = runtime()
    now = signed_links.now()
    if not outcomes.nonce_is_valid(rt.config.secret_key, signed_links.token(), request.form.get("nonce", ""), now):
        raise signed_links.Refused(400, messages.FORM_STALE, WORDS["stale"])
    action = request.form.get("action", "")
    session = db()
    tz = ZoneInfo(territory.timezone)
    if action == "pause":
        steered = controls.pause(session, volunteer, territory, now, via="page", live=rt.live_messaging)
        decision = steered.decision
        if decision is None or decision.until is None:
            message = WORDS["nothing_to_pause"]
        elif decision.current:
            message = WORDS["paused"].format(until=controls.written_until(decision.until, now, tz))
        else:
            message = WORDS["next_paused"].format(until=controls.written_until(decision.until, now, tz))
    elif action == "available":
        steered = controls.available(session, volunteer, territory, now, via="page")
        message = WORDS["available"]
    else:
        return _render(volunteer, territory, 422, error=WORDS["choose"])
    session.commit()
    if steered.queued:
        # The coordinator's SMS: sent now when possible, else by the clock's outbox job on its next pass.
        messaging.dispatch(
            rt.sessions, rt.sender, [m.id for m in steered.queued], now=rt.clock(), base_url=rt.config.public_base_url
        )
    return _render(volunteer, territory, done=message)


def register(app: Flask) -> None:
    """Attach the volunteers' private pages (their link is built by volunteer_controls.page_link)."""
    app.register_blueprint(bp)
