"""The call's pure decisions: the motive menu (keys and French speech), the postcode, screening."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callflows.flow import (
    MAX_MENU_TRIES,
    MAX_POSTCODE_TRIES,
    MENU_KEYS,
    MenuInput,
    after_menu,
    after_postcode,
    fold,
    neighbour_for,
    parse_menu_input,
    parse_postcode,
    screening_accepts,
)

MOTIVES = ("medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation")

# ---------------------------------------------------------------- menu: keys


@pytest.mark.parametrize(
    ("key", "motive"),
    [("1", "medecin_traitant"), ("2", "visite_domicile"), ("3", "soins_non_programmes"), ("4", "orientation")],
)
def test_keys_one_to_four_choose_the_four_motives(key: str, motive: str) -> None:
    assert parse_menu_input(key, None) == MenuInput(motive=motive)


def test_the_four_menu_keys_cover_the_four_motive_codes_once_each() -> None:
    assert sorted(MENU_KEYS.values()) == sorted(MOTIVES)


def test_the_star_key_asks_to_hear_the_menu_again() -> None:
    answer = parse_menu_input("*", None)

    assert answer.repeat
    assert answer.motive is None
    assert answer.understood


@pytest.mark.parametrize("key", ["0", "5", "9", "#"])
def test_a_key_outside_the_menu_is_not_understood(key: str) -> None:
    answer = parse_menu_input(key, None)

    assert not answer.understood


@pytest.mark.parametrize(("digits", "speech"), [(None, None), ("", ""), ("  ", None), (None, "   "), ("", "…")])
def test_nothing_typed_and_nothing_said_is_not_understood(digits: str | None, speech: str | None) -> None:
    assert parse_menu_input(digits, speech) == MenuInput()


def test_a_key_wins_over_what_the_caller_said_at_the_same_time() -> None:
    assert parse_menu_input("2", "je cherche un médecin traitant").motive == "visite_domicile"


@given(st.text(alphabet="0123456789*#", min_size=1, max_size=4))
@settings(max_examples=200)
def test_any_keys_are_read_from_the_first_one(keys: str) -> None:
    answer = parse_menu_input(keys, None)

    if keys[0] == "*":
        assert answer == MenuInput(repeat=True)
    else:
        assert answer == MenuInput(motive=MENU_KEYS.get(keys[0]))


# ---------------------------------------------------------------- menu: French speech


@pytest.mark.parametrize(
    ("speech", "motive"),
    [
        ("je cherche un médecin traitant", "medecin_traitant"),
        ("Je n'ai plus de médecin traitant", "medecin_traitant"),
        ("un médecin généraliste", "medecin_traitant"),
        ("une visite à domicile", "visite_domicile"),
        ("une visite", "visite_domicile"),
        ("il faudrait qu'un médecin vienne à la maison", "visite_domicile"),
        ("je voudrais consulter rapidement", "soins_non_programmes"),
        ("un rendez-vous aujourd'hui", "soins_non_programmes"),
        ("un rendez-vous", "soins_non_programmes"),
        ("autre chose", "orientation"),
        ("j'ai une question", "orientation"),
        ("deux", "visite_domicile"),
        ("Deux.", "visite_domicile"),
        ("le trois", "soins_non_programmes"),
        ("quatre", "orientation"),
        ("un", "medecin_traitant"),
        ("3", "soins_non_programmes"),
        ("choix 4", "orientation"),
    ],
)
def test_french_words_choose_a_motive(speech: str, motive: str) -> None:
    assert parse_menu_input(None, speech) == MenuInput(motive=motive)


@pytest.mark.parametrize("speech", ["répétez", "Répéter s'il vous plaît", "encore une fois", "étoile", "REPETEZ"])
def test_asking_to_hear_it_again_in_french_repeats_the_menu(speech: str) -> None:
    assert parse_menu_input(None, speech) == MenuInput(repeat=True)


@pytest.mark.parametrize(
    "speech",
    ["UNE VISITE À DOMICILE", "une visite a domicile", "Une Visite À Domicile !", "  une   visite   à   domicile  "],
)
def test_speech_is_matched_whatever_the_accents_case_and_spacing(speech: str) -> None:
    assert parse_menu_input(None, speech).motive == "visite_domicile"


def test_a_word_inside_a_longer_word_does_not_count() -> None:
    # "soins" lies inside "besoins", "vite" inside "visite": neither is a request for quick care.
    assert parse_menu_input(None, "mes besoins particuliers") == MenuInput()


def test_an_article_in_a_sentence_is_not_read_as_the_key_one() -> None:
    assert parse_menu_input(None, "je voudrais parler à une dame") == MenuInput()


@pytest.mark.parametrize("speech", ["bonjour", "euh", "le chat est sur la table"])
def test_words_that_name_no_choice_are_not_understood(speech: str) -> None:
    assert not parse_menu_input(None, speech).understood


def test_folding_removes_accents_case_and_punctuation_but_keeps_apostrophes() -> None:
    assert fold("  Aujourd’hui, À DOMICILE !  ") == "aujourd'hui a domicile"


def test_punctuation_between_two_words_of_a_phrase_does_not_hide_it() -> None:
    assert parse_menu_input(None, "un médecin, traitant").motive == "medecin_traitant"


@given(st.text(max_size=60))
@settings(max_examples=200)
def test_any_speech_gives_at_most_one_choice(speech: str) -> None:
    answer = parse_menu_input(None, speech)

    assert not (answer.repeat and answer.motive is not None)
    assert answer.motive is None or answer.motive in MOTIVES


# ---------------------------------------------------------------- menu: what comes next


def test_a_chosen_motive_goes_on_at_once() -> None:
    step = after_menu(MenuInput(motive="visite_domicile"), tries=1)

    assert (step.motive, step.ask_again, step.defaulted) == ("visite_domicile", False, False)


def test_a_first_silence_asks_again_and_says_it_was_not_understood() -> None:
    step = after_menu(MenuInput(), tries=1)

    assert step.ask_again
    assert step.not_understood
    assert step.motive is None


def test_a_second_silence_goes_on_as_orientation_and_never_hangs_up() -> None:
    step = after_menu(MenuInput(), tries=MAX_MENU_TRIES)

    assert step.motive == "orientation"
    assert step.defaulted
    assert not step.ask_again


def test_asking_to_repeat_is_not_a_failed_try() -> None:
    step = after_menu(MenuInput(repeat=True), tries=MAX_MENU_TRIES)

    assert step.ask_again
    assert not step.not_understood
    assert not step.defaulted


def test_two_silences_around_any_number_of_repeats_end_as_orientation() -> None:
    # The views keep the try number on a repeat and add one on a miss: replay that here.
    tries = 1
    for answer in [MenuInput(), MenuInput(repeat=True), MenuInput(repeat=True), MenuInput()]:
        step = after_menu(answer, tries)
        if step.not_understood:
            tries += 1

    assert step.motive == "orientation"
    assert step.defaulted


@given(st.integers(min_value=1, max_value=50), st.booleans())
@settings(max_examples=200)
def test_the_menu_never_ends_without_a_motive_or_a_new_question(tries: int, repeat: bool) -> None:
    step = after_menu(MenuInput(repeat=repeat), tries)

    assert step.ask_again or step.motive in MOTIVES


# ---------------------------------------------------------------- postcode


def test_five_typed_digits_are_a_postcode() -> None:
    assert parse_postcode("75020", None) == "75020"


@pytest.mark.parametrize("speech", ["75 020", "75020", "7 5 0 2 0", "c'est le 75020.", "75-020"])
def test_a_spoken_postcode_is_read_from_its_digits(speech: str) -> None:
    assert parse_postcode(None, speech) == "75020"


@pytest.mark.parametrize(
    ("speech", "postcode"),
    [
        ("soixante-quinze zéro vingt", "75020"),
        ("Soixante-Quinze, zéro, vingt.", "75020"),
        ("quatre-vingt-treize cent", "93100"),
        ("soixante-quinze mille vingt", "75020"),
        ("soixante-neuf zéro zéro un", "69001"),
        ("treize zéro zéro huit", "13008"),
        ("sept cinq zéro deux zéro", "75020"),
        ("quatre-vingt-dix-neuf zéro vingt et un", "99021"),
        ("c'est le soixante-dix-sept cent", "77100"),
        ("nonante-deux zéro dix", "92010"),
    ],
)
def test_a_postcode_said_in_french_words_is_read_as_its_digits(speech: str, postcode: str) -> None:
    assert parse_postcode(None, speech) == postcode


def test_typed_digits_win_over_speech() -> None:
    assert parse_postcode("93100", "75 020") == "93100"


def test_a_wrong_number_of_typed_digits_falls_back_on_speech() -> None:
    assert parse_postcode("7502", "75 020") == "75020"


@pytest.mark.parametrize(
    ("digits", "speech"),
    [("7502", None), ("750201", None), (None, "75 02"), (None, "soixante-quinze vingt"), (None, None), ("", "")],
)
def test_too_few_or_too_many_digits_give_no_postcode(digits: str | None, speech: str | None) -> None:
    assert parse_postcode(digits, speech) is None


@given(st.text(alphabet="0123456789", min_size=0, max_size=8))
@settings(max_examples=200)
def test_typed_digits_are_a_postcode_exactly_when_there_are_five(digits: str) -> None:
    assert parse_postcode(digits, None) == (digits if len(digits) == 5 else None)


def test_a_postcode_goes_on_at_once() -> None:
    step = after_postcode("75020", tries=1)

    assert (step.postcode, step.ask_again) == ("75020", False)


def test_a_first_missed_postcode_is_asked_again() -> None:
    assert after_postcode(None, tries=1).ask_again


def test_a_second_missed_postcode_continues_without_one() -> None:
    step = after_postcode(None, tries=MAX_POSTCODE_TRIES)

    assert (step.postcode, step.ask_again) == (None, False)


def test_a_neighbouring_cpts_covering_the_postcode_is_found() -> None:
    neighbours = [("CPTS Paris 19", "+33140000019", ["75019"]), ("CPTS Montreuil", "+33140000093", ["93100"])]

    assert neighbour_for("93100", neighbours) == ("CPTS Montreuil", "+33140000093")
    assert neighbour_for("75011", neighbours) is None


# ---------------------------------------------------------------- screening


def test_only_a_one_takes_the_call() -> None:
    assert screening_accepts("1")


@pytest.mark.parametrize("digits", ["2", "", None, "#", "*", "0", " "])
def test_any_other_key_silence_or_a_voicemail_refuses(digits: str | None) -> None:
    assert not screening_accepts(digits)


def test_a_double_one_does_not_take_the_call() -> None:
    # The screening <Gather> has numDigits=1, so Twilio never sends "11"; if it ever did, it is not a clear 1,
    # and refusing only offers the patient to the next volunteer.
    assert not screening_accepts("11")


@given(st.text(alphabet="0123456789*# ", max_size=3))
@settings(max_examples=200)
def test_screening_accepts_nothing_but_a_single_one(digits: str) -> None:
    assert screening_accepts(digits) == (digits.strip() == "1")
