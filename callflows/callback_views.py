"""The call-back webhooks: the outgoing call to a volunteer on duty, who hears the request and calls back.

Twilio fetches /twilio/callback/offer when the volunteer answers the call placed by the clock process: a
notice that says nothing personal (a voicemail may record it); 1 plays the request and the patient's message
(/details), then 1 dials the patient (the line's number as caller ID, machine detection on their leg), 2
passes the request to the next volunteer.

The routes live on the "twilio" blueprint itself, so they get exactly what every /twilio/* webhook gets:
the signature check, the `webhook` decorator's idempotency, and the CSRF exemption of machine posts. This
module must be imported before that blueprint is registered (callflows.views.register does it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from twilio.twiml.voice_response import VoiceResponse

from callflows import twiml
from callflows.views import _ask_outcome
from callflows.webhooks import TERMINAL_CALL_STATUSES, Ctx, _say, bp, webhook
from orientation.core import prompts
from orientation.core.models import Attempt, Request
from orientation.services import callback_dial, callback_policy, callbacks, territories
from orientation.services import requests as requests_svc

OFFER_KEY_SECONDS = 8
PATIENT_RING_SECONDS = 30


# ---------------------------------------------------------------- TwiML of the call-back (pure builders)


def offer_twiml(urls: twiml.Urls, attempt_id: int, words: str, tries: int) -> str:
    """The first words of the offer, nothing personal (a voicemail may record them): 1 to hear the request."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        action=urls("/twilio/callback/details", attempt=attempt_id),
        method="POST",
        timeout=OFFER_KEY_SECONDS,
    )
    twiml.say(gather, words)
    response.redirect(urls("/twilio/callback/offer", attempt=attempt_id, tries=tries + 1), method="POST")
    return str(response)


def details_twiml(urls: twiml.Urls, attempt_id: int, words: list[str], recording_url: str | None) -> str:
    """After a key: the request read, the patient's message played, then 1 to call back, 2 to pass."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        action=urls("/twilio/callback/answer", attempt=attempt_id),
        method="POST",
        timeout=OFFER_KEY_SECONDS,
    )
    request, message, choice = words
    twiml.say(gather, request)
    twiml.say(gather, message)
    if recording_url:
        gather.play(recording_url)
    twiml.say(gather, choice)
    # No key after hearing it: the request goes to the next volunteer (the answer webhook without Digits).
    response.redirect(urls("/twilio/callback/answer", attempt=attempt_id), method="POST")
    return str(response)


def dial_patient_twiml(urls: twiml.Urls, attempt_id: int, words: str, patient: str, caller_id: str | None) -> str:
    """Tell the volunteer the patient is being called, and dial them with the line's number as caller ID.

    Machine detection runs on the patient's leg: Twilio's `completed` includes calls a voicemail answered,
    so who answered (AnsweredBy) comes to the leg's url and status callbacks, and a voicemail is hung up on.
    """
    response = VoiceResponse()
    twiml.say(response, words)
    dial = response.dial(
        action=urls("/twilio/callback/dialed", attempt=attempt_id),
        method="POST",
        timeout=PATIENT_RING_SECONDS,
        caller_id=caller_id,
        **twiml.ring_tone_for(patient),
    )
    dial.number(
        patient,
        machine_detection="Enable",
        url=urls("/twilio/callback/patient", attempt=attempt_id),
        method="POST",
        status_callback=urls("/twilio/callback/patient/status", attempt=attempt_id),
        status_callback_event="answered completed",
        status_callback_method="POST",
    )
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
    if not territories.line_open(request.territory, ctx.now):
        return
    offer = callbacks.offer_next(ctx.session, request, ctx.now, ctx.rt.config.public_base_url, ctx.rt.live_messaging)
    if offer is not None:
        ctx.queued.append(offer.call)


def _seconds(ctx: Ctx, name: str) -> int | None:
    """A duration Twilio posted (whole seconds), None when absent or not a number."""
    raw = ctx.form.get(name) or ""
    return int(raw) if raw.isdigit() else None


def _goodbye(words: str) -> str:
    return str(twiml.speak_and_hang_up([words]))


Say = Callable[..., str]


def _volunteer_step(handler: Callable[[Ctx, Attempt, Say], str]) -> Callable[[Ctx], str]:
    """The preamble of the webhooks the volunteer hears: their call-back attempt (row-locked) and the territory's
    wording, or a goodbye when the attempt is unknown."""

    @wraps(handler)
    def step(ctx: Ctx) -> str:
        attempt = _attempt(ctx)
        if attempt is None:
            return _goodbye(prompts.text("callback_gone"))
        return handler(ctx, attempt, _say(attempt.request.territory))

    return step


# ---------------------------------------------------------------- the webhooks


@bp.post("/callback/offer")
@webhook("callback.offer")
@_volunteer_step
def callback_offer(ctx: Ctx, attempt: Attempt, say: Say) -> str:
    """The volunteer answered: a neutral notice first; 1 to hear the request."""
    request = attempt.request
    territory = request.territory
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
    return offer_twiml(ctx.urls, attempt.id, say("callback_offer", territory=territory.name), tries)


@bp.post("/callback/details")
@webhook("callback.details")
@_volunteer_step
def callback_details(ctx: Ctx, attempt: Attempt, say: Say) -> str:
    """The volunteer pressed 1 at the notice: now the request and the patient's message, then the choice."""
    request = attempt.request
    territory = request.territory
    if not callbacks.still_offered(attempt):
        return _goodbye(say("callback_gone"))
    if (ctx.form.get("Digits") or "").strip() != "1":
        # Another key: the notice again, as one more try (a third without 1 passes the request on).
        return offer_twiml(ctx.urls, attempt.id, say("callback_offer", territory=territory.name),
                           ctx.arg_int("tries", 1) + 1)  # fmt: skip
    where = (
        say("screening_postcode", postcode=prompts.spoken_postcode(request.postcode))
        if request.postcode
        else say("screening_no_postcode")
    )
    words = [
        say("callback_request", request=prompts.motive_request(request.motive), postcode=where),
        say("callback_message") if request.recording_url else say("callback_no_message"),
        say("callback_choice"),
    ]
    return details_twiml(ctx.urls, attempt.id, words, request.recording_url)


@bp.post("/callback/answer")
@webhook("callback.answer")
@_volunteer_step
def callback_answer(ctx: Ctx, attempt: Attempt, say: Say) -> str:
    """The volunteer's key: 1 dials the patient now, anything else (or nothing) passes the request on."""
    request = attempt.request
    territory = request.territory
    digits = (ctx.form.get("Digits") or "").strip()
    if digits == "1":
        if not request.caller or not callbacks.accept(ctx.session, attempt, ctx.now):
            return _goodbye(say("callback_gone"))
        return dial_patient_twiml(ctx.urls, attempt.id, say("callback_dialing"), request.caller, territory.main_number)
    if callbacks.pass_on(ctx.session, attempt, "declined" if digits else "no_answer", ctx.now):
        _offer_next(ctx, request)
    return _goodbye(say("callback_passed"))


@bp.post("/callback/patient")
@webhook("callback.patient")
def callback_patient(ctx: Ctx) -> str:
    """The patient's leg answered (its <Number url>): a voicemail is hung up on, a person is put through."""
    attempt = _attempt(ctx)
    if attempt is None:
        return str(twiml.speak_and_hang_up([]))
    answered_by = ctx.form.get("AnsweredBy")
    callback_dial.note_patient_leg(ctx.session, attempt, "in-progress", answered_by, None, ctx.now)
    if callback_policy.answered_by_machine(answered_by):
        # Nothing is said: a voicemail must not record the line's name next to the patient's number.
        return str(twiml.speak_and_hang_up([]))
    return str(VoiceResponse())


@bp.post("/callback/patient/status")
@webhook("callback.patient_status")
def callback_patient_status(ctx: Ctx) -> str:
    """Status callbacks of the patient's leg: answered (with AnsweredBy, if sent here) and how it ended."""
    attempt = _attempt(ctx)
    if attempt is not None:
        seconds = _seconds(ctx, "CallDuration")
        callback_dial.note_patient_leg(
            ctx.session, attempt, ctx.form.get("CallStatus"), ctx.form.get("AnsweredBy"), seconds, ctx.now
        )
    return twiml.empty()


@bp.post("/callback/dialed")
@webhook("callback.dialed")
def callback_dialed(ctx: Ctx) -> str:
    """The patient's phone was dialled: reached (ask the outcome), or counted as missed (retry or unreachable)."""
    attempt = _attempt(ctx)
    if attempt is None:
        return twiml.empty()
    request = attempt.request
    seconds = _seconds(ctx, "DialCallDuration")
    bridged_raw = ctx.form.get("DialBridged")
    bridged = None if bridged_raw is None else bridged_raw.lower() == "true"
    leg = callback_dial.patient_leg(ctx.session, attempt)
    answered_by = ctx.form.get("AnsweredBy") or leg.answered_by
    dial_status = (ctx.form.get("DialCallStatus") or "").lower()
    if (ctx.form.get("CallStatus") or "").lower() in TERMINAL_CALL_STATUSES and dial_status != "completed":
        # The volunteer's own call is over (CallStatus is theirs): they hung up, the patient missed nothing.
        dial_status = "canceled"
    outcome = callback_dial.patient_dialled(
        ctx.session, attempt, dial_status, seconds, ctx.now, ctx.rt.live_messaging, answered_by, bridged
    )
    return _after_dial(ctx, request, attempt, outcome)


def _after_dial(ctx: Ctx, request: Request, attempt: Attempt, outcome: callback_dial.DialOutcome) -> str:
    """What the volunteer hears once the patient's dial is judged, and what follows it."""
    territory = request.territory
    say = _say(territory)
    ctx.queued.extend(outcome.notices)
    if outcome.result == "reached":
        _ask_outcome(ctx, request, territory, attempt)
        return _goodbye(say("callback_reached"))
    if outcome.result == "passed":
        _offer_next(ctx, request)
        return _goodbye(say("callback_passed"))
    first = [say("callback_voicemail")] if outcome.voicemail else []
    if outcome.result == "unreachable":
        return str(twiml.speak_and_hang_up([*first, say("callback_last_try")]))
    if outcome.result == "retry":
        return str(twiml.speak_and_hang_up([*first, say("callback_not_reached")]))
    return _goodbye(say("goodbye"))


@bp.post("/callback/status")
@webhook("callback.status")
def callback_status(ctx: Ctx) -> str:
    """Status of the call to the volunteer: not answered, busy or hung up without a key passes the request on;
    hung up while the patient was dialled, with no <Dial> action, settles that dial from the patient's leg."""
    attempt = _attempt(ctx)
    call_status = (ctx.form.get("CallStatus") or "").lower()
    result = callback_policy.OFFER_RESULT_FOR_STATUS.get(call_status)
    if attempt is not None:
        callbacks.call_placed(ctx.session, attempt, ctx.form.get("CallSid"))
    if attempt is None or result is None:
        return twiml.empty()
    callbacks.answered(attempt, ctx.form.get("CallSid"))
    if attempt.result == "accepted":
        outcome = callback_dial.volunteer_hung_up(ctx.session, attempt, ctx.now, ctx.rt.live_messaging)
        if outcome is not None:
            _after_dial(ctx, attempt.request, attempt, outcome)  # nobody hears it: the volunteer is gone
        return twiml.empty()
    if callbacks.pass_on(ctx.session, attempt, result, ctx.now):
        _offer_next(ctx, attempt.request)
    return twiml.empty()
