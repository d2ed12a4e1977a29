"""Twilio's part played locally: a TwiML-following voice engine and signed webhook transports."""

from orientation.simulator.engine import Event, Exchange, InvalidInput, VoiceCall
from orientation.simulator.transport import (
    FlaskClientTransport,
    HttpTransport,
    SignedTransport,
    TransportError,
)

__all__ = [
    "Event",
    "Exchange",
    "FlaskClientTransport",
    "HttpTransport",
    "InvalidInput",
    "SignedTransport",
    "TransportError",
    "VoiceCall",
]
