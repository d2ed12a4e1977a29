"""The French wording: placeholders filled by the webhooks, overrides, references and times as spoken."""

from __future__ import annotations

import ast
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.labels import MOTIVE_PHRASES
from orientation.core.prompts import (
    PROMPTS,
    PromptError,
    motive_label,
    motive_request,
    placeholders,
    spoken_postcode,
    spoken_reference,
    spoken_time,
    spoken_when,
    text,
)
from orientation.services.references import format_reference
from orientation.services.territories import default_prefix

ROOT = Path(__file__).resolve().parents[2]
# The webhook modules that say prompts (the patient's call was one views.py before issue 15's split; the outcome
# request's wording is in outcome_ask.py since issue 17).
_MODULES = ("views.py", "webhooks.py", "status_views.py", "waitline_views.py", "outcome_ask.py")
VIEWS = [ROOT / "callflows" / name for name in _MODULES]
# Services that choose a prompt for a webhook return it as ("key", {values}).
OUTCOMES = ROOT / "orientation" / "services" / "outcomes.py"


# ---------------------------------------------------------------- call sites in the webhooks


def _constant_keys(node: ast.expr, assigned: dict[str, set[str]]) -> set[str]:
    """The prompt keys an argument may hold: a literal, a conditional of literals, or a name bound to them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constant_keys(node.body, assigned) | _constant_keys(node.orelse, assigned)
    if isinstance(node, ast.Name):
        return assigned.get(node.id, set())
    return set()


def _is_prompt_call(call: ast.Call) -> bool:
    """`say(...)` (the territory's partial), `prompts.text(...)` or `_say(territory)(...)`."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "say"
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == "prompts" and func.attr == "text"
    return isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "_say"


def view_call_sites() -> list[tuple[str, frozenset[str], int]]:
    """Every (prompt key, keyword names passed, line) in the webhook modules of callflows."""
    sites: list[tuple[str, frozenset[str], int]] = []
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in VIEWS if path.exists()]
    functions = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for function in functions:
        assigned: dict[str, set[str]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, set()).update(_constant_keys(node.value, {}))
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and _is_prompt_call(node) and node.args:
                names = frozenset(k.arg for k in node.keywords if k.arg is not None and k.arg != "overrides")
                for key in _constant_keys(node.args[0], assigned):
                    sites.append((key, names, node.lineno))
    return sites


def service_choices() -> list[tuple[str, frozenset[str], int]]:
    """Every `return "key", {values}` of the outcome service, which the SMS webhook says as is."""
    tree = ast.parse(OUTCOMES.read_text(encoding="utf-8"))
    sites: list[tuple[str, frozenset[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            key, values = node.value.elts
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(values, ast.Dict):
                names = frozenset(k.value for k in values.keys if isinstance(k, ast.Constant))
                sites.append((key.value, names, node.lineno))
    return sites


SITES = view_call_sites() + service_choices()


def test_the_webhooks_call_sites_are_found() -> None:
    # Guards the parsers above: if views.py changes shape, these tests must not pass by finding nothing.
    keys = {key for key, _, _ in SITES}

    assert {"welcome", "menu", "closed", "screening", "sms_outcome_request", "message_recorded", "no_message"} <= keys
    assert {"sms_outcome_saved", "sms_outcome_which"} <= keys


@pytest.mark.parametrize(("key", "names", "line"), SITES, ids=[f"{k}@{n}" for k, _, n in SITES])
def test_each_prompt_a_webhook_says_is_in_the_catalogue(key: str, names: frozenset[str], line: int) -> None:
    assert key in PROMPTS, f"line {line} says an unknown prompt {key!r}"


@pytest.mark.parametrize(("key", "names", "line"), SITES, ids=[f"{k}@{n}" for k, _, n in SITES])
def test_each_webhook_fills_exactly_the_placeholders_of_its_prompt(key: str, names: frozenset[str], line: int) -> None:
    assert placeholders(key) == names, f"line {line} passes {sorted(names)} to {key!r}"


# ---------------------------------------------------------------- the catalogue


SAMPLE_VALUES = {
    "territory": "CPTS Paris 20",
    "motive": "visite à domicile",
    "postcode": "7 5 0 2 0",
    "neighbour": "CPTS Montreuil",
    "phone": "01 40 00 00 93",
    "reopens": "demain à 8 heures",
    "reference": "P 20, 2026, 1 2 3",
    "shifts": "lundi 8 heures",
    "outcome": "pris en charge",
    "references": "P20-2026-000123, P20-2026-000124",
    "example": "P20-2026-000123",
}


@pytest.mark.parametrize("key", sorted(PROMPTS))
def test_no_prompt_leaves_a_brace_once_filled(key: str) -> None:
    said = text(key, **{name: SAMPLE_VALUES.get(name, "valeur") for name in placeholders(key)})

    assert "{" not in said
    assert "}" not in said
    assert said == said.strip()
    assert "  " not in said


@pytest.mark.parametrize(
    ("postcode", "spoken"),
    [
        ("75020", "75 0 20"),
        ("69001", "69 0 0 1"),
        ("93100", "93 1 0 0"),
        ("05000", "0 5 0 0 0"),
        ("2A004", "2 A 0 0 4"),
    ],
)
def test_a_postcode_is_spoken_in_pairs_the_french_way(postcode: str, spoken: str) -> None:
    assert spoken_postcode(postcode) == spoken


def test_an_unknown_prompt_key_is_an_error() -> None:
    with pytest.raises(PromptError):
        text("bienvenue")


def test_the_emergency_number_is_in_the_welcome() -> None:
    assert "composez le 15" in text("welcome", territory="CPTS Paris 20")


def test_a_territory_override_replaces_the_wording() -> None:
    overrides = {"welcome": "Bienvenue sur la ligne de la {territory}."}

    assert text("welcome", overrides, territory="CPTS Paris 20") == "Bienvenue sur la ligne de la CPTS Paris 20."


def test_an_override_for_another_prompt_changes_nothing() -> None:
    assert text("goodbye", {"welcome": "Bienvenue."}) == PROMPTS["goodbye"]


@pytest.mark.parametrize(
    "broken",
    [
        "Bienvenue à la {territoire}.",  # a name the call site does not pass
        "Bienvenue à la {territory.",  # an unclosed brace
        "Bienvenue } à la {territory}.",  # a stray closing brace
        "Bienvenue à la {0}.",  # a positional field
        "Bienvenue à la {}.",  # an empty field
        "Bienvenue à la {territory.__class__}.",  # attribute access
        "Bienvenue à la {territory[0]}.",  # indexing
        "Bienvenue à la {territory!r}.",  # a conversion
        "Bienvenue à la {territory:>999999999}.",  # a width that would build a gigabyte
        "",  # empty: nothing to say
    ],
)
def test_an_override_with_a_broken_placeholder_falls_back_to_the_catalogue(broken: str) -> None:
    said = text("welcome", {"welcome": broken}, territory="CPTS Paris 20")

    assert said == PROMPTS["welcome"].format(territory="CPTS Paris 20")


@pytest.mark.parametrize("not_text", [5, None, ["Bonjour"], {"fr": "Bonjour"}])
def test_an_override_that_is_not_text_falls_back_to_the_catalogue(not_text: object) -> None:
    # Overrides come from a territory's JSON settings: anything may be stored there.
    assert text("goodbye", {"goodbye": not_text}) == PROMPTS["goodbye"]


def test_an_override_may_leave_out_a_placeholder() -> None:
    assert text("welcome", {"welcome": "Bonjour."}, territory="CPTS Paris 20") == "Bonjour."


@given(st.text(max_size=40))
@settings(max_examples=200)
def test_any_override_gives_some_words_and_never_raises(override: str) -> None:
    said = text("welcome", {"welcome": override}, territory="CPTS Paris 20")

    assert said


@pytest.mark.parametrize(("motive", "label"), sorted(MOTIVE_PHRASES.items()))
def test_each_motive_has_its_french_label(motive: str, label: str) -> None:
    assert motive_label(motive) == label


@pytest.mark.parametrize("motive", [None, "", "inconnu"])
def test_a_missing_or_unknown_motive_is_spoken_as_orientation(motive: str | None) -> None:
    assert motive_label(motive) == "autre demande d'orientation"


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("reference", "spoken"),
    [
        ("P20-2026-000123", "P 20, 2026, 1 2 3"),
        ("P20-2026-000001", "P 20, 2026, 1"),
        ("P20-2026-100000", "P 20, 2026, 1 0 0 0 0 0"),
        ("D-2026-000000", "D, 2026, 0"),
        ("DEMO-2026-000042", "DEMO, 2026, 4 2"),
        ("P20E-2026-000007", "P 20 E, 2026, 7"),
        ("2A-2026-000010", "2 A, 2026, 1 0"),
    ],
)
def test_a_reference_is_spoken_in_groups_without_leading_zeros(reference: str, spoken: str) -> None:
    assert spoken_reference(reference) == spoken


def test_a_text_that_is_not_a_reference_is_spoken_as_it_is() -> None:
    assert spoken_reference("inconnu") == "inconnu"


def test_the_default_prefix_of_a_cpts_keeps_its_initials_and_numbers() -> None:
    assert default_prefix("CPTS Paris 20") == "P20"
    assert default_prefix("CPTS Démo") == "D"
    assert default_prefix("CPTS de la Vallée du Lot") == "VL"
    assert default_prefix("CPTS") == "REQ"


@given(
    st.from_regex(r"[A-Z0-9]{1,6}", fullmatch=True),
    st.integers(min_value=2020, max_value=2099),
    st.integers(min_value=0, max_value=999_999),
)
@settings(max_examples=200)
def test_a_spoken_reference_says_every_character_of_the_prefix_once_in_order(
    prefix: str, year: int, number: int
) -> None:
    spoken = spoken_reference(format_reference(prefix, year, number))
    said_prefix, said_year, said_number = spoken.split(", ")

    assert said_prefix.replace(" ", "") == prefix
    assert said_year == str(year)
    assert said_number.replace(" ", "") == str(number)


# ---------------------------------------------------------------- times and days


@pytest.mark.parametrize(
    ("hour", "minute", "spoken"),
    [
        (8, 0, "8 heures"),
        (13, 30, "13 heures 30"),
        (8, 5, "8 heures 5"),
        (1, 0, "1 heure"),
        (0, 0, "minuit"),
        (0, 30, "minuit 30"),
    ],
)
def test_a_clock_time_is_written_as_it_is_said(hour: int, minute: int, spoken: str) -> None:
    assert spoken_time(hour, minute) == spoken


TODAY = date(2026, 11, 27)  # a Friday


def test_an_opening_later_today_is_said_today() -> None:
    assert spoken_when(datetime(2026, 11, 27, 14, 0), TODAY) == "aujourd'hui à 14 heures"


def test_an_opening_tomorrow_is_said_tomorrow() -> None:
    assert spoken_when(datetime(2026, 11, 28, 8, 30), TODAY) == "demain à 8 heures 30"


def test_an_opening_after_tomorrow_gives_the_weekday_and_the_date_in_french() -> None:
    assert spoken_when(datetime(2026, 11, 30, 8, 0), TODAY) == "lundi 30 novembre à 8 heures"


def test_the_first_of_the_month_is_said_premier() -> None:
    assert spoken_when(datetime(2026, 12, 1, 8, 0), TODAY) == "mardi premier décembre à 8 heures"


def test_a_month_with_an_accent_is_spelled_in_french() -> None:
    assert spoken_when(datetime(2026, 8, 17, 9, 0), date(2026, 8, 14)) == "lundi 17 août à 9 heures"


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)), st.integers(min_value=2, max_value=400))
@settings(max_examples=200)
def test_any_later_opening_names_a_french_weekday_and_its_day_of_month(today: date, days_ahead: int) -> None:
    day = today + timedelta(days=days_ahead)
    spoken = spoken_when(datetime(day.year, day.month, day.day, 8, 0), today)
    weekday, day_of_month = spoken.split()[:2]

    assert weekday == ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")[day.weekday()]
    assert day_of_month == ("premier" if day.day == 1 else str(day.day))
    assert spoken.endswith("à 8 heures")


@pytest.mark.parametrize("key", ["screening", "callback_request", "waitline_offer"])
@pytest.mark.parametrize("motive", sorted(MOTIVE_PHRASES))
def test_what_a_volunteer_hears_names_the_motive_once_and_in_good_french(key: str, motive: str) -> None:
    values = {
        "territory": "Paris Est",
        "motive": motive_label(motive),
        "request": motive_request(motive),
        "postcode": "75011",
        "waited": "2 minutes",
    }
    said = text(key, **{name: values[name] for name in placeholders(key)})
    assert MOTIVE_PHRASES[motive] in said
    if motive != "orientation":
        # As PRODUCT.md words it: "Ligne d'orientation CPTS : demande de visite à domicile, …".
        assert f"demande de {MOTIVE_PHRASES[motive]}" in said
    # "demande de autre demande d'orientation" was said before: no "de" before a vowel, no doubled "demande".
    assert " de a" not in said and " de o" not in said
    assert said.count("demande") <= 1
