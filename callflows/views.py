"""The patient's call: the inbound call, menu, postcode, rings, screening and the message step."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callflows import crisis, flow, twiml, volunteer_line, waitline_twiml
from callflows.line_hours import line_open
from callflows.outcome_ask import outcome_body
from callflows.webhooks import (
    TERMINAL_CALL_STATUSES,
    Ctx,
    _attempt,
    _current_request,
    _say,
    _sms,
    bp,
    webhook,
)
from orientation.core import lifecycle, prompts
from orientation.core.models import Attempt, Request, Territory
from orientation.core.phones import spoken_digits
from orientation.services import (
    attempts,
    dial_step,
    inbound,
    menu_step,
    postcode_step,
    screening,
    territories,
    waitline,
)
from orientation.services import requests as svc
from orientation.services.outcomes import form_link
from orientation.services.rows import defer_changes
from volunteers.services import on_duty_volunteers


def _route(ctx: Ctx, req: Request, territory: Territory, intro: list[str], nobody_free: bool = False) -> str:
    offer = attempts.offer_next(ctx.session, req, territory, ctx.now, nobody_free)
    if offer is None:
        hunt_over = attempts.wait_exceeded(req, territory, ctx.now)
        if not hunt_over and waitline.should_wait(ctx.session, req, territory, ctx.now):
            # Every volunteer who could answer is on a call: the caller waits in line for the first one free.
            waitline.join(ctx.session, req, ctx.now)
            intro = [*intro, _say(territory)("waitline_joined")]
            return str(waitline_twiml.enqueue(ctx.urls, intro, req.reference))
        return _nobody_available(ctx, req, territory, intro)
    return str(
        twiml.ring_volunteer(
            ctx.urls,
            intro,
            offer.attempt_id,
            offer.phone,
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


# ---------------------------------------------------------------- the patient's call


@bp.post("/voice")
@webhook("voice.incoming")
def voice(ctx: Ctx) -> str:
    """An inbound call: record the request first, then welcome, emergency notice, hours, menu."""
    call_sid = ctx.form.get("CallSid")
    # One statement: the line, whether a volunteer calls it, whether this call already has its request.
    found = inbound.inbound_call(ctx.session, ctx.form.get("To"), ctx.form.get("From"), call_sid) if call_sid else None
    if found is None or not call_sid:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    line = found.line
    if (volunteer_menu := volunteer_line.offer_menu(ctx, line, found.volunteer_calling)) is not None:
        return volunteer_menu
    is_open_now, reopens = line_open(line.opening_hours, line.holiday_subdivision, line.timezone, ctx.now)
    then = "in_menu" if is_open_now else None
    caller = ctx.form.get("From")
    req = inbound.open_call_request(ctx.session, line, call_sid, caller, ctx.now, then, found.request_id)
    ctx.request_id = req.id
    say = line.say()
    welcome = say("welcome", territory=line.name)
    announced = crisis.announcement_for(line)  # crisis mode: the coordinator's words, after the welcome
    if not is_open_now:
        inbound.note(ctx.session, req.id, "line.closed", ctx.now)
        if reopens is None:
            closed = say("closed_never")
        else:
            tz = ZoneInfo(line.timezone)
            when = prompts.spoken_when(reopens.astimezone(tz), ctx.now.astimezone(tz).date())
            closed = say("closed", reopens=when)
        return str(twiml.leave_message(ctx.urls, [welcome, *announced, closed, say("closed_message")], req.reference))
    return twiml.menu_document(ctx.urls, (welcome, *announced), say("menu"), 1)


@bp.post("/voice/menu")
@webhook("voice.menu")
def menu(ctx: Ctx) -> str:
    """The motive menu's answer: a key, French words, or silence (twice: go on as orientation)."""
    # Core statements over the few columns it needs: no ORM load of the request and the wide territory row.
    found = menu_step.current(ctx.session, ctx.form["CallSid"], ctx.form.get("To"), ctx.form.get("From"), ctx.now)
    if found is None:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    ctx.request_id = found.id
    say = prompts.worded(found.prompts)
    tries = ctx.arg_int("attempt", 1)
    answer = flow.parse_menu_input(ctx.form.get("Digits"), ctx.form.get("SpeechResult"))
    step = flow.after_menu(answer, tries)
    writes = menu_step.writes_for(step.motive, step.not_understood, step.defaulted, found.motive)
    menu_step.record(ctx.session, found, writes, ctx.now)
    if step.ask_again:
        if step.not_understood:
            return str(twiml.menu(ctx.urls, [say("menu_not_understood")], say("menu"), tries + 1))
        return str(twiml.menu(ctx.urls, [], say("menu"), tries))
    assert step.motive is not None
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
    tries = ctx.arg_int("attempt", 1)
    step = flow.after_postcode(flow.parse_postcode(ctx.form.get("Digits"), ctx.form.get("SpeechResult")), tries)
    nobody_free = False
    if not step.ask_again:
        # The common path (postcode_step): a first ring, without loading the request as objects.
        found = postcode_step.current(ctx.session, ctx.form["CallSid"])
        if found is not None and postcode_step.on_common_path(found, step.postcode, ctx.now):
            first = postcode_step.ring(ctx.session, found, ctx.now)
            if first.rung is not None:
                return _rung(ctx, found, step.postcode, first.rung)
            nobody_free = first.nobody_free
    # The general way (nothing written yet).
    body = _postcode(ctx, step, tries, nobody_free)
    if ctx.request is not None:
        # The request's new postcode and status: one Core UPDATE instead of the unit of work at the commit, in
        # the statement of the webhook's event rows on PostgreSQL.
        defer_changes(ctx.session, ctx.request)
    return body


def _rung(ctx: Ctx, found: postcode_step.PostcodeRequest, postcode: str | None, rung: attempts.Ring) -> str:
    """The common path's answer: the postcode and the ring recorded, the volunteer's phone rung."""
    ctx.request_id = found.id
    postcode_step.record(ctx.session, found, postcode, rung, ctx.now)
    say = prompts.worded(found.prompts)
    intro = [say("postcode_skipped"), say("searching")] if postcode is None else [say("searching")]
    caller_id, seconds = found.main_number, found.ring_seconds
    return str(
        twiml.ring_volunteer(ctx.urls, intro, rung.attempt_id, rung.phone, caller_id=caller_id, ring_seconds=seconds)
    )


def _postcode(ctx: Ctx, step: flow.PostcodeStep, tries: int, nobody_free: bool) -> str:
    found = _current_request(ctx)
    if found is None:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    req, territory = found
    say = _say(territory)
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
    return _route(ctx, req, territory, intro, nobody_free)


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
    if dial_step.may_be_settled(ctx.form.get("DialCallStatus")):
        # An answered ring its leg's end may have settled already: a Core read of a few columns answers it then.
        state = dial_step.read(ctx.session, ctx.arg_int("attempt", 0))
        if state is not None and dial_step.already_settled(state.result, state.ended):
            ctx.request_id = state.request_id
            return str(twiml.speak_and_hang_up([prompts.text("goodbye", overrides=state.prompts)]))
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
        result = attempts.finish_attempt(ctx.session, attempt, ctx.form.get("DialCallStatus"), bridged, ctx.now)
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
    volunteer = attempts.volunteer_by_id(ctx.session, attempt.volunteer_id)
    if volunteer is None:
        return
    say = _say(territory)
    config = ctx.rt.config
    link = form_link(config.public_base_url, config.secret_key, req.id, volunteer.id, ctx.now)
    body = outcome_body(say, territory.replies_by_sms, req.reference, req.motive, req.postcode, link)
    _sms(ctx, territory, volunteer.phone, body, "outcome_request")


@bp.post("/voice/screen")
@webhook("voice.screen")
def screen(ctx: Ctx) -> str:
    """The volunteer picked up: say who calls and why; only a 1 takes the call."""
    # Core statements over the few columns it needs, as screen_answer: no ORM load of the three wide rows.
    screened = screening.lock(ctx.session, ctx.arg_int("attempt", 0))
    if screened is None:
        return str(twiml.speak_and_hang_up([prompts.text("screening_gone")]))
    ctx.request_id = screened.request_id
    say = prompts.worded(screened.prompts)
    if screened.status != "routing" or screened.result is not None:
        return str(twiml.speak_and_hang_up([say("screening_gone")]))
    screening.keep_leg_call_sid(ctx.session, screened, ctx.form["CallSid"])
    where = (
        say("screening_postcode", postcode=prompts.spoken_postcode(screened.postcode))
        if screened.postcode
        else say("screening_no_postcode")
    )
    request = prompts.motive_request(screened.motive)
    words = say("screening", territory=screened.territory_name, request=request, postcode=where)
    return str(twiml.screening(ctx.urls, words, say("screening_again"), screened.attempt_id))


_SCREENING_PROMPTS = {"connecting": "screening_connecting", "gone": "screening_gone", "declined": "screening_declined"}


@bp.post("/voice/screen/answer")
@webhook("voice.screen_answer")
def screen_answer(ctx: Ctx) -> str:
    """The volunteer's key: 1 bridges (recorded now, by us), anything else hangs up their leg."""
    # Core statements over the few columns it needs: no ORM load of the attempt, request and territory.
    screened = screening.lock(ctx.session, ctx.arg_int("attempt", 0))
    if screened is None:
        return str(twiml.speak_and_hang_up([prompts.text("screening_gone")]))
    ctx.request_id = screened.request_id
    said = screening.answer(ctx.session, screened, flow.screening_accepts(ctx.form.get("Digits")), ctx.now)
    text = prompts.text(_SCREENING_PROMPTS[said], overrides=screened.prompts)
    if said == "connecting":
        return str(twiml.bridge(text))
    return str(twiml.speak_and_hang_up([text]))


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


def register(app: Any) -> None:
    """Attach the Twilio webhooks to the app (CSRF does not apply: signatures protect them)."""
    # Their routes join this blueprint first.
    from callflows import callback_views, status_views, volunteer_line, waitline_views  # noqa: F401

    app.register_blueprint(bp)
