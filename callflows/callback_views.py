"""The call-back webhooks: the outgoing call to a volunteer on duty, who hears the request and calls back.

Twilio fetches /twilio/callback/offer when the volunteer answers the call placed by the clock process;
1 dials the patient (the line's number as caller ID), 2 passes the request to the next volunteer.

The routes live on the "twilio" blueprint itself, so they get exactly what every /twilio/* webhook gets:
the signature check, the `webhook` decorator's idempotency, and the CSRF exemption of machine posts. This
module must be imported before that blueprint is registered (callflows.views.register does it).
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from callflows import prompts, twiml
from callflows.views import Ctx, _ask_outcome, _say, bp, webhook
from orientation.models import Attempt, Request
from orientation.services import callbacks
from orientation.services import requests as requests_svc

OFFER_KEY_SECONDS = 8
PATIENT_RING_SECONDS = 30


# ---------------------------------------------------------------- TwiML of the call-back (pure builders)


def offer_twiml(urls: twiml.Urls, attempt_id: int, words: list[str], recording_url: str | None, tries: int) -> str:
    """The request read to the volunteer, the patient's message played, then 1 to call back, 2 to pass."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        action=urls("/twilio/callback/answer", attempt=attempt_id),
        method="POST",
        timeout=OFFER_KEY_SECONDS,
    )
    intro, message, choice = words
    twiml.say(gather, intro)
    twiml.say(gather, message)
    if recording_url:
        gather.play(recording_url)
    twiml.say(gather, choice)
    response.redirect(urls("/twilio/callback/offer", attempt=attempt_id, tries=tries + 1), method="POST")
    return str(response)


def dial_patient_twiml(urls: twiml.Urls, attempt_id: int, words: str, patient: str, caller_id: str | None) -> str:
    """Tell the volunteer the patient is being called, and dial them with the line's number as caller ID."""
    response = VoiceResponse()
    twiml.say(response, words)
    dial = response.dial(
        action=urls("/twilio/callback/dialed", attempt=attempt_id),
        method="POST",
        timeout=PATIENT_RING_SECONDS,
        caller_id=caller_id,
    )
    dial.number(patient)
    return str(response)


# ---------------------------------------------------------------- helpers


def _attempt(ctx: Ctx) -> Attempt | None:
    # As on the live path: the request is row-locked first, so two callbacks of one call-back take turns.
    attempt = requests_svc.lock_attempt(ctx.session, ctx.arg_int("attempt", 0))
    if attempt is None or attempt.kind != "callback":
        return None
    ctx.request = attempt.request
    return attempt


def _offer_next(ctx: Ctx, request: Request) -> None:
    """Hand the request to the next volunteer on duty, now, while the line is open."""
    if not callbacks.line_open(request.territory, ctx.now):
        return
    offer = callbacks.offer_next(ctx.session, request, ctx.now, ctx.rt.config.public_base_url, ctx.rt.live_messaging)
    if offer is not None:
        ctx.queued.append(offer.call)


def _goodbye(words: str) -> str:
    return str(twiml.speak_and_hang_up([words]))


# ---------------------------------------------------------------- the webhooks


@bp.post("/callback/offer")
@webhook("callback.offer")
def callback_offer(ctx: Ctx) -> str:
    """The volunteer answered: the request, the patient's message, then 1 to call back, 2 to pass."""
    attempt = _attempt(ctx)
    if attempt is None:
        return _goodbye(prompts.text("callback_gone"))
    request = attempt.request
    territory = request.territory
    say = _say(territory)
    callbacks.call_placed(ctx.session, attempt, ctx.form.get("CallSid"))
    if not callbacks.still_offered(attempt):
        return _goodbye(say("callback_gone"))
    callbacks.answered(attempt, ctx.form.get("CallSid"))
    tries = ctx.arg_int("tries", 1)
    if tries > 2:
        # Twice without a key: a voicemail, or someone who cannot answer now. The next volunteer is asked.
        callbacks.pass_on(ctx.session, attempt, "no_answer", ctx.now)
        _offer_next(ctx, request)
        return _goodbye(say("callback_passed"))
    where = (
        say("screening_postcode", postcode=" ".join(request.postcode))
        if request.postcode
        else say("screening_no_postcode")
    )
    intro = say("callback_offer", territory=territory.name, motive=prompts.motive_label(request.motive), postcode=where)
    message = say("callback_message") if request.recording_url else say("callback_no_message")
    words = [intro, message, say("callback_choice")]
    return offer_twiml(ctx.urls, attempt.id, words, request.recording_url, tries)


@bp.post("/callback/answer")
@webhook("callback.answer")
def callback_answer(ctx: Ctx) -> str:
    """The volunteer's key: 1 dials the patient now, anything else passes the request on."""
    attempt = _attempt(ctx)
    if attempt is None:
        return _goodbye(prompts.text("callback_gone"))
    request = attempt.request
    territory = request.territory
    say = _say(territory)
    if (ctx.form.get("Digits") or "").strip() == "1":
        if not request.caller or not callbacks.accept(ctx.session, attempt, ctx.now):
            return _goodbye(say("callback_gone"))
        return dial_patient_twiml(ctx.urls, attempt.id, say("callback_dialing"), request.caller, territory.main_number)
    if callbacks.pass_on(ctx.session, attempt, "declined", ctx.now):
        _offer_next(ctx, request)
    return _goodbye(say("callback_passed"))


@bp.post("/callback/dialed")
@webhook("callback.dialed")
def callback_dialed(ctx: Ctx) -> str:
    """The patient's phone was dialled: reached (ask the outcome), or counted as missed (retry or unreachable)."""
    attempt = _attempt(ctx)
    if attempt is None:
        return twiml.empty()
    request = attempt.request
    territory = request.territory
    say = _say(territory)
    raw_seconds = ctx.form.get("DialCallDuration") or ""
    seconds = int(raw_seconds) if raw_seconds.isdigit() else None
    outcome = callbacks.patient_dialled(
        ctx.session, attempt, ctx.form.get("DialCallStatus"), seconds, ctx.now, ctx.rt.live_messaging
    )
    ctx.queued.extend(outcome.notices)
    if outcome.result == "reached":
        _ask_outcome(ctx, request, territory, attempt)
        return _goodbye(say("callback_reached"))
    if outcome.result == "passed":
        _offer_next(ctx, request)
        return _goodbye(say("callback_passed"))
    if outcome.result == "unreachable":
        return _goodbye(say("callback_last_try"))
    if outcome.result == "retry":
        return _goodbye(say("callback_not_reached"))
    return _goodbye(say("goodbye"))


@bp.post("/callback/status")
@webhook("callback.status")
def callback_status(ctx: Ctx) -> str:
    """Status of the call to the volunteer: not answered, busy or hung up without a key passes the request on."""
    attempt = _attempt(ctx)
    call_status = (ctx.form.get("CallStatus") or "").lower()
    result = callbacks.OFFER_RESULT_FOR_STATUS.get(call_status)
    if attempt is not None:
        callbacks.call_placed(ctx.session, attempt, ctx.form.get("CallSid"))
    if attempt is None or result is None:
        return twiml.empty()
    callbacks.answered(attempt, ctx.form.get("CallSid"))
    if callbacks.pass_on(ctx.session, attempt, result, ctx.now):
        _offer_next(ctx, attempt.request)
    return twiml.empty()
