"""The waiting line's webhooks: the caller's turns in their queue, and the offer calls to free volunteers.

The caller side: /queue/wait (the Enqueue waitUrl: position, estimate, key 1), /queue/key, /queue/left (the
Enqueue action: message step, caller gone, or conversation over) and /queue/connecting (<Queue url>). The
volunteer side: /queue/offer (they picked up the offer call), /queue/offer/answer (1 takes the caller),
/queue/offer/done (the <Dial><Queue> is over), /queue/offer/status, /queue/next (crisis: the next caller)
and /queue/taken (a colleague was first). The routes join the "twilio" blueprint (views.register).
"""

from __future__ import annotations

from callflows import flow, twiml
from callflows import waitline_twiml as wtwiml
from callflows.views import _ask_outcome, _nobody_available
from callflows.webhooks import TERMINAL_CALL_STATUSES, Ctx, _attempt, _say, bp, webhook
from orientation.core import prompts
from orientation.core import waitline as wl
from orientation.core.models import Attempt, Request, Territory
from orientation.core.runtime import Runtime
from orientation.services import attempts, callbacks, waitline
from orientation.services import requests as svc
from volunteers.models import Volunteer

# The offer call's status → the attempt's result, when the volunteer never pressed 1.
_UNANSWERED = {"no-answer": "no_answer", "busy": "busy", "failed": "failed", "canceled": "cancelled"}


def _waiting_request(ctx: Ctx) -> Request | None:
    req = svc.request_by_reference(ctx.session, ctx.args.get("ref", ""), lock=True)
    if req is not None:
        ctx.request = req
    return req


def offer_line(ctx: Ctx, territory_id: int) -> None:
    """Offer the line's callers to whoever is free now; the calls leave once our answer is sent."""
    if not waitline.someone_waits(ctx.session, territory_id):
        return  # nearly every call ends with nobody waiting: neither the territory nor the line is read
    territory = ctx.session.get(Territory, territory_id)
    if territory is not None:
        _offer(ctx, territory)


def _offer(ctx: Ctx, territory: Territory) -> None:
    offers = waitline.dispatch(ctx.session, territory, ctx.now, ctx.rt.config.public_base_url, ctx.rt.live_messaging)
    if offers:
        ctx.session.flush()
        ctx.queued.extend(o.call for o in offers)


def release_rivals(ctx: Ctx, attempts: list[Attempt]) -> None:
    """Settle the other offers of a caller and, once answered, end their calls through the REST API: a phone
    still ringing is cancelled, a volunteer already listening is told a colleague took the call."""
    to_end = waitline.release(ctx.session, attempts, ctx.now)
    rt, urls = ctx.rt, ctx.urls
    taken = {a.leg_call_sid: a.id for a in attempts if a.leg_call_sid}
    for sid, picked_up in to_end:
        url = urls("/twilio/queue/taken", attempt=taken.get(sid, 0)) if picked_up else None
        ctx.after.append(lambda sid=sid, url=url: _end_call(rt, sid, url))  # type: ignore[misc]


def _end_call(rt: Runtime, sid: str, url: str | None) -> None:
    update = getattr(rt.sender, "update_call", None)
    if update is None:
        return  # demo mode: no call was placed
    if url is None:
        update(sid, status="canceled")
    else:
        update(sid, url=url)


def call_back_if_opted_in(ctx: Ctx, req: Request) -> None:
    """A caller who hung up while waiting is called back, as a message would be, when the territory opts in
    (settings["callback_after_hang_up"]) and the number is a mobile; else the request stays abandoned."""
    # The territory is read last: nearly every call ends without having hung up in the line.
    if req.wait_end != wl.HUNG_UP or req.status != "abandoned" or not waitline.calls_back_after_hang_up(req.territory):
        return
    if not (req.caller and req.caller_is_mobile):
        return
    offer = callbacks.trigger_now(
        ctx.session, req, ctx.now, "line", ctx.rt.config.public_base_url, ctx.rt.live_messaging
    )
    if offer is not None:
        ctx.queued.append(offer.call)


def _delete_queue(rt: Runtime, sid: str) -> None:
    delete = getattr(rt.sender, "delete_queue", None)
    if delete is not None:
        delete(sid)


def caller_gone(ctx: Ctx, req: Request) -> None:
    """The caller hung up while waiting: their wait is recorded and their offers released (once)."""
    if waitline.leave(ctx.session, req, wl.HUNG_UP, ctx.now):
        release_rivals(ctx, [a for a in req.attempts if a.kind == waitline.KIND and a.result is None])


# ---------------------------------------------------------------- the caller in the line


@bp.post("/queue/wait")
@webhook("queue.wait")
def queue_wait(ctx: Ctx) -> str:
    """A turn of the wait (the Enqueue waitUrl): leave at the limit, else position, estimate and key 1."""
    req = _waiting_request(ctx)
    if req is None:
        return str(wtwiml.leave_line([]))
    territory = req.territory
    say = _say(territory)
    if not waitline.is_waiting(req):
        if req.status == "connected":
            # A volunteer took the caller: their <Dial><Queue> is about to connect them.
            return str(wtwiml.hold(ctx.urls, say("waitline_hold"), req.reference, ctx.arg_int("turn", 0)))
        return str(wtwiml.leave_line([]))
    assert req.wait_started_at is not None
    if wl.wait_limit_passed(req.wait_started_at, ctx.now, territory.queue_wait_limit_seconds):
        waitline.leave(ctx.session, req, wl.WAIT_LIMIT, ctx.now)
        return str(wtwiml.leave_line([say("waitline_limit")]))
    # Every turn is also a chance to offer the line (the clock job does it too, every few seconds); this caller
    # waits, so the line is not probed first.
    _offer(ctx, territory)
    news = waitline.news(ctx.session, req, territory, ctx.now)
    words = [say("waitline_position", rank=prompts.spoken_rank(news.position))]
    if news.estimate_seconds is not None:
        words.append(say("waitline_estimate", wait=prompts.spoken_duration(news.estimate_seconds)))
    turn = ctx.arg_int("turn", 0)
    return str(wtwiml.wait_turn(ctx.urls, words, say("waitline_leave_offer"), req.reference, turn))


@bp.post("/queue/key")
@webhook("queue.key")
def queue_key(ctx: Ctx) -> str:
    """A key pressed while waiting: 1 leaves the line for the message step; any other, the next turn."""
    req = _waiting_request(ctx)
    if req is None:
        return str(wtwiml.leave_line([]))
    say = _say(req.territory)
    if waitline.is_waiting(req) and wl.leaves_by_key(ctx.form.get("Digits")):
        waitline.leave(ctx.session, req, wl.CHOSE_MESSAGE, ctx.now)
        release_rivals(ctx, [a for a in req.attempts if a.kind == waitline.KIND and a.result is None])
        return str(wtwiml.leave_line([say("waitline_chose_message")]))
    return str(wtwiml.back_to_wait(ctx.urls, req.reference, ctx.arg_int("turn", 0)))


@bp.post("/queue/left")
@webhook("queue.left")
def queue_left(ctx: Ctx) -> str:
    """The Enqueue action: after a bridge, goodbye; after <Leave>, the message step; the caller gone, recorded."""
    req = _waiting_request(ctx)
    if req is None:
        return str(twiml.speak_and_hang_up([prompts.text("goodbye")]))
    territory = req.territory
    say = _say(territory)
    result = (ctx.form.get("QueueResult") or "").lower()
    queue_sid = ctx.form.get("QueueSid") or ""
    if queue_sid.startswith("QU"):
        # The caller's own queue is empty now and would persist in the account: it is deleted.
        rt = ctx.rt
        ctx.after.append(lambda: _delete_queue(rt, queue_sid))
    caller_status = (ctx.form.get("CallStatus") or "").lower()
    if result == "hangup" or caller_status in TERMINAL_CALL_STATUSES:
        caller_gone(ctx, req)
        if not svc.has_event(ctx.session, req, "call.ended"):
            svc.call_ended(ctx.session, req, caller_status or "completed", ctx.now)
            call_back_if_opted_in(ctx, req)
        offer_line(ctx, territory.id)
        return twiml.empty()
    if result == "bridged" or req.status != "routing":
        return str(twiml.speak_and_hang_up([say("goodbye")]))
    if req.wait_ended_at is None:
        # Out of the queue for a reason of Twilio's (queue-full, error, system-error, redirected): not a choice
        # of the caller's nor the limit; the wait ends here, without a "how".
        req.wait_ended_at = ctx.now
        svc.add_event(ctx.session, req, "waitline.dropped", ctx.now, {"result": result[:40]})
    release_rivals(ctx, [a for a in req.attempts if a.kind == waitline.KIND and a.result is None])
    return _nobody_available(ctx, req, territory, [])


@bp.post("/queue/connecting")
@webhook("queue.connecting")
def queue_connecting(ctx: Ctx) -> str:
    """The <Queue url> document, said to the caller before the bridge: Say only."""
    req = svc.request_by_reference(ctx.session, ctx.args.get("ref", ""))
    say = _say(req.territory) if req is not None else prompts.text
    if req is not None:
        ctx.request_id = req.id
    return str(twiml.bridge(say("waitline_connecting")))


# ---------------------------------------------------------------- the volunteer offered a waiting caller


@bp.post("/queue/offer")
@webhook("queue.offer")
def queue_offer(ctx: Ctx) -> str:
    """The volunteer picked up the offer call: who waits, for how long and why; only a 1 takes the caller."""
    attempt = _attempt(ctx)
    if attempt is None or not waitline.still_offered(attempt):
        return str(twiml.speak_and_hang_up([prompts.text("waitline_taken")]))
    req = attempt.request
    territory = req.territory
    say = _say(territory)
    if attempt.leg_call_sid is None:
        attempt.leg_call_sid = ctx.form.get("CallSid")
    assert req.wait_started_at is not None
    where = (
        say("screening_postcode", postcode=prompts.spoken_postcode(req.postcode))
        if req.postcode
        else say("screening_no_postcode")
    )
    words = say(
        "waitline_offer",
        territory=territory.name,
        waited=prompts.spoken_duration(wl.waited_seconds(req.wait_started_at, ctx.now)),
        request=prompts.motive_request(req.motive),
        postcode=where,
    )
    return str(wtwiml.offer(ctx.urls, words, say("screening_again"), attempt.id))


@bp.post("/queue/offer/answer")
@webhook("queue.offer_answer")
def queue_offer_answer(ctx: Ctx) -> str:
    """The volunteer's key: 1 claims the caller (first one wins) and dequeues them; any other passes."""
    attempt = _attempt(ctx)
    if attempt is None:
        return str(twiml.speak_and_hang_up([prompts.text("waitline_taken")]))
    req = attempt.request
    say = _say(req.territory)
    if flow.screening_accepts(ctx.form.get("Digits")):
        if waitline.take(ctx.session, attempt, ctx.now):
            release_rivals(ctx, waitline.rivals(attempt))
            return str(wtwiml.dequeue(ctx.urls, say("screening_connecting"), req.reference, attempt.id))
        if attempt.result is None:
            waitline.decline(ctx.session, attempt, "cancelled", ctx.now)
        return str(twiml.speak_and_hang_up([say("waitline_taken")]))
    waitline.decline(ctx.session, attempt, "declined", ctx.now)
    return str(twiml.speak_and_hang_up([say("screening_declined")]))


@bp.post("/queue/offer/done")
@webhook("queue.offer_done")
def queue_offer_done(ctx: Ctx) -> str:
    """The volunteer's <Dial><Queue> is over: the conversation ended (or the caller was gone)."""
    attempt = _attempt(ctx)
    if attempt is None:
        return str(twiml.speak_and_hang_up([prompts.text("goodbye")]))
    req = attempt.request
    territory = req.territory
    say = _say(territory)
    if attempts.settle_accepted(ctx.session, attempt, ctx.now, "queue_dial"):
        _ask_outcome(ctx, req, territory, attempt)
    if territory.crisis_enabled and waitline.line(ctx.session, territory.id):
        return str(wtwiml.next_call_offer(ctx.urls, say("waitline_next_call"), attempt.volunteer_id))
    offer_line(ctx, territory.id)
    return str(twiml.speak_and_hang_up([say("goodbye")]))


@bp.post("/queue/next")
@webhook("queue.next")
def queue_next(ctx: Ctx) -> str:
    """Crisis mode, after a call: on 1, the volunteer still on the line takes the next caller they can take."""
    volunteer = ctx.session.get(Volunteer, ctx.arg_int("volunteer", 0))
    if volunteer is None or not flow.screening_accepts(ctx.form.get("Digits")):
        return str(twiml.speak_and_hang_up([prompts.text("goodbye")]))
    territory = ctx.session.get(Territory, volunteer.territory_id)
    assert territory is not None
    say = _say(territory)
    attempt = waitline.take_next(ctx.session, territory, volunteer, ctx.now)
    if attempt is None:
        return str(twiml.speak_and_hang_up([say("waitline_no_next_call")]))
    ctx.request = attempt.request
    rt, here = ctx.rt, ctx.form.get("CallSid")
    for sid in waitline.drop_offer_calls(ctx.session, attempt, here):
        ctx.after.append(lambda sid=sid: _end_call(rt, sid, None))  # type: ignore[misc]
    attempt.leg_call_sid = here
    release_rivals(ctx, waitline.rivals(attempt))
    return str(wtwiml.dequeue(ctx.urls, say("screening_connecting"), attempt.request.reference, attempt.id))


@bp.post("/queue/taken")
@webhook("queue.taken")
def queue_taken(ctx: Ctx) -> str:
    """Said to a volunteer still listening to an offer a colleague took first."""
    attempt = _attempt(ctx)
    say = _say(attempt.request.territory) if attempt is not None else prompts.text
    return str(twiml.speak_and_hang_up([say("waitline_taken")]))


@bp.post("/queue/offer/status")
@webhook("queue.offer_status")
def queue_offer_status(ctx: Ctx) -> str:
    """The offer call's status: unanswered or hung up without a 1 passes the caller on; a finished
    conversation frees the volunteer; either way, the line is offered again."""
    call_status = (ctx.form.get("CallStatus") or "").lower()
    if call_status not in TERMINAL_CALL_STATUSES:
        return twiml.empty()
    attempt = _attempt(ctx)
    if attempt is None:
        return twiml.empty()
    req = attempt.request
    if attempt.result is None:
        waitline.decline(ctx.session, attempt, _UNANSWERED.get(call_status, "declined"), ctx.now)
    elif attempts.settle_accepted(ctx.session, attempt, ctx.now, "offer_status"):
        _ask_outcome(ctx, req, req.territory, attempt)
    offer_line(ctx, req.territory_id)
    return twiml.empty()
