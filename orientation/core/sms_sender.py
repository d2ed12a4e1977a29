"""Who the line's SMS come from: its own number, another number, an alphanumeric sender ID or a Messaging Service.

Since 2023 French mobile numbers (06/07) carry person-to-person messages only; automated messages in France go
out under an alphanumeric sender ID or a short code, which recipients cannot answer (docs/twilio-contract.md,
"SMS sender and delivery"). Pure functions: the territory API, the console and the CLI parse with them.
"""

from __future__ import annotations

import re
from typing import Literal

from orientation.core.phones import InvalidPhone, to_e164

SenderKind = Literal["line", "number", "alphanumeric", "messaging_service"]

# Twilio: at most 11 characters, ASCII letters, digits and spaces, not digits only. We ask 3 at least: a shorter
# name tells a patient nothing about who writes.
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9 ]{3,11}")
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
_NUMBER_LIKE = re.compile(r"[+0-9][0-9 .()-]*")


class InvalidSender(ValueError):
    """The text is none of the four sender forms; the message says which forms are allowed."""


def parse_sender(raw: str | None, region: str = "FR") -> str | None:
    """The stored form of an SMS sender: None (the line's number), E.164, an alphanumeric ID or an MG sid."""
    text = " ".join((raw or "").split())
    if not text:
        return None
    if _MESSAGING_SERVICE.fullmatch(text):
        return text
    if _NUMBER_LIKE.fullmatch(text):
        try:
            return to_e164(text, region)
        except InvalidPhone as exc:
            raise InvalidSender(f"not a valid phone number: {text!r}") from exc
    if _ALPHANUMERIC.fullmatch(text) and re.search(r"[A-Za-z]", text):
        return text
    raise InvalidSender(
        "an E.164 number, an alphanumeric sender ID (3 to 11 letters, digits or spaces, at least one letter) "
        "or a Messaging Service SID (MG followed by 32 hexadecimal digits)"
    )


def sender_kind(sender: str | None) -> SenderKind:
    """Which of the four forms a stored sender is."""
    if sender is None:
        return "line"
    if _MESSAGING_SERVICE.fullmatch(sender):
        return "messaging_service"
    if sender.startswith("+"):
        return "number"
    return "alphanumeric"


def default_replies(sender: str | None) -> bool:
    """Whether volunteers can answer by SMS unless told otherwise: only when the SMS come from a number."""
    # A Messaging Service may hold numbers, but in France it sends under its alphanumeric ID: assume no replies.
    return sender_kind(sender) in ("line", "number")


def replies_on(sender: str | None, replies: bool | None) -> bool:
    """Whether the line's SMS may ask for an SMS answer: the explicit setting, else the sender's default."""
    return default_replies(sender) if replies is None else replies


def message_sender_params(from_: str) -> dict[str, str]:
    """The Message resource parameter naming the sender: MessagingServiceSid for an MG sid, else From."""
    if _MESSAGING_SERVICE.fullmatch(from_):
        return {"messaging_service_sid": from_}
    return {"from_": from_}
