"""The Twilio webhooks: thin adapters from signed form posts to services and TwiML."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial, wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request
from sqlalchemy import Table, select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from callflows import crisis, flow, prompts, sms_replies, twiml
from callflows.security import is_valid_signature, signed_content, signed_url
from orientation import delivery, journal, lifecycle
from orientation.calendar import french_public_holidays
from orientation.models import Attempt, Event, OutboxMessage, Request, Territory
from orientation.opening_hours import OpeningHoursError, is_open, next_opening, parse_opening_hours
from orientation.phones import spoken_digits, try_e164
from orientation.runtime import Runtime, db, runtime
from orientation.services import messaging, territories
from orientation.services import requests as svc
from orientation.services import volunteer_controls as controls
from orientation.services.outcomes import apply_sms_reply, form_link
from volunteers import sms as volunteer_sms
from volunteers.models import Volunteer
from volunteers.services import on_duty_volunteers

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

# Only these parameters of Twilio's posts are kept in a request's timeline: no numbers, no names.
KEPT_PARAMS = (
    "CallStatus",
    "Digits",
    "SpeechResult",
    "Confidence",
    "DialCallStatus",
    "DialBridged",
    "DialCallDuration",
    "RecordingDuration",
    "RecordingStatus",
    "CallDuration",
    "AnsweredBy",
    "ErrorCode",
    "MessageStatus",
    "SequenceNumber",
    "CallbackSource",
    "Direction",
)
# What every callback of a kind carries; a signed post without it is not one of Twilio's (400).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "sms.incoming": ("MessageSid", "From", "To"),
    "sms.status": ("MessageSid", "MessageStatus"),
}
TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# Webhooks answering on a volunteer's leg (a <Number url> document: say, gather and hang up only).
_SCREENING_KINDS = frozenset({"voice.screen", "voice.screen_answer"})
# The events table itself, for Core statements (see `webhook`).
_EVENTS = cast(Table, Event.__table__)


@dataclass
class Ctx:
    """One webhook call: its session, form, clock reading and URL builder."""

    session: Session
    form: MultiDict[str, str]
    args: MultiDict[str, str]
    now: datetime
    urls: twiml.Urls
    rt: Runtime
    request: Request | None = None
    # The request's id when the handler did not need to load the request itself.
    request_id: int | None = None
    queued: list[OutboxMessage] = field(default_factory=list)

    def arg_int(self, name: str, default: int) -> int:
        """An integer from the query string (our own URLs), or the default."""
        try:
            return int(self.args.get(name, default))
        except (TypeError, ValueError):
            return default


def twiml_response(body: str) -> Response:
    """An XML answer for Twilio."""
    return Response(body, status=200, mimetype="text/xml")


def idempotency_key(path: str, query: str, form: MultiDict[str, str]) -> str:
    """One key per signed content: a retry, a duplicate or any replay its signature still covers is the same callback.

    Keyed on exactly what X-Twilio-Signature covers (the public base URL aside, the same for every post):
    parameters that differ only where the signature does not look (their order, a value repeated, a
    name/value boundary moved) are a replay of the same post, never a new one.
    """
    return hashlib.sha256(signed_content(signed_url("", path, query), form).encode()).hexdigest()


def technical_problem() -> str:
    """What a volunteer's leg hears when something broke: the message, then hang up (no <Record> there)."""
    return str(twiml.speak_and_hang_up([prompts.text("technical_problem")]))


def placed_call_fallback_url(base_url: str) -> str:
    """The fallback URL of the calls the product places (call-back offers): the volunteer is told, in French."""
    return f"{base_url}/twilio/fallback?call=placed"


def fallback_answer(base_url: str) -> str:
    """The technical-problem message, and a message for a call back that goes to the journal, not the database."""
    return str(
        twiml.fallback(twiml.Urls(base_url), [prompts.text("technical_problem"), prompts.text("fallback_message")])
    )


def _journal(reason: str) -> None:
    """Keep the callback in the local journal; never raise (the caller's answer matters more)."""
    rt = runtime()
    try:
        journal.append(rt.config.journal_dir, request.path, request.form.to_dict(), reason, rt.clock())
    except OSError:
        log.error("journal unavailable: a callback of %s could not be kept", request.path)


@bp.before_request
def verify_signature() -> Response | None:
    """403 for any post not signed by Twilio with our auth token (nothing is recorded); the fallback answers
    French instead."""
    config = runtime().config
    form = request.mimetype == "application/x-www-form-urlencoded"
    url = signed_url(config.public_base_url, request.path, request.query_string.decode("latin-1"))
    signature = request.headers.get("X-Twilio-Signature")
    if form and is_valid_signature(config.webhook_auth_tokens, url, request.form, signature):
        return None
    log.warning("unsigned post to %s refused: check PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN", request.path)
    if request.endpoint == "twilio.fallback":
        # Twilio's last resort for a caller: whatever is wrong with the post, they hear French (nothing is kept).
        return twiml_response(technical_problem())
    return Response("Forbidden", status=403) if form else Response("Unsupported content type", status=415)


def webhook(kind: str) -> Callable[[Callable[[Ctx], str]], Callable[[], Response]]:
    """Run a handler once per distinct callback: a duplicate gets the stored answer and changes nothing."""

    def decorator(handler: Callable[[Ctx], str]) -> Callable[[], Response]:
        @wraps(handler)
        def view() -> Response:
            missing = [name for name in _REQUIRED.get(kind, ("CallSid",)) if not request.form.get(name)]
            if missing:
                return Response(f"Missing Twilio parameter: {', '.join(missing)}", status=400)
            rt = runtime()
            session = db()
            key = idempotency_key(request.path, request.query_string.decode("latin-1"), request.form)
            # Optimistic: nearly every callback is new, so it is handled without first looking for a stored
            # answer. A duplicate runs into the unique idempotency key (its event row), everything it did is rolled
            # back, and it gets the answer stored the first time (see _stored_answer).
            try:
                ctx = Ctx(
                    session=session,
                    form=request.form,
                    args=request.args,
                    now=rt.clock(),
                    urls=twiml.Urls(rt.config.public_base_url),
                    rt=rt,
                )
                body = handler(ctx)
                payload = {k: request.form[k][:500] for k in KEPT_PARAMS if k in request.form}
                payload.update({k: v[:100] for k, v in request.args.items()})
                row = {
                    "request_id": ctx.request.id if ctx.request is not None else ctx.request_id,
                    "kind": kind,
                    "idempotency_key": key,
                    "payload": payload,
                    "response": body,
                    "at": ctx.now,
                }
                if any(isinstance(pending, Event) for pending in session.new):
                    # The handler added timeline events: this one joins their one INSERT at the commit's flush.
                    session.add(Event(**row))
                else:
                    # Nothing else to insert (a leg's status callbacks, the screening): a Core INSERT, after
                    # the handler's changes as the unit of work would order them, without an Event object.
                    session.flush()
                    session.execute(_EVENTS.insert().values(row))
                session.commit()
            except Exception as exc:
                session.rollback()
                stored = _stored_answer(session, key)
                if stored is not None:
                    # The same callback came before (a retry) or raced us and won: whether it ran into the
                    # unique idempotency key or failed against a state that has moved on, it changes nothing
                    # and gets the first answer.
                    return twiml_response(stored)
                # Not a duplicate: any other failure, an IntegrityError included (another unique column, such
                # as a reference already taken), must not lose the call. It goes to the journal, and the
                # caller may leave a message; the replay brings the call into the database.
                log.exception("webhook %s failed", kind)
                _journal(f"{kind}: {type(exc).__name__}")
                if kind in _SCREENING_KINDS:
                    # A volunteer's <Number url> leg may not <Record>: say the problem and hang up their leg.
                    return twiml_response(technical_problem())
                if kind.startswith("voice"):
                    return twiml_response(fallback_answer(rt.config.public_base_url))
                return twiml_response(twiml.empty())
            response = twiml_response(body)
            if ctx.queued:
                # Twilio waits for our answer, not for the SMS and calls: they go once the answer is sent.
                ids = [m.id for m in ctx.queued]
                response.call_on_close(lambda: _send(rt, ids))
            return response

        return view

    return decorator


def _stored_answer(session: Session, key: str) -> str | None:
    """The answer given the first time to the callback of that idempotency key, if any (never raises)."""
    try:
        return session.scalar(select(Event.response).where(Event.idempotency_key == key))
    except Exception:
        session.rollback()
        return None


def _send(rt: Runtime, ids: list[int]) -> None:
    """Hand the SMS and calls a webhook committed to Twilio; a call-back offer gets its status callback."""
    try:
        messaging.dispatch(rt.sessions, rt.sender, ids, now=rt.clock(), base_url=rt.config.public_base_url)
    except Exception:
        # Still queued: the clock's outbox job sends them on its next pass.
        log.exception("outbox dispatch after a webhook failed")


# ---------------------------------------------------------------- helpers over the current call


def _say(territory: Territory) -> Callable[..., str]:
    return partial(prompts.text, overrides=(territory.settings or {}).get("prompts") or {})


def _tz(territory: Territory) -> ZoneInfo:
    return ZoneInfo(territory.timezone)


def _line_open(territory: Territory, now: datetime) -> tuple[bool, datetime | None]:
    try:
        hours = parse_opening_hours(territory.opening_hours)
    except OpeningHoursError:
        # Hours are validated when saved; a bad value must not close the line by accident.
        return True, None
    holidays = french_public_holidays(territory.holiday_subdivision)
    if is_open(hours, now, holidays, _tz(territory)):
        return True, None
    return False, next_opening(hours, now, holidays, _tz(territory))


def _sms(ctx: Ctx, territory: Territory, to: str, body: str, purpose: str) -> None:
    message = messaging.queue_sms(
        ctx.session,
        to=to,
        from_=territories.sms_from(territory, ctx.session),
        body=body,
        purpose=purpose,
        now=ctx.now,
        territory_id=territory.id,
        request_id=ctx.request.id if ctx.request else None,
        live=ctx.rt.live_messaging,
    )
    ctx.queued.append(message)


def _current_request(ctx: Ctx) -> tuple[Request, Territory] | None:
    found = svc.request_by_call(ctx.session, ctx.form.get("CallSid"), lock=True)
    if found is None:
        # The first webhook was lost (fallback answered it): open the request now.
        territory = svc.territory_for_number(ctx.session, ctx.form.get("To"))
        if territory is None or not ctx.form.get("CallSid"):
            return None
        found, _ = svc.open_request(ctx.session, territory, ctx.form["CallSid"], ctx.form.get("From"), ctx.now)
    ctx.request = found
    return found, found.territory


def _route(ctx: Ctx, req: Request, territory: Territory, intro: list[str]) -> str:
    offer = svc.offer_next(ctx.session, req, territory, ctx.now)
    if offer is None:
        return _nobody_available(ctx, req, territory, intro)
    return str(
        twiml.ring_volunteer(
            ctx.urls,
            intro,
            offer.attempt.id,
            offer.volunteer.phone,
            caller_id=territories.main_number(ctx.session, territory),
            ring_seconds=territory.ring_seconds,
        )
    )


def _nobody_available(ctx: Ctx, req: Request, territory: Territory, intro: list[str]) -> str:
    say = _say(territory)
    if svc.to_callback(ctx.session, req, ctx.now):
        if req.caller and req.caller_is_mobile:
            _sms(
                ctx,
                territory,
                req.caller,
                say("sms_patient_callback", territory=territory.name, reference=req.reference),
                "patient_callback",
            )
        alert = say(
            "sms_callback_alert",
            territory=territory.name,
            reference=req.reference,
            motive=prompts.motive_label(req.motive),
            postcode=req.postcode or "code postal inconnu",
        )
        phones = {v.phone for v in on_duty_volunteers(ctx.session, territory, None, ctx.now)}
        if territory.coordinator_phone:
            phones.add(territory.coordinator_phone)
        for phone in sorted(phones):
            _sms(ctx, territory, phone, alert, "callback_alert")
    return str(twiml.leave_message(ctx.urls, [*intro, say("nobody_available")], req.reference))


def _attempt(ctx: Ctx) -> Attempt | None:
    attempt = svc.lock_attempt(ctx.session, ctx.arg_int("attempt", 0))
    if attempt is not None:
        ctx.request = attempt.request
    return attempt


# ---------------------------------------------------------------- the patient's call


@bp.post("/voice")
@webhook("voice.incoming")
def voice(ctx: Ctx) -> str:
    """An inbound call: record the request first, then welcome, emergency notice, hours, menu."""
    territory = svc.territory_for_number(ctx.session, ctx.form.get("To"))
    call_sid = ctx.form.get("CallSid")
    if territory is None or not call_sid:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    from callflows import volunteer_line  # imported here: it imports this module (its routes join bp)

    if (volunteer_menu := volunteer_line.offer_menu(ctx, territory)) is not None:
        return volunteer_menu
    is_open_now, reopens = _line_open(territory, ctx.now)
    then = "in_menu" if is_open_now else None
    req, _ = svc.open_request(ctx.session, territory, call_sid, ctx.form.get("From"), ctx.now, then)
    ctx.request = req
    say = _say(territory)
    welcome = say("welcome", territory=territory.name)
    announced = crisis.announcement_for(territory)  # crisis mode: the coordinator's words, after the welcome
    if not is_open_now:
        svc.add_event(ctx.session, req, "line.closed", ctx.now)
        if reopens is None:
            closed = say("closed_never")
        else:
            local = reopens.astimezone(_tz(territory))
            when = prompts.spoken_when(local, ctx.now.astimezone(_tz(territory)).date())
            closed = say("closed", reopens=when)
        return str(twiml.leave_message(ctx.urls, [welcome, *announced, closed, say("closed_message")], req.reference))
    if req.status == "received":
        svc.change_status(ctx.session, req, "in_menu", ctx.now)
    return str(twiml.menu(ctx.urls, [welcome, *announced], say("menu"), tries=1))


@bp.post("/voice/menu")
@webhook("voice.menu")
def menu(ctx: Ctx) -> str:
    """The motive menu's answer: a key, French words, or silence (twice: go on as orientation)."""
    found = _current_request(ctx)
    if found is None:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    req, territory = found
    say = _say(territory)
    tries = ctx.arg_int("attempt", 1)
    answer = flow.parse_menu_input(ctx.form.get("Digits"), ctx.form.get("SpeechResult"))
    step = flow.after_menu(answer, tries)
    if step.ask_again:
        if step.not_understood:
            svc.note_menu_miss(ctx.session, req, ctx.now, "menu")
            return str(twiml.menu(ctx.urls, [say("menu_not_understood")], say("menu"), tries + 1))
        return str(twiml.menu(ctx.urls, [], say("menu"), tries))
    assert step.motive is not None
    if req.motive is None:
        if step.defaulted:
            svc.note_menu_miss(ctx.session, req, ctx.now, "menu")
        svc.choose_motive(ctx.session, req, step.motive, ctx.now, step.defaulted)
    intro = (
        [say("menu_default_orientation")]
        if step.defaulted
        else [say("motive_chosen", motive=prompts.motive_label(step.motive))]
    )
    return str(twiml.ask_postcode(ctx.urls, intro, say("postcode"), 1))


@bp.post("/voice/postcode")
@webhook("voice.postcode")
def postcode(ctx: Ctx) -> str:
    """The postcode's answer: check the territory, maybe transfer to a neighbour, then route."""
    found = _current_request(ctx)
    if found is None:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    req, territory = found
    say = _say(territory)
    tries = ctx.arg_int("attempt", 1)
    step = flow.after_postcode(flow.parse_postcode(ctx.form.get("Digits"), ctx.form.get("SpeechResult")), tries)
    if step.ask_again:
        svc.note_menu_miss(ctx.session, req, ctx.now, "postcode")
        again = [say("postcode_not_understood")]
        return str(twiml.ask_postcode(ctx.urls, again, say("postcode_speech"), tries + 1))
    if req.status not in lifecycle.WAITING:
        return str(twiml.speak_and_hang_up([say("goodbye")]))
    svc.set_postcode(ctx.session, req, territory, step.postcode, ctx.now)
    intro: list[str] = []
    if step.postcode is None:
        intro.append(say("postcode_skipped"))
    elif req.in_territory is False:
        neighbour = _neighbour(ctx.session, territory, step.postcode)
        if neighbour is not None:
            name, phone = neighbour
            # Not out_of_territory yet: only once the transfer connected (its status callback or action).
            svc.add_event(ctx.session, req, "transfer.started", ctx.now, {"neighbour": name})
            words = say(
                "out_of_territory_transfer",
                postcode=prompts.spoken_postcode(step.postcode),
                neighbour=name,
                phone=spoken_digits(phone),
            )
            return str(twiml.transfer(ctx.urls, [words], phone, caller_id=territory.main_number))
        intro.append(say("out_of_territory_continue", postcode=prompts.spoken_postcode(step.postcode)))
    intro.append(say("searching"))
    return _route(ctx, req, territory, intro)


def _neighbour(session: Session, territory: Territory, postcode: str) -> tuple[str, str] | None:
    known = [(n.name, n.phone, list(n.postcodes or [])) for n in territory.neighbours]
    for other in session.scalars(select(Territory).where(Territory.id != territory.id)):
        if other.main_number:
            known.append((other.name, other.main_number, list(other.postcodes or [])))
    return flow.neighbour_for(postcode, known)


@bp.post("/voice/transfer/status")
@webhook("voice.transfer_status")
def transfer_status(ctx: Ctx) -> str:
    """The neighbouring CPTS answered the transferred caller: the request is out of territory now."""
    req = svc.request_by_call(ctx.session, ctx.form.get("ParentCallSid"), lock=True, with_territory=False)
    if req is not None:
        ctx.request = req
        if (ctx.form.get("CallStatus") or "").lower() == "in-progress":
            _transferred(ctx, req)
    return twiml.empty()


def _transferred(ctx: Ctx, req: Request) -> None:
    if req.status in lifecycle.WAITING:
        svc.close_with_outcome(ctx.session, req, "out_of_territory", ctx.now)


@bp.post("/voice/transfer")
@webhook("voice.transfer")
def transfer(ctx: Ctx) -> str:
    """The transfer to a neighbouring CPTS is over: connected, or back to the message step."""
    found = _current_request(ctx)
    if found is None:
        return twiml.empty()
    req, territory = found
    say = _say(territory)
    if (ctx.form.get("DialCallStatus") or "").lower() == "completed":
        _transferred(ctx, req)
        return str(twiml.speak_and_hang_up([say("goodbye")]))
    if (ctx.form.get("CallStatus") or "").lower() in TERMINAL_CALL_STATUSES:
        svc.call_ended(ctx.session, req, ctx.form.get("CallStatus", "completed"), ctx.now)
        return twiml.empty()
    if req.status not in lifecycle.WAITING:
        return str(twiml.speak_and_hang_up([say("goodbye")]))
    neighbour = _neighbour(ctx.session, territory, req.postcode or "")
    intro = [say("transfer_failed", neighbour=neighbour[0])] if neighbour else []
    svc.add_event(ctx.session, req, "transfer.failed", ctx.now, {"dial_status": ctx.form.get("DialCallStatus")})
    return _nobody_available(ctx, req, territory, intro)


@bp.post("/voice/dial")
@webhook("voice.dial")
def dial(ctx: Ctx) -> str:
    """A ring is over: judge it from the app's record and DialBridged, then ring the next one or finish."""
    attempt = _attempt(ctx)
    if attempt is None:
        return str(twiml.speak_and_hang_up([prompts.text("goodbye")]))
    req = attempt.request
    territory = req.territory
    say = _say(territory)
    bridged_raw = ctx.form.get("DialBridged")
    bridged = None if bridged_raw is None else bridged_raw.lower() == "true"
    caller_gone = (ctx.form.get("CallStatus") or "").lower() in TERMINAL_CALL_STATUSES
    if caller_gone and attempt.result is None:
        # The patient hung up while this volunteer's phone rang or screened: nobody refused anything.
        attempt.result = "cancelled"
        attempt.ended_at = ctx.now
    # An accepted ring the leg's status callback or the call's final status already settled is not judged
    # again, and its outcome request is not sent twice.
    conversation_open = attempt.result == "accepted" and attempt.ended_at is None
    if attempt.ended_at is None or attempt.result in (None, "declined"):
        result = svc.finish_attempt(ctx.session, attempt, ctx.form.get("DialCallStatus"), bridged, ctx.now)
    else:
        result = attempt.result or "failed"
    if result == "accepted":
        if conversation_open:
            _ask_outcome(ctx, req, territory, attempt)
        return str(twiml.speak_and_hang_up([say("goodbye")]))
    if caller_gone:
        # The patient hung up while the volunteer's phone rang: Twilio still posts the action.
        svc.call_ended(ctx.session, req, ctx.form.get("CallStatus", "completed"), ctx.now)
        return twiml.empty()
    if req.status == "routing":
        return _route(ctx, req, territory, [say("still_searching")])
    return str(twiml.speak_and_hang_up([say("goodbye")]))


def _ask_outcome(ctx: Ctx, req: Request, territory: Territory, attempt: Attempt) -> None:
    volunteer = svc.volunteer_by_id(ctx.session, attempt.volunteer_id)
    if volunteer is None:
        return
    say = _say(territory)
    config = ctx.rt.config
    link = form_link(config.public_base_url, config.secret_key, req.id, volunteer.id, ctx.now)
    motive = prompts.motive_label(req.motive)
    if territory.replies_by_sms:
        asked = say("sms_outcome_request", reference=req.reference, motive=motive, postcode=req.postcode or "")
        body = f"{asked} {say('sms_outcome_link', link=link)}"
    else:
        # The sender cannot be answered (alphanumeric ID, Messaging Service): no codes to reply, the link only.
        body = say(
            "sms_outcome_request_link", reference=req.reference, motive=motive, postcode=req.postcode or "", link=link
        )
    _sms(ctx, territory, volunteer.phone, " ".join(body.split()), "outcome_request")


@bp.post("/voice/screen")
@webhook("voice.screen")
def screen(ctx: Ctx) -> str:
    """The volunteer picked up: say who calls and why; only a 1 takes the call."""
    attempt = _attempt(ctx)
    if attempt is None:
        return str(twiml.speak_and_hang_up([prompts.text("screening_gone")]))
    req = attempt.request
    territory = req.territory
    say = _say(territory)
    if req.status != "routing" or attempt.result is not None:
        return str(twiml.speak_and_hang_up([say("screening_gone")]))
    if attempt.leg_call_sid is None:
        attempt.leg_call_sid = ctx.form.get("CallSid")
    where = (
        say("screening_postcode", postcode=prompts.spoken_postcode(req.postcode))
        if req.postcode
        else say("screening_no_postcode")
    )
    words = say("screening", territory=territory.name, motive=prompts.motive_label(req.motive), postcode=where)
    return str(twiml.screening(ctx.urls, words, say("screening_again"), attempt.id))


@bp.post("/voice/screen/answer")
@webhook("voice.screen_answer")
def screen_answer(ctx: Ctx) -> str:
    """The volunteer's key: 1 bridges (recorded now, by us), anything else hangs up their leg."""
    attempt = _attempt(ctx)
    if attempt is None:
        return str(twiml.speak_and_hang_up([prompts.text("screening_gone")]))
    say = _say(attempt.request.territory)
    if flow.screening_accepts(ctx.form.get("Digits")):
        if svc.accept(ctx.session, attempt, ctx.now):
            return str(twiml.bridge(say("screening_connecting")))
        return str(twiml.speak_and_hang_up([say("screening_gone")]))
    svc.decline(ctx.session, attempt, ctx.now)
    return str(twiml.speak_and_hang_up([say("screening_declined")]))


@bp.post("/voice/recorded")
@webhook("voice.recorded")
def recorded(ctx: Ctx) -> str:
    """The patient's message is recorded (or the recording ended empty): give the reference."""
    req = svc.request_by_reference(ctx.session, ctx.args.get("ref", ""), lock=True)
    if req is None:
        return str(twiml.speak_and_hang_up([prompts.text("goodbye")]))
    ctx.request = req
    territory = req.territory
    say = _say(territory)
    duration = ctx.form.get("RecordingDuration")
    seconds = int(duration) if duration and duration.isdigit() else None
    svc.store_recording(ctx.session, req, ctx.form.get("RecordingSid"), ctx.form.get("RecordingUrl"), seconds, ctx.now)
    if req.status in lifecycle.WAITING:
        # A message left while the line was closed: it waits for a call back during opening hours.
        svc.to_callback(ctx.session, req, ctx.now)
        if req.caller and req.caller_is_mobile:
            _sms(
                ctx,
                territory,
                req.caller,
                say("sms_patient_callback", territory=territory.name, reference=req.reference),
                "patient_callback",
            )
    key = "message_recorded" if req.had_message else "no_message"
    return str(twiml.speak_and_hang_up([say(key, reference=prompts.spoken_reference(req.reference))]))


# ---------------------------------------------------------------- callbacks Twilio does not read


@bp.post("/recording")
@webhook("recording.status")
def recording_status(ctx: Ctx) -> str:
    """Recording status callback: keep where the message is."""
    req = svc.request_by_reference(ctx.session, ctx.args.get("ref", ""))
    if req is not None:
        ctx.request = req
        duration = ctx.form.get("RecordingDuration")
        seconds = int(duration) if duration and duration.isdigit() else None
        if ctx.form.get("RecordingStatus", "completed") == "completed":
            svc.store_recording(
                ctx.session, req, ctx.form.get("RecordingSid"), ctx.form.get("RecordingUrl"), seconds, ctx.now
            )
    return twiml.empty()


@bp.post("/status")
@webhook("call.status")
def status(ctx: Ctx) -> str:
    """Call status callback, of the patient's call or of a volunteer's leg (with ?attempt=)."""
    call_status = (ctx.form.get("CallStatus") or "").lower()
    if "attempt" in ctx.args:
        # A volunteer's leg: its CallSid is kept, without loading nor locking the request for the early events.
        ctx.request_id = svc.note_leg_call_sid(ctx.session, ctx.arg_int("attempt", 0), ctx.form.get("CallSid"))
        if ctx.request_id is not None and call_status in TERMINAL_CALL_STATUSES:
            # The leg is over: if its conversation was accepted, it ended now, <Dial> action or not.
            attempt = _attempt(ctx)
            if attempt is not None and svc.settle_accepted(ctx.session, attempt, ctx.now, "leg_status"):
                _ask_outcome(ctx, attempt.request, attempt.request.territory, attempt)
        return twiml.empty()
    # The patient's call: nothing here reads the territory, so it is not loaded with the request.
    req = svc.request_by_call(ctx.session, ctx.form.get("CallSid"), lock=True, with_territory=False)
    if req is None:
        req = svc.request_by_call(ctx.session, ctx.form.get("ParentCallSid"), lock=True, with_territory=False)
    if req is not None:
        ctx.request = req
        if call_status in TERMINAL_CALL_STATUSES and not svc.has_event(ctx.session, req, "call.ended"):
            for attempt in list(req.attempts):
                # Neither the <Dial> action nor the leg's status told us the conversation ended: this does.
                if attempt.kind == "live" and svc.settle_accepted(ctx.session, attempt, ctx.now, "call_status"):
                    _ask_outcome(ctx, req, req.territory, attempt)
            svc.call_ended(ctx.session, req, call_status, ctx.now)
    return twiml.empty()


# ---------------------------------------------------------------- SMS to the line's number


@bp.post("/sms")
@webhook("sms.incoming")
def sms(ctx: Ctx) -> str:
    """A text to the line: volunteers' commands and outcome replies; anyone else gets a polite answer."""
    answer = MessagingResponse()
    territory = svc.territory_for_number(ctx.session, ctx.form.get("To"))
    if territory is None:
        return str(answer)
    say = _say(territory)
    sender = try_e164(ctx.form.get("From"), territory.region)
    # A deactivated volunteer is answered like any other number: their commands change nothing.
    volunteer = (
        ctx.session.scalar(
            select(Volunteer).where(
                Volunteer.territory_id == territory.id, Volunteer.phone == sender, Volunteer.active.is_(True)
            )
        )
        if sender
        else None
    )
    if volunteer is None:
        answer.message(say("sms_not_volunteer", territory=territory.name))
        return str(answer)
    command = sms_replies.parse_volunteer_sms(ctx.form.get("Body") or "")
    sid = ctx.form.get("MessageSid")
    if isinstance(command, sms_replies.OutcomeReply):
        key, values = apply_sms_reply(ctx.session, volunteer, command, ctx.now, message_sid=sid)
        if "outcome" in values:
            values["outcome"] = prompts.OUTCOME_LABELS[values["outcome"]]
            ctx.request = svc.request_by_reference(ctx.session, values["reference"])
        answer.message(say(key, **values))
    elif isinstance(command, sms_replies.Pause):
        steered = controls.pause(
            ctx.session, volunteer, territory, ctx.now, via="sms", live=ctx.rt.live_messaging, message_sid=sid
        )
        ctx.queued.extend(steered.queued)
        key, values = controls.pause_answer(steered, ctx.now, _tz(territory), spoken=False)
        answer.message(say(key, **values))
    elif isinstance(command, sms_replies.Available):
        controls.available(ctx.session, volunteer, territory, ctx.now, via="sms", message_sid=sid)
        answer.message(say("sms_available"))
    elif isinstance(command, sms_replies.Rota):
        shifts = volunteer_sms.next_shifts_text(volunteer, territory, ctx.now)
        answer.message(say("sms_rota", shifts=shifts) if shifts else say("sms_rota_none"))
    elif not territory.replies_by_sms:
        # The line's SMS cannot be answered: no list of SMS commands, the ways that work instead.
        answer.message(say("sms_replies_off"))
    elif isinstance(command, sms_replies.Help):
        answer.message(say("sms_help"))
    else:
        answer.message(say("sms_not_understood"))
    return str(answer)


@bp.post("/sms-status")
@webhook("sms.status")
def sms_status(ctx: Ctx) -> str:
    """Twilio's delivery report of an SMS the line sent: recorded on its outbox row and the request's timeline."""
    message = ctx.session.get(OutboxMessage, ctx.arg_int("outbox", 0), with_for_update=True)
    sid = ctx.form.get("MessageSid")
    if message is None or message.channel != "sms" or message.provider_sid not in (None, sid):
        return str(MessagingResponse())
    message.provider_sid = sid
    new = delivery.after_report(message.status, ctx.form.get("MessageStatus") or "")
    if new is None:
        return str(MessagingResponse())
    message.status = new
    code = ctx.form.get("ErrorCode") or ""
    if new in ("undelivered", "failed") and code.isdigit():
        message.error_code = int(code)
    if new in delivery.FINAL_STATUSES:
        # The raw report joins the request's technical events; its meaning joins the timeline.
        ctx.request_id = message.request_id
        messaging.record_fate(ctx.session, message, ctx.now)
    return str(MessagingResponse())


# ---------------------------------------------------------------- when the app or the database is down


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: a useful French message and a message for a call back, without the database."""
    _journal(f"fallback {request.form.get('ErrorCode', '')}".strip())
    if request.args.get("call") == "placed":
        # A call the product placed (a call-back offer): the volunteer is told; there is no patient to record.
        return twiml_response(str(twiml.speak_and_hang_up([prompts.text("fallback_placed_call")])))
    return twiml_response(fallback_answer(runtime().config.public_base_url))


@bp.post("/fallback/recorded")
def fallback_recorded() -> Response:
    """The message left on the fallback path: journaled, replayed into the database later."""
    _journal("fallback message")
    return twiml_response(str(twiml.speak_and_hang_up([prompts.text("fallback_thanks")])))


def register(app: Any) -> None:
    """Attach the Twilio webhooks to the app (CSRF does not apply: signatures protect them)."""
    from callflows import callback_views, volunteer_line  # noqa: F401  (their routes join this blueprint first)

    app.register_blueprint(bp)
