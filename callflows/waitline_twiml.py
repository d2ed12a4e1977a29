"""TwiML of the waiting line (pure builders): enqueue, the waitUrl document, the offer to a volunteer, dequeue.

What each document may hold comes from Twilio's pages (docs/twilio-contract.md, "Waiting line"): the waitUrl
document only Say, Pause, Gather, Redirect and Leave here; a <Queue url> document only Say (and Play, Pause,
Redirect).
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from callflows.twiml import Urls, say

# The caller hears the line's news, then this long a chance to press 1, then the news again (~30 s a turn).
WAIT_KEY_SECONDS = 20
OFFER_KEY_SECONDS = 6


def queue_name(reference: str) -> str:
    """The Twilio queue of one waiting request: its reference (nothing personal, at most 64 characters)."""
    return reference[:64]


def enqueue(urls: Urls, intro: list[str], reference: str) -> VoiceResponse:
    """Say why the caller waits and put them in their own queue; its action says how they left it."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    response.enqueue(
        queue_name(reference),
        action=urls("/twilio/queue/left", ref=reference),
        method="POST",
        wait_url=urls("/twilio/queue/wait", ref=reference),
        wait_url_method="POST",
    )
    return response


def wait_turn(urls: Urls, news: list[str], offer: str, reference: str, turn: int) -> VoiceResponse:
    """One turn of the wait: the news and the key 1 offer, a chance to press it, then the next turn.

    The closing <Redirect> to the waitUrl makes the next turn whether or not Twilio would re-request the
    waitUrl by itself once the document ends (its pages do not say). It names the next turn: a redirect may
    carry only the standard parameters, the same at every turn, and the same signed content would be taken
    for a retry of the previous turn and get its stored answer (the wait limit never checked again).
    """
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        action=urls("/twilio/queue/key", ref=reference, turn=turn),
        method="POST",
        timeout=WAIT_KEY_SECONDS,
    )
    for words in [*news, offer]:
        say(gather, words)
    response.redirect(urls("/twilio/queue/wait", ref=reference, turn=turn + 1), method="POST")
    return response


def leave_line(words: list[str]) -> VoiceResponse:
    """Say a word and leave the queue: the Enqueue action goes on (to the message step)."""
    response = VoiceResponse()
    for line in words:
        say(response, line)
    response.leave()
    return response


def back_to_wait(urls: Urls, reference: str, turn: int) -> VoiceResponse:
    """Any other key while waiting: the next turn."""
    response = VoiceResponse()
    response.redirect(urls("/twilio/queue/wait", ref=reference, turn=turn + 1), method="POST")
    return response


def hold(urls: Urls, words: str, reference: str, turn: int, seconds: int = 5) -> VoiceResponse:
    """A short hold (a volunteer is taking the caller right now), then the next turn."""
    response = VoiceResponse()
    say(response, words)
    response.pause(length=seconds)
    response.redirect(urls("/twilio/queue/wait", ref=reference, turn=turn + 1), method="POST")
    return response


def offer(urls: Urls, words: str, again: str, attempt_id: int) -> VoiceResponse:
    """The volunteer picked up the offer call: who waits and why, 1 takes the caller; two silences hang up."""
    response = VoiceResponse()
    action = urls("/twilio/queue/offer/answer", attempt=attempt_id)
    for prompt in (words, f"{again} {words}"):
        gather = response.gather(input="dtmf", num_digits=1, action=action, method="POST", timeout=OFFER_KEY_SECONDS)
        say(gather, prompt)
    response.hangup()
    return response


def dequeue(urls: Urls, words: str, reference: str, attempt_id: int) -> VoiceResponse:
    """Connect the volunteer with that one waiting caller: <Dial><Queue> of the caller's own queue."""
    response = VoiceResponse()
    say(response, words)
    dial = response.dial(action=urls("/twilio/queue/offer/done", attempt=attempt_id), method="POST")
    dial.queue(queue_name(reference), url=urls("/twilio/queue/connecting", ref=reference), method="POST")
    return response


def next_call_offer(urls: Urls, words: str, volunteer_id: int) -> VoiceResponse:
    """Crisis mode, after a call: 1 takes the next waiting caller at once; silence hangs up."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        action=urls("/twilio/queue/next", volunteer=volunteer_id),
        method="POST",
        timeout=OFFER_KEY_SECONDS,
    )
    say(gather, words)
    response.hangup()
    return response
