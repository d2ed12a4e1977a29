"""The machinery every Twilio webhook shares: the signature check, idempotent handling, the call's context
and the fallback URL that answers without the database."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from callflows import twiml
from callflows.security import is_valid_signature, signed_content, signed_url
from orientation.core import journal, prompts
from orientation.core.db import is_disconnect, is_retryable
from orientation.core.models import Attempt, Event, OutboxMessage, Request, Territory
from orientation.core.runtime import Runtime, db, runtime
from orientation.services import messaging, territories
from orientation.services import requests as svc

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
    # Work for Twilio's REST API once the answer is sent and committed (ending a released offer call).
    after: list[Callable[[], None]] = field(default_factory=list)

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
        def view(_retry: bool = True) -> Response:
            # The request's form and query once: each `request.…` goes through Flask's context-local proxy.
            form, args = request.form, request.args
            missing = [name for name in _REQUIRED.get(kind, ("CallSid",)) if not form.get(name)]
            if missing:
                return Response(f"Missing Twilio parameter: {', '.join(missing)}", status=400)
            rt = runtime()
            session = db()
            key = idempotency_key(request.path, request.query_string.decode("latin-1"), form)
            # Optimistic: nearly every callback is new, so it is handled without first looking for a stored
            # answer. A duplicate runs into the unique idempotency key (its event row), everything it did is rolled
            # back, and it gets the answer stored the first time (see _stored_answer).
            # The handler's timeline entries: plain rows, written with the callback's own row (a rerun starts afresh).
            svc.collect_timeline(session)
            try:
                ctx = Ctx(
                    session=session,
                    form=form,
                    args=args,
                    now=rt.clock(),
                    urls=twiml.Urls(rt.config.public_base_url),
                    rt=rt,
                )
                body = handler(ctx)
                payload = {k: form[k][:500] for k in KEPT_PARAMS if k in form}
                payload.update({k: v[:100] for k, v in args.items()})
                row = {
                    "request_id": ctx.request.id if ctx.request is not None else ctx.request_id,
                    "kind": kind,
                    "idempotency_key": key,
                    "payload": payload,
                    "response": body,
                    "at": ctx.now,
                }
                # The callback's row and the timeline events the handler added: one INSERT, after its changes.
                svc.flush_with_events(session, row)
                session.commit()
                svc.stop_collecting_timeline(session)
            except Exception as exc:
                session.rollback()
                svc.stop_collecting_timeline(session)
                if _retry and (is_disconnect(exc) or is_retryable(exc)):
                    # The pooled connection died with the database server (a restart): SQLAlchemy has refreshed
                    # the pool and nothing was committed, so the callback runs once more on a new connection.
                    # Or PostgreSQL broke a deadlock by aborting this callback (two callbacks of one call locking
                    # its request and attempt rows in opposite orders): once more, it waits for the other.
                    return view(_retry=False)
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
            for work in ctx.after:
                response.call_on_close(_guarded(work))
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


def _guarded(work: Callable[[], None]) -> Callable[[], None]:
    """Run after-answer work without ever raising into the server (it is logged)."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("after-answer work of a webhook failed")

    return run


def _send(rt: Runtime, ids: list[int]) -> None:
    """Hand the SMS and calls a webhook committed to Twilio; a call-back offer gets its status callback."""
    try:
        messaging.dispatch(rt.sessions, rt.sender, ids, now=rt.clock(), base_url=rt.config.public_base_url)
    except Exception:
        # Still queued: the clock's outbox job sends them on its next pass.
        log.exception("outbox dispatch after a webhook failed")


# ---------------------------------------------------------------- helpers over the current call


def _say(territory: Territory) -> Callable[..., str]:
    return prompts.speaker(territory.settings)


def _tz(territory: Territory) -> ZoneInfo:
    return ZoneInfo(territory.timezone)


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


def _attempt(ctx: Ctx) -> Attempt | None:
    attempt = svc.lock_attempt(ctx.session, ctx.arg_int("attempt", 0))
    if attempt is not None:
        ctx.request = attempt.request
    return attempt


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
