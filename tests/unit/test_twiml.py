"""The TwiML documents, parsed back as XML: what Twilio will do with each of them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from callflows import twiml

BASE = "https://line.example.org"
URLS = twiml.Urls(BASE)


def parse(response: VoiceResponse | str) -> ET.Element:
    """The <Response> element of a TwiML document."""
    root = ET.fromstring(str(response))
    assert root.tag == "Response"
    return root


def verbs(root: ET.Element) -> list[str]:
    """The top-level verbs, in order."""
    return [child.tag for child in root]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def all_documents() -> list[VoiceResponse]:
    """One of each document the line can answer with."""
    return [
        twiml.menu(URLS, ["Bonjour.", "Urgence : 15."], "Tapez 1.", tries=1),
        twiml.ask_postcode(URLS, ["Vous avez choisi."], "Le code postal.", tries=2),
        twiml.ring_volunteer(URLS, ["Merci de patienter."], 7, "+33612345678", "+33140000020", 20),
        twiml.screening(URLS, "Demande de visite.", "Je répète.", 7),
        twiml.bridge("Vous êtes mis en relation."),
        twiml.leave_message(URLS, ["Aucun professionnel."], "P20-2026-000123"),
        twiml.transfer(URLS, ["Nous vous transférons."], "+33140000093", "+33140000020"),
        twiml.speak_and_hang_up(["Au revoir."]),
        twiml.redirect(URLS("/twilio/voice/menu", attempt=1), ["Un instant."]),
    ]


@pytest.mark.parametrize("document", all_documents(), ids=lambda d: "-".join(verbs(parse(d))))
def test_every_say_is_french_with_the_line_voice(document: VoiceResponse) -> None:
    says = list(parse(document).iter("Say"))

    assert says
    for say in says:
        assert say.get("language") == "fr-FR"
        assert say.get("voice")
        assert (say.text or "").strip()


@pytest.mark.parametrize("document", all_documents(), ids=lambda d: "-".join(verbs(parse(d))))
def test_every_url_in_a_document_points_to_the_public_base(document: VoiceResponse) -> None:
    root = parse(document)
    urls = [v for e in root.iter() for k, v in e.attrib.items() if k in ("action", "url", "statusCallback")]
    urls += [e.text or "" for e in root.iter("Redirect")]

    for url in urls:
        assert url.startswith(f"{BASE}/twilio/")


# ---------------------------------------------------------------- menu


def test_the_menu_says_the_intro_then_gathers_one_key_or_speech_then_comes_back() -> None:
    root = parse(twiml.menu(URLS, ["Bonjour.", "Urgence : 15."], "Tapez 1.", tries=1))

    assert verbs(root) == ["Say", "Say", "Gather", "Redirect"]
    assert [s.text for s in root.findall("Say")] == ["Bonjour.", "Urgence : 15."]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == "fr-FR"
    assert gather.get("method") == "POST"
    assert [s.text for s in gather.findall("Say")] == ["Tapez 1."]


def test_the_menu_document_is_the_menu_built_from_the_same_words() -> None:
    intro = ("Bonjour.", "Urgence : 15.")

    assert twiml.menu_document(URLS, intro, "Tapez 1.", 1) == str(twiml.menu(URLS, list(intro), "Tapez 1.", tries=1))
    assert twiml.menu_document(URLS, intro, "Tapez 1.", 2) == str(twiml.menu(URLS, list(intro), "Tapez 1.", tries=2))


def test_the_menu_document_changes_with_any_of_its_words_or_its_base() -> None:
    first = twiml.menu_document(URLS, ("Bonjour.",), "Tapez 1.", 1)

    assert "Crise." in twiml.menu_document(URLS, ("Bonjour.", "Crise."), "Tapez 1.", 1)
    assert "Tapez 2." in twiml.menu_document(URLS, ("Bonjour.",), "Tapez 2.", 1)
    elsewhere = twiml.Urls("https://other.example.org")
    assert "https://other.example.org/" in twiml.menu_document(elsewhere, ("Bonjour.",), "Tapez 1.", 1)
    assert twiml.menu_document(URLS, ("Bonjour.",), "Tapez 1.", 1) == first


@pytest.mark.parametrize("tries", [1, 2])
def test_the_menu_answer_and_its_silence_both_carry_the_try_number(tries: int) -> None:
    root = parse(twiml.menu(URLS, [], "Tapez 1.", tries=tries))
    gather, redirect = root.find("Gather"), root.find("Redirect")
    assert gather is not None
    assert redirect is not None

    assert path(gather.get("action", "")) == f"{BASE}/twilio/voice/menu"
    assert query(gather.get("action", "")) == {"attempt": [str(tries)]}
    assert redirect.text == gather.get("action")
    assert redirect.get("method") == "POST"


def test_the_speech_hints_name_the_menu_choices() -> None:
    gather = parse(twiml.menu(URLS, [], "Tapez 1.", tries=1)).find("Gather")
    assert gather is not None

    assert "visite à domicile" in gather.get("hints", "")


# ---------------------------------------------------------------- postcode


def test_the_postcode_gathers_five_keys_or_speech_and_comes_back_on_silence() -> None:
    root = parse(twiml.ask_postcode(URLS, ["Vous avez choisi."], "Le code postal.", tries=2))

    assert verbs(root) == ["Say", "Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "5"
    assert gather.get("input") == "dtmf speech"
    assert gather.get("action") == f"{BASE}/twilio/voice/postcode?attempt=2"
    assert root.findtext("Redirect") == gather.get("action")


def test_the_postcode_is_first_asked_by_keys_only() -> None:
    root = parse(twiml.ask_postcode(URLS, ["Vous avez choisi."], "Le code postal.", tries=1))

    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf" and gather.get("numDigits") == "5"
    assert gather.get("speechTimeout") is None


# ---------------------------------------------------------------- ringing a volunteer


def test_ringing_a_volunteer_is_one_dial_to_one_screened_number() -> None:
    root = parse(twiml.ring_volunteer(URLS, ["Merci de patienter."], 7, "+33612345678", "+33140000020", 20))

    assert verbs(root) == ["Say", "Dial"]
    dial = root.find("Dial")
    assert dial is not None
    assert dial.get("action") == f"{BASE}/twilio/voice/dial?attempt=7"
    assert dial.get("timeout") == "20"
    assert dial.get("callerId") == "+33140000020"
    numbers = dial.findall("Number")
    assert len(numbers) == 1
    (number,) = numbers
    assert number.text == "+33612345678"
    assert number.get("url") == f"{BASE}/twilio/voice/screen?attempt=7"
    assert number.get("statusCallback") == f"{BASE}/twilio/status?attempt=7"
    assert set(number.get("statusCallbackEvent", "").split()) == {"initiated", "ringing", "answered", "completed"}


def test_ringing_without_a_caller_id_leaves_the_attribute_out() -> None:
    dial = parse(twiml.ring_volunteer(URLS, [], 7, "+33612345678", None, 20)).find("Dial")
    assert dial is not None

    assert "callerId" not in dial.attrib


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=5, max_value=60))
@settings(max_examples=100)
def test_every_ring_points_its_callbacks_at_its_own_attempt(attempt_id: int, ring_seconds: int) -> None:
    dial = parse(twiml.ring_volunteer(URLS, [], attempt_id, "+33612345678", None, ring_seconds)).find("Dial")
    assert dial is not None
    number = dial.find("Number")
    assert number is not None

    assert dial.get("timeout") == str(ring_seconds)
    for url in (dial.get("action", ""), number.get("url", ""), number.get("statusCallback", "")):
        assert query(url) == {"attempt": [str(attempt_id)]}


# ---------------------------------------------------------------- screening


def test_screening_gives_two_chances_to_press_one_then_hangs_up_without_a_redirect() -> None:
    root = parse(twiml.screening(URLS, "Demande de visite.", "Je répète.", 7))

    assert verbs(root) == ["Gather", "Gather", "Hangup"]
    first, second = root.findall("Gather")
    for gather in (first, second):
        assert gather.get("numDigits") == "1"
        assert gather.get("input") == "dtmf"
        assert gather.get("action") == f"{BASE}/twilio/voice/screen/answer?attempt=7"
        assert [child.tag for child in gather] == ["Say"]
    assert first.findtext("Say") == "Demande de visite."
    assert second.findtext("Say") == "Je répète. Demande de visite."


def test_a_screening_document_holds_only_what_a_number_url_may_run() -> None:
    root = parse(twiml.screening(URLS, "Demande de visite.", "Je répète.", 7))

    allowed = {"Say", "Play", "Pause", "Gather", "Hangup"}
    assert {element.tag for element in root.iter()} - {"Response"} <= allowed


# ---------------------------------------------------------------- the end of a call


def test_bridging_only_speaks_so_the_dial_connects_the_legs() -> None:
    assert verbs(parse(twiml.bridge("Vous êtes mis en relation."))) == ["Say"]


def test_leaving_a_message_records_with_both_callbacks_then_notes_an_empty_one() -> None:
    root = parse(twiml.leave_message(URLS, ["Aucun professionnel."], "P20-2026-000123", max_seconds=90))

    assert verbs(root) == ["Say", "Record", "Redirect"]
    record = root.find("Record")
    assert record is not None
    assert record.get("action") == f"{BASE}/twilio/voice/recorded?ref=P20-2026-000123"
    assert record.get("recordingStatusCallback") == f"{BASE}/twilio/recording?ref=P20-2026-000123"
    assert record.get("maxLength") == "90"
    assert record.get("playBeep") == "true"
    assert query(root.findtext("Redirect", "")) == {"ref": ["P20-2026-000123"], "empty": ["1"]}


def test_a_transfer_says_where_then_dials_the_number_with_an_action_and_a_french_ringback() -> None:
    root = parse(twiml.transfer(URLS, ["Nous vous transférons."], "+33140000093", "+33140000020"))

    assert verbs(root) == ["Say", "Dial"]
    dial = root.find("Dial")
    assert dial is not None and dial.findtext("Number") == "+33140000093"
    assert dial.get("action") == f"{BASE}/twilio/voice/transfer"
    assert dial.get("ringTone") == "fr"
    number = dial.find("Number")
    assert number is not None and number.get("statusCallback") == f"{BASE}/twilio/voice/transfer/status"
    assert number.get("statusCallbackEvent") == "answered"


@pytest.mark.parametrize(("number", "tone"), [("+33612345678", "fr"), ("+32470123456", None), ("+14155550100", None)])
def test_only_dials_to_french_numbers_ask_for_the_french_ringback(number: str, tone: str | None) -> None:
    root = parse(twiml.ring_volunteer(URLS, [], 3, number, "+33140000020", 20))

    dial = root.find("Dial")
    assert dial is not None and dial.get("ringTone") == tone


def test_speaking_and_hanging_up_says_every_line_then_hangs_up() -> None:
    root = parse(twiml.speak_and_hang_up(["Merci.", "Au revoir."]))

    assert verbs(root) == ["Say", "Say", "Hangup"]


def test_a_redirect_without_words_only_redirects() -> None:
    root = parse(twiml.redirect(f"{BASE}/twilio/voice/menu?attempt=1"))

    assert verbs(root) == ["Redirect"]
    assert root.findtext("Redirect") == f"{BASE}/twilio/voice/menu?attempt=1"


def test_the_empty_answer_to_a_status_callback_is_an_empty_response() -> None:
    assert verbs(parse(twiml.empty())) == []


def test_a_url_without_query_has_no_question_mark() -> None:
    assert URLS("/twilio/voice") == f"{BASE}/twilio/voice"
    assert URLS("/twilio/voice", attempt=3, tries=1) == f"{BASE}/twilio/voice?attempt=3&tries=1"


@given(st.text(min_size=1, max_size=80).filter(lambda s: s.strip()))
@settings(max_examples=100)
def test_any_words_survive_the_xml_unchanged(words: str) -> None:
    # XML 1.0 cannot carry most control characters; the prompts never contain any.
    words = "".join(c for c in words if c.isprintable()) or "Bonjour"
    root = parse(twiml.speak_and_hang_up([words]))

    assert root.findtext("Say") == words
