"""Territory services: create and configure a CPTS line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from unidecode import unidecode

from orientation.core.calendar import french_public_holidays
from orientation.core.models import Neighbour, Request, Territory, TerritoryNumber
from orientation.core.opening_hours import OpeningHoursError, is_open, parse_opening_hours
from orientation.services import audit

_SKIP_WORDS = {"CPTS", "DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "ET", "EN", "SUR"}
PREFIX_LENGTH = 6  # territories.reference_prefix is a String(6)
_CREATE_TRIES = 3  # a default prefix raced by simultaneous creations is chosen again, this many times at most


def default_prefix(name: str) -> str:
    """A short reference prefix from the name: "CPTS Paris 20" → "P20", "CPTS Démo" → "D"."""
    words = [w for w in re.split(r"[^A-Z0-9]+", unidecode(name).upper()) if w and w not in _SKIP_WORDS]
    prefix = ""
    for word in words:
        prefix += word if word.isdigit() else word[0]
    return (prefix or "REQ")[:PREFIX_LENGTH]


class PrefixTaken(ValueError):
    """The reference prefix already numbers another territory's requests."""


def prefix_candidates(base: str) -> Iterator[str]:
    """The prefix, then numbered variants that still fit: "B", "B2", "B3"…, "ABCDEF" → "ABCDE2"."""
    base = base.upper()
    yield base
    for n in range(2, 10**PREFIX_LENGTH):
        suffix = str(n)
        if len(suffix) >= PREFIX_LENGTH:
            break
        yield base[: PREFIX_LENGTH - len(suffix)] + suffix


def free_prefix(base: str, is_taken: Callable[[str], bool]) -> str:
    """The first candidate of `base` that is not taken (pure: the caller says what is taken)."""
    for candidate in prefix_candidates(base):
        if not is_taken(candidate):
            return candidate
    raise PrefixTaken(base)


def prefix_in_use(session: Session, prefix: str, territory_id: int | None = None) -> bool:
    """True when another territory has the prefix (any case), or its requests' references start with it.

    Old references count too: a prefix another territory gave up still numbers its past requests, and the
    references of the two would collide (requests.reference is unique).
    """
    upper = prefix.upper()
    held = select(Territory.id).where(func.upper(Territory.reference_prefix) == upper)
    # References are "PREFIX-YEAR-NUMBER" and a prefix holds no "-", so "B-…" are B's, never B2's.
    numbered = select(Request.id).where(func.upper(Request.reference).startswith(f"{upper}-", autoescape=True))
    if territory_id is not None:
        held = held.where(Territory.id != territory_id)
        numbered = numbered.where(Request.territory_id != territory_id)
    with session.no_autoflush:
        return session.scalar(held.limit(1)) is not None or session.scalar(numbered.limit(1)) is not None


class NumberTaken(ValueError):
    """The phone number already reaches another territory's line."""


def numbers_in_use(session: Session, numbers: list[str], territory_id: int | None = None) -> list[str]:
    """Those of the numbers already attached to another territory."""
    query = select(TerritoryNumber.phone).where(TerritoryNumber.phone.in_(numbers))
    if territory_id is not None:
        query = query.where(TerritoryNumber.territory_id != territory_id)
    return list(session.scalars(query))


@contextmanager
def _claiming_prefix(session: Session, prefix: str, territory_id: int | None) -> Iterator[None]:
    """Flush the changes made inside in a savepoint, undone with PrefixTaken if the prefix was taken meanwhile.

    Another writer may commit the same prefix between our look and our INSERT: the unique index refuses ours.
    """
    try:
        # The changes are made inside: begin_nested() flushes what was pending before its SAVEPOINT.
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        if prefix_in_use(session, prefix, territory_id):
            raise PrefixTaken(prefix) from exc
        raise


def create_territory(session: Session, data: dict[str, Any], now: datetime) -> Territory:
    """A new territory from validated data; raises NumberTaken or PrefixTaken when another line has them.

    Without a prefix, the first free one derived from the name is taken ("B", then "B2"…).
    """
    taken = numbers_in_use(session, data["phone_numbers"])
    if taken:
        raise NumberTaken(", ".join(taken))
    given = data.get("reference_prefix")
    if given and prefix_in_use(session, given):
        raise PrefixTaken(given)
    prefix = given or free_prefix(default_prefix(data["name"]), lambda p: prefix_in_use(session, p))
    territory = Territory(
        name=data["name"],
        reference_prefix=prefix,
        opening_hours=data.get("opening_hours") or "24/7",
        postcodes=list(data.get("postcodes") or []),
        languages=list(data.get("languages") or ["fr"]),
        holiday_subdivision=data.get("holiday_subdivision"),
        coordinator_phone=data.get("coordinator_phone"),
        ring_seconds=data.get("ring_seconds") or 20,
        max_wait_seconds=data.get("max_wait_seconds") or 240,
        sms_sender=data.get("sms_sender"),
        sms_replies=data.get("sms_replies"),
        settings=dict(data.get("settings") or {}),
        created_at=now,
    )
    if data.get("queue_wait_limit_seconds"):
        territory.queue_wait_limit_seconds = data["queue_wait_limit_seconds"]
    apply_crisis(territory, data.get("crisis") or {})
    apply_callback_after_hang_up(territory, data)
    territory.numbers = [TerritoryNumber(phone=p) for p in data["phone_numbers"]]
    territory.neighbours = [
        Neighbour(name=n["name"], phone=n["phone"], postcodes=list(n.get("postcodes") or []))
        for n in data.get("neighbours") or []
    ]
    tries = 1
    while True:
        try:
            with _claiming_prefix(session, territory.reference_prefix, None):
                session.add(territory)
            return territory
        except PrefixTaken:
            if given or tries == _CREATE_TRIES:
                raise
            # Another territory took the same default at the same moment: take the next free one.
            tries += 1
            territory.reference_prefix = free_prefix(default_prefix(data["name"]), lambda p: prefix_in_use(session, p))


def update_territory(session: Session, territory: Territory, data: dict[str, Any]) -> Territory:
    """Change the given fields of a territory (validated data, only the keys present).

    Raises NumberTaken or PrefixTaken, having changed nothing, when another line has them.
    """
    if data.get("reference_prefix") and prefix_in_use(session, data["reference_prefix"], territory.id):
        raise PrefixTaken(data["reference_prefix"])
    if "phone_numbers" in data:
        taken = numbers_in_use(session, data["phone_numbers"], territory.id)
        if taken:
            raise NumberTaken(", ".join(taken))
    with _claiming_prefix(session, data.get("reference_prefix") or territory.reference_prefix, territory.id):
        _apply_changes(territory, data)
    return territory


def _apply_changes(territory: Territory, data: dict[str, Any]) -> None:
    if "phone_numbers" in data:
        # Keep the rows of numbers that stay, so the unique phone never appears twice mid-flush.
        kept = {n.phone: n for n in territory.numbers if n.phone in data["phone_numbers"]}
        territory.numbers = [kept.get(p) or TerritoryNumber(phone=p) for p in data["phone_numbers"]]
    for key in (
        "name",
        "reference_prefix",
        "opening_hours",
        "postcodes",
        "languages",
        "holiday_subdivision",
        "coordinator_phone",
        "ring_seconds",
        "max_wait_seconds",
        "sms_sender",
        "sms_replies",
        "settings",
        "queue_wait_limit_seconds",
    ):
        if key in data:
            setattr(territory, key, data[key])
    apply_crisis(territory, data.get("crisis") or {})
    apply_callback_after_hang_up(territory, data)
    if "neighbours" in data:
        territory.neighbours = [
            Neighbour(name=n["name"], phone=n["phone"], postcodes=list(n.get("postcodes") or []))
            for n in data["neighbours"]
        ]


def apply_crisis(territory: Territory, crisis: dict[str, Any]) -> None:
    """Set the crisis settings given (validated: keys among enabled, offers, announcement); others stay."""
    if "enabled" in crisis:
        territory.crisis_enabled = crisis["enabled"]
    if "offers" in crisis:
        territory.crisis_offers = crisis["offers"]
    if "announcement" in crisis:
        territory.crisis_announcement = crisis["announcement"] or None


def apply_callback_after_hang_up(territory: Territory, data: dict[str, Any]) -> None:
    """Set the waiting line's call-back opt-in when given (kept in the territory's settings, read by
    services.waitline): a mobile caller who hung up while waiting is called back like a message."""
    if data.get("callback_after_hang_up") is not None:
        territory.settings = {
            **(territory.settings or {}),
            "callback_after_hang_up": bool(data["callback_after_hang_up"]),
        }


def record_settings_change(
    session: Session, territory: Territory, changed: dict[str, Any], actor: str, via: str, now: datetime
) -> None:
    """One audit entry naming the settings changed, with the crisis values (not the announcement's words)."""
    if not changed:
        return
    details: dict[str, Any] = {"via": via, "fields": sorted(changed)}
    if changed.keys() & {"crisis", "queue_wait_limit_seconds", "callback_after_hang_up"}:
        details["crisis"] = {
            "enabled": territory.crisis_enabled,
            "offers": territory.crisis_offers,
            "announcement": territory.crisis_announcement is not None,
        }
        details["queue_wait_limit_seconds"] = territory.queue_wait_limit_seconds
        details["callback_after_hang_up"] = (territory.settings or {}).get("callback_after_hang_up") is True
    audit.record(session, actor, "settings", None, now, details, territory_id=territory.id)


def main_number(session: Session, territory: Territory) -> str | None:
    """The line's number (Territory.main_number), read without loading the numbers nor flushing first."""
    if "numbers" in territory.__dict__:
        return territory.main_number
    if "first_number" in territory.__dict__:
        return territory.first_number  # loaded with the territory (the webhooks' request lookup)
    # One column of one row: a webhook needs the caller ID, not TerritoryNumber objects.
    numbers = TerritoryNumber.__table__
    first = select(numbers.c.phone).where(numbers.c.territory_id == territory.id).order_by(numbers.c.id).limit(1)
    with session.no_autoflush:
        return session.execute(first).scalar()


def sms_from(territory: Territory, session: Session | None = None) -> str | None:
    """Who the line's SMS come from: its SMS sender when set, else its own number."""
    if territory.sms_sender:
        return territory.sms_sender
    return main_number(session, territory) if session is not None else territory.main_number


def line_open(territory: Territory, now: datetime) -> bool:
    """True when the territory's line takes calls at `now` (call-backs and volunteers' pauses follow it too)."""
    try:
        hours = parse_opening_hours(territory.opening_hours)
    except OpeningHoursError:
        # Hours are validated when saved; a bad value must not close the line, nor stop call-backs, for good.
        return True
    return is_open(hours, now, french_public_holidays(territory.holiday_subdivision), ZoneInfo(territory.timezone))
