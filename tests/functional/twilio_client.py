"""Drive the app as Twilio would: the voice engine posting signed webhooks through the Flask test client."""

from __future__ import annotations

from typing import Any

from flask import Flask

from orientation.simulator.engine import VoiceCall
from orientation.simulator.transport import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.factories import LINE_NUMBER


def transport(app: Flask, token: str = AUTH_TOKEN) -> FlaskClientTransport:
    """A transport signing with the given token."""
    return FlaskClientTransport(app.test_client(), token, PUBLIC_BASE_URL)


def call(app: Flask, from_: str = "+33611223344", to: str = LINE_NUMBER, **kwargs: Any) -> VoiceCall:
    """A new inbound call to the line, with the number's status callback set as configure-number does."""
    return VoiceCall(
        transport(app),
        f"{PUBLIC_BASE_URL}/twilio/voice",
        from_=from_,
        to=to,
        status_callback_url=f"{PUBLIC_BASE_URL}/twilio/status",
        **kwargs,
    )


def said(voice_call: VoiceCall, party: str = "caller") -> str:
    """Everything the line said to one party, as one text."""
    return " ".join(e.text for e in voice_call.events if e.kind == "say" and e.party == party)


def send_sms(app: Flask, from_: str, body: str, to: str = LINE_NUMBER, sid: str | None = None) -> str:
    """Post a signed incoming SMS webhook; returns the text of the line's reply (empty if none)."""
    import secrets
    import xml.etree.ElementTree as ET

    params = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "1" * 32,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    status, text = transport(app).post(f"{PUBLIC_BASE_URL}/twilio/sms", params)
    assert status == 200, text
    return " ".join((m.text or "") for m in ET.fromstring(text).iter("Message"))
