"""Call-back decisions as plain values: the territory's policy, reached or not, retry or give up, the TwiML."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callflows import twiml
from callflows.callback_views import details_twiml, dial_patient_twiml, offer_twiml
from orientation.core.prompts import PROMPTS, placeholders
from orientation.services.callback_policy import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SPACING_MINUTES,
    after_missed_patient,
    callback_settings,
    offer_url,
    patient_reached,
    status_url_for,
)

BASE = "https://line.example.org"
CALLBACK_VIEWS = Path(__file__).resolve().parents[2] / "callflows" / "callback_views.py"


def test_without_settings_calls_back_three_times_an_hour_apart_and_keeps_messages_thirty_days() -> None:
    policy = callback_settings(None)

    assert (DEFAULT_MAX_ATTEMPTS, DEFAULT_SPACING_MINUTES, DEFAULT_RETENTION_DAYS) == (3, 60, 30)
    assert policy.max_attempts == 3
    assert policy.spacing == timedelta(minutes=60)
    assert policy.retention == timedelta(days=30)


def test_a_territory_sets_its_own_spacing_limit_and_retention() -> None:
    policy = callback_settings(
        {"callback_spacing_minutes": 20, "callback_max_attempts": 5, "recording_retention_days": 7}
    )

    assert (policy.spacing, policy.max_attempts, policy.retention) == (timedelta(minutes=20), 5, timedelta(days=7))


@pytest.mark.parametrize("bad", ["20", 0, -3, True, 10**9, None, 2.5, [20]])
def test_a_setting_that_is_not_a_sensible_whole_number_falls_back_to_the_default(bad: Any) -> None:
    policy = callback_settings(
        {"callback_spacing_minutes": bad, "callback_max_attempts": bad, "recording_retention_days": bad}
    )

    assert policy == callback_settings({})


@pytest.mark.parametrize(
    ("status", "seconds", "reached"),
    [
        ("completed", 42, True),
        ("COMPLETED", 1, True),
        ("completed", 0, False),  # answered and hung up at once: nobody was talked to
        ("completed", None, False),
        ("no-answer", 0, False),
        ("busy", None, False),
        ("failed", None, False),
        ("canceled", 0, False),
        (None, None, False),
    ],
)
def test_a_patient_is_reached_only_by_a_completed_dial_that_lasted(
    status: str | None, seconds: int | None, reached: bool
) -> None:
    assert patient_reached(status, seconds) is reached


@given(st.integers(min_value=1, max_value=20), st.integers(min_value=1, max_value=20))
@settings(max_examples=200)
def test_the_patient_is_unreachable_exactly_when_the_failed_calls_reach_the_limit(failed: int, limit: int) -> None:
    assert (after_missed_patient(failed, limit) == "unreachable") is (failed >= limit)


def test_the_status_callback_of_an_offer_names_the_same_attempt() -> None:
    url = offer_url(BASE + "/", 42)

    assert url == f"{BASE}/twilio/callback/offer?attempt=42"
    assert status_url_for(url) == f"{BASE}/twilio/callback/status?attempt=42"


def test_the_offer_first_says_only_a_neutral_notice_and_waits_for_one_key() -> None:
    body = offer_twiml(twiml.Urls(BASE), 7, "Un patient attend un rappel. Tapez 1.", 1)
    root = ET.fromstring(body)
    gather = root.find("Gather")

    assert gather is not None and gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    assert gather.get("action") == f"{BASE}/twilio/callback/details?attempt=7"
    assert [child.tag for child in gather] == ["Say"]
    assert root.findtext("Redirect") == f"{BASE}/twilio/callback/offer?attempt=7&tries=2"


def test_the_details_read_the_request_play_the_message_and_wait_for_one_key() -> None:
    body = details_twiml(twiml.Urls(BASE), 7, ["Demande.", "Voici son message.", "Tapez 1."], "https://rec/RE1")
    root = ET.fromstring(body)
    gather = root.find("Gather")

    assert gather is not None and gather.get("action") == f"{BASE}/twilio/callback/answer?attempt=7"
    assert [child.tag for child in gather] == ["Say", "Say", "Play", "Say"]
    assert gather.findtext("Play") == "https://rec/RE1"
    assert root.findtext("Redirect") == f"{BASE}/twilio/callback/answer?attempt=7"


def test_details_without_a_message_play_nothing() -> None:
    body = details_twiml(twiml.Urls(BASE), 7, ["Demande.", "Pas de message.", "Tapez 1."], None)

    assert "<Play" not in body


@pytest.mark.parametrize(
    ("answered_by", "bridged", "reached"),
    [
        ("human", None, True),
        ("unknown", True, True),
        (None, None, True),
        ("machine_start", None, False),
        ("machine_end_beep", True, False),
        ("fax", None, False),
        ("human", False, False),
    ],
)
def test_a_completed_dial_answered_by_a_voicemail_or_never_bridged_is_not_a_reached_patient(
    answered_by: str | None, bridged: bool | None, reached: bool
) -> None:
    assert patient_reached("completed", 30, answered_by, bridged) is reached


def test_the_patient_is_dialled_with_the_lines_number_as_caller_id() -> None:
    body = dial_patient_twiml(twiml.Urls(BASE), 9, "Nous appelons.", "+33611223344", "+33199000001")
    root = ET.fromstring(body)
    dial = root.find("Dial")

    assert dial is not None and dial.get("callerId") == "+33199000001"
    assert dial.get("action") == f"{BASE}/twilio/callback/dialed?attempt=9"
    assert dial.findtext("Number") == "+33611223344"
    assert dial.get("ringTone") == "fr"
    number = dial.find("Number")
    assert number is not None and number.get("machineDetection") == "Enable"
    assert number.get("url") == f"{BASE}/twilio/callback/patient?attempt=9"
    assert number.get("statusCallback") == f"{BASE}/twilio/callback/patient/status?attempt=9"
    assert number.get("statusCallbackEvent") == "answered completed"


def _say_calls() -> list[tuple[str, frozenset[str]]]:
    """Every say("key", name=…) in the call-back webhooks."""
    tree = ast.parse(CALLBACK_VIEWS.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "say"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((str(node.args[0].value), frozenset(k.arg for k in node.keywords if k.arg)))
    return found


def test_the_call_back_webhooks_say_catalogued_prompts_with_exactly_their_placeholders() -> None:
    calls = _say_calls()

    assert {"callback_offer", "callback_choice", "callback_passed", "callback_last_try"} <= {key for key, _ in calls}
    for key, names in calls:
        assert key in PROMPTS and placeholders(key) == names, key
