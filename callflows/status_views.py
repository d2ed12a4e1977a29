"""Callbacks Twilio does not read (call and recording status) and the SMS to the line's number."""

from __future__ import annotations

from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from callflows import twiml
from callflows.outcome_ask import ask_outcome
from callflows.waitline_views import call_back_if_opted_in, caller_gone, offer_line
from callflows.webhooks import TERMINAL_CALL_STATUSES, Ctx, _say, _tz, bp, webhook
from orientation.core import delivery, prompts
from orientation.core.models import OutboxMessage
from orientation.core.phones import try_e164
from orientation.services import legs, messaging
from orientation.services import requests as svc
from orientation.services import volunteer_controls as controls
from orientation.services.outcomes import apply_sms_reply
from volunteers import sms as volunteer_sms
from volunteers import sms_replies
from volunteers.models import Volunteer

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
        if call_status not in TERMINAL_CALL_STATUSES:
            # A volunteer's leg: its CallSid is kept, without loading nor locking the request for the early events.
            ctx.request_id = legs.note_leg_call_sid(ctx.session, ctx.arg_int("attempt", 0), ctx.form.get("CallSid"))
            return twiml.empty()
        # The leg is over: if its conversation was accepted, it ended now, <Dial> action or not.
        ended = legs.end_leg(ctx.session, ctx.arg_int("attempt", 0), ctx.form.get("CallSid"), ctx.now)
        if ended is not None:
            ctx.request_id = ended.request_id
            if ended.ask is not None:
                ask_outcome(ctx, ended.ask)
            # The volunteer is free again: the first caller waiting in line for them is offered.
            offer_line(ctx, ended.territory_id)
        return twiml.empty()
    # The patient's call: nothing here reads the territory, so it is not loaded with the request.
    req = svc.request_by_call(ctx.session, ctx.form.get("CallSid"), lock=True, with_territory=False)
    if req is None:
        req = svc.request_by_call(ctx.session, ctx.form.get("ParentCallSid"), lock=True, with_territory=False)
    if req is not None:
        ctx.request = req
        if call_status in TERMINAL_CALL_STATUSES and not svc.has_event(ctx.session, req, "call.ended"):
            # Neither the <Dial> action nor the leg's status told us the conversation ended: this does.
            for ask in legs.settle_call(ctx.session, req, ctx.now):
                ask_outcome(ctx, ask)
            caller_gone(ctx, req)
            svc.call_ended(ctx.session, req, call_status, ctx.now)
            call_back_if_opted_in(ctx, req)
            # A volunteer this call held is free again, or an offer of this caller was released.
            offer_line(ctx, req.territory_id)
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
