"""Drive the app as Twilio would: the voice engine posting signed webhooks through the Flask test client."""

from __future__ import annotations

from typing import Any

from flask import Flask

from orientation.core.runtime import Runtime
from orientation.simulator.engine import VoiceCall
from orientation.simulator.transport import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.factories import LINE_NUMBER


def runtime_of(app: Flask) -> Runtime:
    """The app's runtime: what the clock process hands its jobs."""
    runtime: Runtime = app.extensions["orientation"]
    return runtime


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


def call_to_postcode(app: Flask, key: str = "2", postcode: str = "75020", **kwargs: Any) -> VoiceCall:
    """A new call that answered the menu (`key`) and the postcode: routed, its first volunteer ringing (when one
    is free)."""
    patient = call(app, **kwargs)
    patient.start()
    patient.press(key)
    patient.press(postcode)
    return patient


def connected_call(app: Flask, from_: str = "+33611223344", key: str = "1", seconds: int = 90) -> VoiceCall:
    """A patient's call (menu `key`, postcode 75020) that a volunteer accepts with 1, then ends after `seconds`:
    its end sends the volunteer the outcome request."""
    patient = call(app, from_=from_)
    patient.start()
    patient.press(key)
    patient.press("75020")
    patient.leg_answer()
    patient.leg_press("1")
    patient.end_bridge(duration=seconds)
    return patient


def message_left(app: Flask, from_: str = "+33611223344") -> VoiceCall:
    """A patient's call for a home visit that nobody on duty answers, and the message they leave: a request
    waiting for a call back."""
    patient = call(app, from_=from_)
    patient.start()
    patient.press("2")
    patient.press("75020")
    while patient.state == "dial_leg":
        patient.leg_no_answer()
    assert patient.state == "record"
    patient.record(duration=25)
    return patient


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
