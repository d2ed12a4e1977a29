"""The SMS sender of a line: which forms are accepted, what each means for replies and for Twilio's parameters."""

from __future__ import annotations

import pytest

from orientation.core.sms_sender import (
    InvalidSender,
    default_replies,
    message_sender_params,
    parse_sender,
    replies_on,
    sender_kind,
)

SERVICE = "MG" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("raw", "stored", "kind"),
    [
        (None, None, "line"),
        ("", None, "line"),
        ("   ", None, "line"),
        ("+33 1 99 00 00 09", "+33199000009", "number"),
        ("01 99 00 00 09", "+33199000009", "number"),
        ("CPTS P20", "CPTS P20", "alphanumeric"),
        ("  CPTS   P20 ", "CPTS P20", "alphanumeric"),
        ("Ligne2", "Ligne2", "alphanumeric"),
        ("ABC", "ABC", "alphanumeric"),
        (SERVICE, SERVICE, "messaging_service"),
    ],
)
def test_each_accepted_form_is_stored_normalised_and_recognised(raw: str | None, stored: str | None, kind: str) -> None:
    assert parse_sender(raw) == stored
    assert sender_kind(stored) == kind


@pytest.mark.parametrize(
    "raw",
    [
        "AB",  # shorter than 3
        "CPTS PARIS 20",  # 13 characters: Twilio's limit is 11
        "12345",  # digits only is a (bad) number, never a sender ID
        "CPTS-P20",  # hyphen is not allowed
        "CPTS É20",  # accents are not ASCII letters
    ],
)
def test_anything_else_is_refused_with_the_allowed_forms_in_the_message(raw: str) -> None:
    with pytest.raises(InvalidSender) as refused:
        parse_sender(raw)
    assert "E.164" in str(refused.value) or "not a valid phone number" in str(refused.value)


def test_a_short_mg_word_is_an_alphanumeric_name_and_a_long_bad_sid_is_refused() -> None:
    assert sender_kind(parse_sender("MG0123")) == "alphanumeric"
    with pytest.raises(InvalidSender):
        parse_sender("MG" + "z" * 32)


def test_replies_default_to_true_for_a_number_and_false_for_a_name_or_a_service() -> None:
    assert default_replies(None) and default_replies("+33199000009")
    assert not default_replies("CPTS P20") and not default_replies(SERVICE)


def test_an_explicit_replies_setting_wins_over_the_sender_default() -> None:
    assert replies_on("CPTS P20", True) is True
    assert replies_on(None, False) is False
    assert replies_on("CPTS P20", None) is False


def test_a_messaging_service_is_named_by_messaging_service_sid_and_anything_else_by_from() -> None:
    assert message_sender_params(SERVICE) == {"messaging_service_sid": SERVICE}
    assert message_sender_params("CPTS P20") == {"from_": "CPTS P20"}
    assert message_sender_params("+33199000001") == {"from_": "+33199000001"}
