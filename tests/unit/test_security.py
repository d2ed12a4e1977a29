"""The X-Twilio-Signature check, against signatures computed by Twilio's own validator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from callflows import security
from callflows.security import is_valid_signature, other_port_form, signed_url

BASE = "https://line.example.org"
PRIMARY = "primary-auth-token-0123456789abcd"
SECONDARY = "secondary-auth-token-0123456789ab"
URL = f"{BASE}/twilio/voice/menu?attempt=1"
PARAMS = {"CallSid": "CA" + "a" * 32, "From": "+33612345678", "To": "+33140000020", "Digits": "2"}


def sign(token: str, url: str, params: object) -> str:
    """The signature Twilio would send for this URL and form."""
    return str(RequestValidator(token).compute_signature(url, params))


# ---------------------------------------------------------------- the signed URL


def test_the_signed_url_is_the_public_base_and_the_path_without_a_query() -> None:
    assert signed_url(BASE, "/twilio/voice", "") == f"{BASE}/twilio/voice"


def test_the_signed_url_keeps_the_query_exactly_as_sent() -> None:
    assert signed_url(BASE, "/twilio/voice/menu", "attempt=1&tries=2") == f"{BASE}/twilio/voice/menu?attempt=1&tries=2"


def test_a_trailing_slash_on_the_public_base_does_not_double_the_slash() -> None:
    assert signed_url(f"{BASE}/", "/twilio/voice", "") == f"{BASE}/twilio/voice"


def test_the_public_base_is_used_not_the_host_the_proxy_forwarded() -> None:
    # Behind a proxy the app sees http://127.0.0.1:5000; Twilio signed the public https URL.
    assert signed_url("https://cpts.example.fr/ligne", "/twilio/voice", "a=1") == (
        "https://cpts.example.fr/ligne/twilio/voice?a=1"
    )


# ---------------------------------------------------------------- the signature


def test_a_signature_made_with_the_auth_token_is_valid() -> None:
    assert is_valid_signature([PRIMARY], URL, PARAMS, sign(PRIMARY, URL, PARAMS))


def test_during_a_rotation_the_second_token_is_valid_too() -> None:
    assert is_valid_signature([PRIMARY, SECONDARY], URL, PARAMS, sign(SECONDARY, URL, PARAMS))
    assert is_valid_signature([PRIMARY, SECONDARY], URL, PARAMS, sign(PRIMARY, URL, PARAMS))


def test_after_a_rotation_the_old_token_is_refused() -> None:
    assert not is_valid_signature([SECONDARY], URL, PARAMS, sign(PRIMARY, URL, PARAMS))


def test_a_signature_made_with_another_token_is_refused() -> None:
    assert not is_valid_signature([PRIMARY, SECONDARY], URL, PARAMS, sign("someone-else", URL, PARAMS))


@pytest.mark.parametrize("signature", [None, ""])
def test_a_request_without_a_signature_is_refused(signature: str | None) -> None:
    assert not is_valid_signature([PRIMARY], URL, PARAMS, signature)


def test_no_accepted_token_refuses_everything() -> None:
    assert not is_valid_signature([], URL, PARAMS, sign(PRIMARY, URL, PARAMS))


def test_a_garbage_signature_is_refused() -> None:
    assert not is_valid_signature([PRIMARY], URL, PARAMS, "not-base64!")


def test_a_signature_for_another_url_is_refused() -> None:
    # The attempt number is in the query: replaying a post against another attempt must fail.
    other = f"{BASE}/twilio/voice/menu?attempt=2"

    assert not is_valid_signature([PRIMARY], URL, PARAMS, sign(PRIMARY, other, PARAMS))


def test_a_changed_parameter_is_refused() -> None:
    signature = sign(PRIMARY, URL, PARAMS)

    assert not is_valid_signature([PRIMARY], URL, {**PARAMS, "Digits": "1"}, signature)


def test_parameters_with_empty_values_are_part_of_the_signature() -> None:
    params = {**PARAMS, "Digits": "", "SpeechResult": ""}
    signature = sign(PRIMARY, URL, params)

    assert is_valid_signature([PRIMARY], URL, params, signature)
    assert not is_valid_signature([PRIMARY], URL, PARAMS, signature)


def test_unknown_parameters_that_twilio_signed_are_accepted() -> None:
    # Twilio adds parameters over time: the check covers whatever was posted, not a fixed list.
    params = {**PARAMS, "CallToken": "%7B%22x%22%3A1%7D", "StirVerstat": "TN-Validation-Passed-A"}

    assert is_valid_signature([PRIMARY], URL, params, sign(PRIMARY, URL, params))


def test_a_parameter_added_after_signing_is_refused() -> None:
    signature = sign(PRIMARY, URL, PARAMS)

    assert not is_valid_signature([PRIMARY], URL, {**PARAMS, "Extra": "1"}, signature)


def test_a_flask_form_with_a_repeated_key_is_checked_on_every_value() -> None:
    form = MultiDict([*PARAMS.items(), ("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "answered")])
    signature = sign(PRIMARY, URL, form)

    assert is_valid_signature([PRIMARY], URL, form, signature)
    assert not is_valid_signature([PRIMARY], URL, MultiDict(list(PARAMS.items())), signature)


def test_a_signature_over_the_url_with_its_default_port_is_valid() -> None:
    # Some Twilio regions sign https://host:443/…: the validator tries both spellings.
    with_port = "https://line.example.org:443/twilio/voice/menu?attempt=1"

    assert is_valid_signature([PRIMARY], URL, PARAMS, sign(PRIMARY, with_port, PARAMS))


def test_a_signature_over_the_url_without_its_port_is_valid_when_the_public_base_names_the_port() -> None:
    # PUBLIC_BASE_URL written with :443, Twilio signing the URL as configured without it: the other reading.
    with_port = "https://line.example.org:443/twilio/voice/menu?attempt=1"

    assert is_valid_signature([PRIMARY], with_port, PARAMS, sign(PRIMARY, URL, PARAMS))


def test_a_non_default_port_is_kept_or_dropped_but_never_replaced() -> None:
    assert other_port_form("https://line.example.org:8443/twilio/voice") == "https://line.example.org/twilio/voice"
    assert (
        other_port_form("https://line.example.org/twilio/voice?a=1") == "https://line.example.org:443/twilio/voice?a=1"
    )
    assert other_port_form("http://line.example.org/twilio/voice") == "http://line.example.org:80/twilio/voice"
    wrong_port = "https://line.example.org:8443/twilio/voice/menu?attempt=1"
    assert not is_valid_signature([PRIMARY], URL, PARAMS, sign(PRIMARY, wrong_port, PARAMS))


class CountingValidator(RequestValidator):
    """Twilio's validator, counting the HMACs it computes."""

    computed = 0

    def compute_signature(self, uri: str, params: object, algorithm: str | None = None) -> str:
        CountingValidator.computed += 1
        return str(super().compute_signature(uri, params))


def test_a_genuine_post_costs_one_hmac_and_a_forged_one_every_form_and_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # RequestValidator.validate computes the URL with and without its port every time (two HMACs).
    monkeypatch.setattr(security, "RequestValidator", CountingValidator)
    CountingValidator.computed = 0

    assert is_valid_signature([PRIMARY, SECONDARY], URL, PARAMS, sign(PRIMARY, URL, PARAMS))
    assert CountingValidator.computed == 1

    CountingValidator.computed = 0
    assert not is_valid_signature([PRIMARY, SECONDARY], URL, PARAMS, sign("forged", URL, PARAMS))
    assert CountingValidator.computed == 4


@given(
    st.dictionaries(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
        st.text(max_size=20),
        max_size=6,
    ),
    st.sampled_from([PRIMARY, SECONDARY]),
)
@settings(max_examples=200)
def test_any_form_signed_with_an_accepted_token_is_valid_and_with_another_is_not(
    params: dict[str, str], token: str
) -> None:
    assert is_valid_signature([PRIMARY, SECONDARY], URL, params, sign(token, URL, params))
    assert not is_valid_signature([PRIMARY, SECONDARY], URL, params, sign("x" + token, URL, params))
