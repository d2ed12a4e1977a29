"""What became of a request's SMS and calls, as the console's timeline says it."""

from __future__ import annotations

from orientation.web.console.timeline import describe, is_technical


def test_a_failed_sms_is_told_with_its_purpose_and_twilio_code() -> None:
    payload = {"channel": "sms", "purpose": "outcome_request", "error_code": 21614}
    assert describe("outbox.failed", payload, {}) == (
        "SMS « demande d'issue au volontaire » en échec (erreur Twilio 21614)"
    )
    assert not is_technical("outbox.failed")


def test_a_delivered_sms_and_an_unanswered_call_create_read_plainly() -> None:
    assert describe("outbox.delivered", {"channel": "sms", "purpose": "patient_callback"}, {}) == (
        "SMS « confirmation au patient » remis"
    )
    assert describe("outbox.uncertain", {"channel": "call", "purpose": "callback_offer"}, {}) == (
        "Appel « appel de proposition de rappel » sans réponse de Twilio (non relancé)"
    )


def test_the_raw_delivery_report_stays_with_the_technical_events() -> None:
    assert is_technical("sms.status")
