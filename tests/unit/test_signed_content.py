"""The idempotency key of a webhook covers exactly what X-Twilio-Signature covers, no more and no less."""

from __future__ import annotations

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from callflows.security import signed_content
from callflows.webhooks import idempotency_key

PAUSE = [("Body", "PAUSE"), ("From", "+33600000001"), ("MessageSid", "SM1"), ("NumMedia", "0")]


def test_the_signed_content_is_the_url_then_each_distinct_name_and_value_in_order() -> None:
    form = MultiDict([("To", "+33199000001"), ("Body", "PAUSE"), ("Body", "PAUSE"), ("Body", "DISPO")])

    assert signed_content("https://x/sms", form) == "https://x/smsBodyDISPOBodyPAUSETo+33199000001"
    # It is the very text RequestValidator signs: the signature of the form and of the text alone are equal.
    validator = RequestValidator("token")
    assert validator.compute_signature("https://x/sms", form) == validator.compute_signature(
        signed_content("https://x/sms", form), {}
    )


def test_posts_the_signature_cannot_tell_apart_share_one_key() -> None:
    key = idempotency_key("/twilio/sms", "", MultiDict(PAUSE))

    assert idempotency_key("/twilio/sms", "", MultiDict(list(reversed(PAUSE)))) == key
    assert idempotency_key("/twilio/sms", "", MultiDict([*PAUSE, ("Body", "PAUSE")])) == key
    moved = [p if p[0] != "NumMedia" else ("NumMedia0", "") for p in PAUSE]
    assert idempotency_key("/twilio/sms", "", MultiDict(moved)) == key


def test_posts_the_signature_tells_apart_have_their_own_keys() -> None:
    key = idempotency_key("/twilio/sms", "", MultiDict(PAUSE))

    assert idempotency_key("/twilio/sms", "", MultiDict([*PAUSE, ("Body", "DISPO")])) != key
    assert idempotency_key("/twilio/sms", "", MultiDict([(k, "DISPO" if k == "Body" else v) for k, v in PAUSE])) != key
    assert idempotency_key("/twilio/sms", "a=1", MultiDict(PAUSE)) != key
    assert idempotency_key("/twilio/voice", "", MultiDict(PAUSE)) != key
