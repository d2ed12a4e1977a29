"""New passwords: 12 characters at least, a zxcvbn score of 3, French words and the account's own words guessable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orientation.cli.demo import DEMO_COORDINATOR_EMAIL, demo_password
from orientation.web.console.passwords import MIN_LENGTH, personal_words, weakness
from orientation.web.console.sessions import MAX_AGE, is_live

EMAIL = "jeanne.dupont@cpts-paris20.fr"


def test_eleven_characters_are_refused_whatever_they_are_and_twelve_strong_ones_pass() -> None:
    assert weakness("Gx7#qL9!vR2", EMAIL) == "mot de passe trop court (au moins 12 caractères)"
    assert weakness("Gx7#qL9!vR2z", EMAIL) is None
    assert MIN_LENGTH == 12


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("motdepasse2026", "il repose sur des mots courants"),
        ("soleilbonjour", "il repose sur des mots courants"),
        ("azertyuiop12", "il ressemble à un mot de passe très courant"),
        ("abcdefghijklmn", "c'est une suite comme « abc » ou « 6543 »"),
        ("azertyazertyazerty", "il répète une même suite"),
        ("aaaaaaaaaaaaaaa", "il répète un même caractère"),
        ("jeanne.dupont2026", "il reprend votre adresse e-mail ou votre nom"),
        ("JeanneDupont!!", "il reprend votre adresse e-mail ou votre nom"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason_in_french(password: str, reason: str) -> None:
    problem = weakness(password, EMAIL, "Jeanne Dupont")
    assert problem is not None
    assert problem.startswith("mot de passe trop facile à deviner : " + reason)


def test_the_accounts_own_words_count_only_for_that_account() -> None:
    # Weak for Jeanne Dupont (her e-mail and name), fine for someone else.
    assert weakness("dupont jeanne paris20", EMAIL, "Jeanne Dupont") is not None
    assert weakness("dupont jeanne paris20", "m.martin@example.org", "Marc Martin") is None


def test_personal_words_take_the_email_its_parts_and_the_name_with_and_without_accents() -> None:
    words = personal_words("Hélène.Loïc@cpts.fr", "Hélène Loïc")
    assert {"hélène.loïc@cpts.fr", "hélène.loïc", "hélène", "helene", "loïc", "loic", "cpts"} <= set(words)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "quatre chevaux sous la pluie", "Tr0ub4dor&3xyz", "x" * 10 + "Qz8#pL0v!wK" * 8],
)
def test_long_or_random_passwords_pass(password: str) -> None:
    assert weakness(password, EMAIL) is None


def test_a_password_longer_than_the_login_form_reads_is_refused() -> None:
    assert weakness("Qz8#pL0v!wK " * 100, EMAIL) == "mot de passe trop long (au plus 1024 caractères)"


def test_every_generated_demo_password_passes() -> None:
    passwords = {demo_password() for _ in range(200)}
    assert len(passwords) == 200
    assert [p for p in passwords if weakness(p, DEMO_COORDINATOR_EMAIL, "Coordination démo")] == []


NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_a_session_lives_until_it_is_idle_for_the_limit() -> None:
    idle = timedelta(minutes=30)
    assert is_live(NOON, NOON + timedelta(hours=2), NOON + timedelta(hours=2, minutes=29, seconds=59), idle)
    assert not is_live(NOON, NOON + timedelta(hours=2), NOON + timedelta(hours=2, minutes=30), idle)


def test_a_session_ends_at_twelve_hours_however_recent_its_last_request() -> None:
    idle = timedelta(minutes=30)
    last = NOON + MAX_AGE - timedelta(seconds=1)
    assert is_live(NOON, last, last, idle)
    assert not is_live(NOON, last, NOON + MAX_AGE, idle)
    assert timedelta(hours=12) == MAX_AGE
