"""The Twilio REST wrapper, against a local fake of Twilio's API: no internet, real HTTP."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callflows.telephony import TelephonyError, TwilioTelephony, rebase_url
from tests.fakes.twilio_rest import FakeTwilioRest

PATIENT = "+33612345678"
LINE = "+33180000000"
BODY = "P75-2026-000123 : votre demande est enregistrée, un professionnel vous rappelle."
APP = "https://orientation.example.org"


@pytest.fixture
def fake() -> Iterator[FakeTwilioRest]:
    with FakeTwilioRest() as server:
        yield server


@pytest.fixture
def telephony(fake: FakeTwilioRest) -> TwilioTelephony:
    return TwilioTelephony(fake.account_sid, fake.auth_token, api_base_url=fake.base_url)


def test_an_sms_goes_to_the_configured_base_url_with_the_accounts_credentials(fake, telephony):
    sid = telephony.send_sms(PATIENT, LINE, BODY, status_callback=APP + "/twilio/sms-status")

    (request,) = fake.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert request.account == fake.account_sid
    assert request.form == {
        "To": PATIENT,
        "From": LINE,
        "Body": BODY,
        "StatusCallback": APP + "/twilio/sms-status",
    }
    assert sid.startswith("SM") and sid in fake.state.messages


def test_an_sms_from_a_messaging_service_names_the_service_not_a_number(fake, telephony):
    telephony.send_sms(PATIENT, "MG" + "a" * 32, BODY)

    (request,) = fake.requests
    assert request.form["MessagingServiceSid"] == "MG" + "a" * 32
    assert "From" not in request.form
    assert "StatusCallback" not in request.form


def test_a_call_is_placed_with_its_twiml_url_posted_and_its_ring_timeout(fake, telephony):
    sid = telephony.place_call(
        "+33698765432", LINE, APP + "/twilio/callback?request=P75", status_callback=APP + "/twilio/status"
    )

    (request,) = fake.requests_to("/Calls.json")
    assert request.form["Url"] == APP + "/twilio/callback?request=P75"
    assert request.form["Method"] == "POST"
    assert request.form["Timeout"] == "20"
    assert request.form["StatusCallback"] == APP + "/twilio/status"
    assert request.form["StatusCallbackMethod"] == "POST"
    assert fake.state.calls[sid]["status"] == "queued"


def test_configuring_a_number_finds_its_sid_then_points_every_webhook_at_the_app(fake, telephony):
    fake.add_number("+33100000001")
    pn = fake.add_number(LINE)

    sid = telephony.configure_number(
        LINE,
        voice_url=APP + "/twilio/voice",
        status_callback=APP + "/twilio/status",
        sms_url=APP + "/twilio/sms",
        fallback_url=APP + "/twilio/fallback",
    )

    assert sid == pn
    listing, update = fake.requests
    assert (listing.method, listing.query["PhoneNumber"]) == ("GET", LINE)
    assert update.method == "POST"
    assert update.path == f"/2010-04-01/Accounts/{fake.account_sid}/IncomingPhoneNumbers/{pn}.json"
    number = fake.state.numbers[pn]
    assert number["voice_url"] == APP + "/twilio/voice"
    assert number["voice_method"] == number["sms_method"] == number["voice_fallback_method"] == "POST"
    assert number["voice_fallback_url"] == APP + "/twilio/fallback"
    assert number["status_callback"] == APP + "/twilio/status"
    assert number["sms_url"] == APP + "/twilio/sms"
    assert fake.state.numbers[sorted(set(fake.state.numbers) - {pn})[0]]["voice_url"] is None


def test_configuring_a_number_outside_the_account_says_so_without_spelling_the_number(fake, telephony):
    fake.add_number("+33100000001")

    with pytest.raises(TelephonyError, match="not in this Twilio account") as raised:
        telephony.configure_number(LINE, APP + "/v", APP + "/s", APP + "/m", APP + "/f")

    assert LINE not in str(raised.value)
    assert LINE[1:] not in str(raised.value)
    assert fake.requests_to("IncomingPhoneNumbers.json") and len(fake.requests) == 1


def test_a_recording_is_deleted_once_and_a_second_delete_is_a_not_found_error(fake, telephony):
    recording = fake.add_recording("RE" + "b" * 32)
    telephony.delete_recording(recording)
    with pytest.raises(TelephonyError) as raised:
        telephony.delete_recording(recording)

    assert [r.method for r in fake.requests_to(f"/Recordings/{recording}.json")] == ["DELETE", "DELETE"]
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_deleting_a_recording_the_account_never_held_is_a_not_found_error(fake, telephony):
    with pytest.raises(TelephonyError) as raised:
        telephony.delete_recording("RE" + "c" * 32)

    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert fake.state.deleted_recordings == set()


def test_wrong_credentials_become_a_telephony_error_with_twilios_code(fake):
    telephony = TwilioTelephony(fake.account_sid, "not-the-token", api_base_url=fake.base_url)

    with pytest.raises(TelephonyError) as raised:
        telephony.send_sms(PATIENT, LINE, BODY)

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert fake.state.messages == {}


def test_wrong_credentials_while_listing_numbers_are_a_telephony_error_too(fake):
    fake.add_number(LINE)
    telephony = TwilioTelephony(fake.account_sid, "not-the-token", api_base_url=fake.base_url)

    with pytest.raises(TelephonyError) as raised:
        telephony.configure_number(LINE, APP + "/v", APP + "/s", APP + "/m", APP + "/f")

    assert raised.value.status == 401


def test_a_refusal_never_repeats_the_number_or_the_message_twilio_echoed(fake, telephony):
    with pytest.raises(TelephonyError) as raised:
        telephony.send_sms("0612345678", LINE, BODY)  # not E.164: Twilio's message repeats it

    error = raised.value
    assert (error.status, error.code) == (400, 21211)
    assert "0612345678" not in str(error)
    assert BODY not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_an_injected_server_failure_is_a_telephony_error_and_the_next_request_succeeds(fake, telephony):
    fake.fail_next(status=503, code=20503, message="Service Unavailable")

    with pytest.raises(TelephonyError) as raised:
        telephony.place_call(PATIENT, LINE, APP + "/twilio/callback")
    assert raised.value.status == 503
    assert telephony.place_call(PATIENT, LINE, APP + "/twilio/callback").startswith("CA")


def test_an_unreachable_api_is_a_telephony_error():
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    telephony = TwilioTelephony("AC" + "1" * 32, "token", api_base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(TelephonyError, match="could not be reached"):
        telephony.send_sms(PATIENT, LINE, BODY)


def test_the_twilio_client_logs_neither_the_patients_number_nor_the_sms_body(fake, telephony, caplog):
    with caplog.at_level(logging.DEBUG):
        telephony.send_sms(PATIENT, LINE, BODY)

    assert caplog.records, "the twilio client logs its requests: this test must see them"
    assert PATIENT not in caplog.text
    assert BODY not in caplog.text


def test_only_twilio_hosts_are_rebased():
    base = "http://127.0.0.1:8123"
    assert rebase_url("https://api.twilio.com/2010-04-01/A.json", base) == base + "/2010-04-01/A.json"
    assert rebase_url("https://twilio.com/x", base) == base + "/x"
    assert rebase_url("https://example.org/2010-04-01/x.json", base) == "https://example.org/2010-04-01/x.json"
    assert rebase_url("https://api.twilio.com.evil.org/x", base) == "https://api.twilio.com.evil.org/x"
    assert rebase_url("https://api.twilio.com/x", None) == "https://api.twilio.com/x"
    assert rebase_url("https://api.twilio.com/x?a=1", base + "/proxy/") == base + "/proxy/x?a=1"


@settings(max_examples=100)
@given(
    subdomain=st.sampled_from(["api", "messaging", "api.dublin.ie1", "voice"]),
    path=st.lists(st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=8), max_size=4),
    query=st.dictionaries(st.sampled_from(["PhoneNumber", "Page", "PageSize"]), st.text("0123+", max_size=5)),
)
def test_rebasing_keeps_the_path_and_the_query_and_swaps_only_scheme_and_host(subdomain, path, query):
    suffix = "/" + "/".join(path) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    rebased = rebase_url(f"https://{subdomain}.twilio.com{suffix}", "http://127.0.0.1:9")

    assert rebased == "http://127.0.0.1:9" + suffix
