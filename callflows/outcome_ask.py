"""The SMS asking a volunteer how a conversation ended: its wording, and its outbox row from plain values."""

from __future__ import annotations

from collections.abc import Callable

from callflows.webhooks import Ctx
from orientation.core import prompts
from orientation.services import messaging
from orientation.services.legs import OutcomeAsk
from orientation.services.outcomes import form_link


def outcome_body(
    say: Callable[..., str], replies_by_sms: bool, reference: str, motive: str | None, postcode: str | None, link: str
) -> str:
    """The text of the outcome request: codes to reply by SMS and the form's link, or the link only."""
    label = prompts.motive_label(motive)
    if replies_by_sms:
        asked = say("sms_outcome_request", reference=reference, motive=label, postcode=postcode or "")
        body = f"{asked} {say('sms_outcome_link', link=link)}"
    else:
        # The sender cannot be answered (alphanumeric ID, Messaging Service): no codes to reply, the link only.
        body = say("sms_outcome_request_link", reference=reference, motive=label, postcode=postcode or "", link=link)
    return " ".join(body.split())


def ask_outcome(ctx: Ctx, ask: OutcomeAsk) -> None:
    """Queue the outcome request to the volunteer; it leaves once the webhook's answer is sent."""
    config = ctx.rt.config
    link = form_link(config.public_base_url, config.secret_key, ask.request_id, ask.volunteer_id, ctx.now)
    say = prompts.worded(ask.prompt_overrides)
    message = messaging.insert_sms(
        ctx.session,
        to=ask.phone,
        from_=ask.sms_from,
        body=outcome_body(say, ask.replies_by_sms, ask.reference, ask.motive, ask.postcode, link),
        purpose="outcome_request",
        now=ctx.now,
        territory_id=ask.territory_id,
        request_id=ask.request_id,
        live=ctx.rt.live_messaging,
    )
    ctx.queued.append(message)
