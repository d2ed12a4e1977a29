"""Volunteers' SMS: tolerant of form, strict on meaning."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteers.sms_replies import (
    OUTCOME_FOR_CODE,
    Ambiguous,
    Available,
    Help,
    NoOpenRequest,
    OutcomeReply,
    Pause,
    Rota,
    SmsCommand,
    Unknown,
    UnknownReference,
    normalise_reference,
    parse_volunteer_sms,
    pick_request,
)

REF = "P20-2026-000123"
OTHER = "P20-2026-000124"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("1", OutcomeReply(1)),
        (" 1 ", OutcomeReply(1)),
        ("1\n", OutcomeReply(1)),
        ("1.", OutcomeReply(1)),
        ("1!", OutcomeReply(1)),
        ("1 merci", OutcomeReply(1)),
        ("1, merci !", OutcomeReply(1)),
        ("Ok 1 merci bonne soirée", OutcomeReply(1)),
        ("réponse 1", OutcomeReply(1)),
        ("Réponse : 2", OutcomeReply(2)),
        ("n°3", OutcomeReply(3)),
        ("1 1", OutcomeReply(1)),
        ("２", OutcomeReply(2)),
        ("1️⃣", OutcomeReply(1)),
        ("3", OutcomeReply(3)),
        ("P20-2026-000123 2", OutcomeReply(2, REF)),
        ("p20-2026-000123 2", OutcomeReply(2, REF)),
        ("2 P20-2026-000123", OutcomeReply(2, REF)),
        ("P20-2026-000123: 1.", OutcomeReply(1, REF)),
        ("P20 - 2026 - 000123 3", OutcomeReply(3, REF)),
        ("P20–2026–000123 1", OutcomeReply(1, REF)),  # en dashes from a phone keyboard
        ("DEMO-2026-000001 1", OutcomeReply(1, "DEMO-2026-000001")),
        ("1 pour la demande P20-2026-000123", OutcomeReply(1, REF)),
        ("P20-2026-000123 1 P20-2026-000123", OutcomeReply(1, REF)),
        ("pris en charge", OutcomeReply(1)),
        ("Prise en charge", OutcomeReply(1)),
        ("PEC", OutcomeReply(1)),
        ("1 pris en charge", OutcomeReply(1)),
        ("orienté ailleurs", OutcomeReply(2)),
        ("2 - orientée", OutcomeReply(2)),
        ("SANS SUITE", OutcomeReply(3)),
        ("3 sans suite merci", OutcomeReply(3)),
        ("P20-2026-000123 sans suite", OutcomeReply(3, REF)),
        ("PAUSE", Pause()),
        ("pause", Pause()),
        ("Pause.", Pause()),
        ("  pause merci ", Pause()),
        ("je me mets en pause", Pause()),
        ("indispo", Pause()),
        ("Indisponible", Pause()),
        ("ＰＡＵＳＥ", Pause()),
        ("DISPO", Available()),
        ("dispo", Available()),
        ("disponible", Available()),
        ("Disponible !", Available()),
        ("je suis dispo", Available()),
        ("ROTA", Rota()),
        ("rota ?", Rota()),
        ("planning", Rota()),
        ("mes gardes", Rota()),
        ("mon planning svp", Rota()),
        ("gardes", Rota()),
        ("AIDE", Help()),
        ("aide", Help()),
        ("help", Help()),
        ("?", Help()),
        (" ?? ", Help()),
    ],
)
def test_a_volunteer_reply_is_understood_whatever_its_form(body: str, expected: SmsCommand) -> None:
    assert parse_volunteer_sms(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "...",
        "0",
        "4",
        "12",
        "1 2",
        "1 ou 2",
        "1,2",
        "1.5",
        "2 pris en charge",  # the words say 1, the digit says 2
        "rappelez dans 3 jours",
        "je rappelle à 3h",
        "1er",
        "75020",
        "pas dispo",
        "plus dispo",
        "pas de pause",
        "pause 1",
        "dispo 2",
        "DISPO P20-2026-000123",
        "P20-2026-000123",
        "P20-2026-000123 P20-2026-000124 1",
        "P20-2026-000123 4",
        "ABCDEFG-2026-000123 1",  # a prefix longer than six is not a reference
        "STOP",
        "ok",
        "merci",
        "bonjour, la patiente a été vue hier",
    ],
)
def test_anything_else_is_unknown_so_the_volunteer_is_asked_again(body: str) -> None:
    assert parse_volunteer_sms(body) == Unknown(body)


def test_each_code_maps_to_the_outcome_of_the_prompt() -> None:
    assert OUTCOME_FOR_CODE == {1: "matched", 2: "oriented", 3: "no_solution"}
    assert OutcomeReply(2).outcome == "oriented"


def test_an_outcome_reply_cannot_be_built_with_a_code_out_of_range() -> None:
    with pytest.raises(ValueError):
        OutcomeReply(4)


def test_an_unknown_message_keeps_its_body_out_of_its_repr() -> None:
    command = parse_volunteer_sms("Mme Dupont 06 12 34 56 78 diabète")
    assert isinstance(command, Unknown)
    assert command.text == "Mme Dupont 06 12 34 56 78 diabète"
    assert "Dupont" not in repr(command)


def test_a_very_long_body_is_unknown_without_being_parsed() -> None:
    body = "1 " + "merci " * 400
    assert parse_volunteer_sms(body) == Unknown(body)


def test_a_lone_surrogate_from_a_broken_client_is_ignored_without_warning() -> None:
    assert parse_volunteer_sms("\ud800 1") == OutcomeReply(1)


@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=300))
@settings(max_examples=200)
def test_arbitrary_text_never_raises(body: str) -> None:
    command = parse_volunteer_sms(body)
    assert isinstance(command, OutcomeReply | Pause | Available | Rota | Help | Unknown)
    if isinstance(command, OutcomeReply):
        assert command.code in OUTCOME_FOR_CODE


_fillers = st.lists(st.sampled_from(["merci", "ok", "réponse", "Bonjour", "svp", "!", ".", ",", " "]), max_size=4)


@given(st.sampled_from([1, 2, 3]), _fillers, _fillers, st.booleans())
@settings(max_examples=200)
def test_a_code_among_politeness_is_always_that_code(
    code: int, before: list[str], after: list[str], with_reference: bool
) -> None:
    parts = [*before, str(code), *after]
    if with_reference:
        parts.append(REF.lower())
    reply = parse_volunteer_sms(" ".join(parts))
    assert reply == OutcomeReply(code, REF if with_reference else None)


@given(st.integers(min_value=4, max_value=10**6) | st.just(0), _fillers)
@settings(max_examples=100)
def test_a_code_out_of_range_is_never_an_outcome(code: int, around: list[str]) -> None:
    assert isinstance(parse_volunteer_sms(" ".join([str(code), *around])), Unknown)


# --- normalise_reference -----------------------------------------------------------------------------


def test_a_reference_is_normalised_to_upper_case_without_spaces() -> None:
    assert normalise_reference(" p20 - 2026 - 000123 ") == REF
    assert normalise_reference("P20-2026-00012") is None
    assert normalise_reference("TOOLONG-2026-000123") is None


# --- pick_request ------------------------------------------------------------------------------------


def test_an_unnamed_reply_is_about_the_only_open_request() -> None:
    assert pick_request(OutcomeReply(1), [REF]) == REF


def test_an_unnamed_reply_with_several_open_requests_is_ambiguous_and_lists_them() -> None:
    assert pick_request(OutcomeReply(1), [OTHER, REF]) == Ambiguous((REF, OTHER))


def test_a_reply_with_no_open_request_says_so() -> None:
    assert pick_request(OutcomeReply(1), []) == NoOpenRequest()


def test_a_named_reply_picks_the_named_request_among_several() -> None:
    assert pick_request(OutcomeReply(2, OTHER), [REF, OTHER]) == OTHER


def test_a_named_reference_that_is_not_open_for_this_volunteer_is_unknown() -> None:
    assert pick_request(OutcomeReply(2, "P20-2026-999999"), [REF]) == UnknownReference("P20-2026-999999")
    assert pick_request(OutcomeReply(2, REF), []) == UnknownReference(REF)


def test_open_references_are_matched_whatever_their_case_and_returned_as_given() -> None:
    assert pick_request(OutcomeReply(3, REF), ["p20-2026-000123"]) == "p20-2026-000123"


def test_a_reference_listed_twice_is_not_ambiguous() -> None:
    assert pick_request(OutcomeReply(1), [REF, REF.lower()]) == REF


def test_a_reply_parsed_from_sms_picks_its_request_end_to_end() -> None:
    reply = parse_volunteer_sms("p20-2026-000124 1 merci")
    assert isinstance(reply, OutcomeReply)
    assert pick_request(reply, [REF, OTHER]) == OTHER
