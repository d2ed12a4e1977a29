"""The signed link to the outcome form and the nonce of its page: valid, expired, altered, foreign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.services.outcomes import (
    FORM_LINK_LIFETIME,
    FORM_NONCE_LIFETIME,
    FormGrant,
    FormLinkError,
    form_link,
    form_nonce,
    form_token,
    nonce_is_valid,
    note_is_theirs,
    outcome_is_theirs,
    read_form_token,
)

SECRET = "unit-secret"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=2**31 - 1), st.integers(min_value=1, max_value=2**31 - 1))
@settings(max_examples=100)
def test_a_token_gives_back_its_request_and_volunteer(request_id: int, volunteer_id: int) -> None:
    token = form_token(SECRET, request_id, volunteer_id, NOW)

    assert read_form_token(SECRET, token, NOW + timedelta(days=3)) == FormGrant(request_id, volunteer_id)


def test_a_token_is_valid_seven_days_to_the_second_by_the_clock_given() -> None:
    token = form_token(SECRET, 1, 2, NOW)

    assert read_form_token(SECRET, token, NOW + FORM_LINK_LIFETIME) == FormGrant(1, 2)
    with pytest.raises(FormLinkError) as expired:
        read_form_token(SECRET, token, NOW + FORM_LINK_LIFETIME + timedelta(seconds=1))
    assert expired.value.expired


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature changed
        lambda t: t.replace(t.split(".")[0], form_token(SECRET, 9, 2, NOW).split(".")[0]),  # another payload
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: t + "." + t,
    ],
)
def test_an_altered_token_is_refused_as_invalid_not_expired(mangle: object) -> None:
    token = form_token(SECRET, 1, 2, NOW)

    with pytest.raises(FormLinkError) as refused:
        read_form_token(SECRET, mangle(token), NOW)  # type: ignore[operator]
    assert not refused.value.expired


def test_a_token_of_another_secret_is_refused() -> None:
    with pytest.raises(FormLinkError):
        read_form_token(SECRET, form_token("another secret", 1, 2, NOW), NOW)


def test_the_link_is_absolute_with_its_token_in_the_query_string_not_the_path() -> None:
    link = form_link("https://line.example.org/", SECRET, 1, 2, NOW)

    path, _, query = link.partition("?")
    # Access logs keep paths, not query strings: the working token must not be in the path.
    assert path == "https://line.example.org/issue" and query.startswith("t=")
    assert read_form_token(SECRET, query.removeprefix("t="), NOW) == FormGrant(1, 2)


@pytest.mark.parametrize(
    ("outcome", "outcome_by", "theirs"),
    [
        (None, None, True),
        ("matched", "volunteer:2", True),
        ("matched", "volunteer:3", False),
        ("oriented", "user:1", False),
        ("no_solution", "token:reporting", False),
        ("matched", None, False),
    ],
)
def test_a_volunteer_may_change_no_outcome_or_their_own_only(
    outcome: str | None, outcome_by: str | None, theirs: bool
) -> None:
    assert outcome_is_theirs(outcome, outcome_by, 2) is theirs


@pytest.mark.parametrize(
    ("note", "note_by", "theirs"),
    [
        (None, None, True),
        ("", "user:1", True),
        ("RDV", "volunteer:2", True),
        ("RDV", "user:1", False),
        ("RDV", None, False),
    ],
)
def test_a_volunteer_sees_and_changes_no_note_but_their_own(
    note: str | None, note_by: str | None, theirs: bool
) -> None:
    assert note_is_theirs(note, note_by, 2) is theirs


def test_a_nonce_belongs_to_one_token_and_expires() -> None:
    token, other = form_token(SECRET, 1, 2, NOW), form_token(SECRET, 3, 2, NOW)
    nonce = form_nonce(SECRET, token, NOW)

    assert nonce_is_valid(SECRET, token, nonce, NOW + FORM_NONCE_LIFETIME)
    assert not nonce_is_valid(SECRET, other, nonce, NOW)
    assert not nonce_is_valid(SECRET, token, nonce, NOW + FORM_NONCE_LIFETIME + timedelta(seconds=1))
    assert not nonce_is_valid("another secret", token, nonce, NOW)
    assert not nonce_is_valid(SECRET, token, "", NOW)
    # A token is not a nonce: the two are signed for different purposes.
    assert not nonce_is_valid(SECRET, token, token, NOW)
