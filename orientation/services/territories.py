"""Territory services: create and configure a CPTS line."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from unidecode import unidecode

from orientation.models import Neighbour, Territory, TerritoryNumber

_SKIP_WORDS = {"CPTS", "DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "ET", "EN", "SUR"}


def default_prefix(name: str) -> str:
    """A short reference prefix from the name: "CPTS Paris 20" → "P20", "CPTS Démo" → "D"."""
    words = [w for w in re.split(r"[^A-Z0-9]+", unidecode(name).upper()) if w and w not in _SKIP_WORDS]
    prefix = ""
    for word in words:
        prefix += word if word.isdigit() else word[0]
    return (prefix or "REQ")[:6]


class NumberTaken(ValueError):
    """The phone number already reaches another territory's line."""


def numbers_in_use(session: Session, numbers: list[str], territory_id: int | None = None) -> list[str]:
    """Those of the numbers already attached to another territory."""
    query = select(TerritoryNumber.phone).where(TerritoryNumber.phone.in_(numbers))
    if territory_id is not None:
        query = query.where(TerritoryNumber.territory_id != territory_id)
    return list(session.scalars(query))


def create_territory(session: Session, data: dict[str, Any], now: datetime) -> Territory:
    """A new territory from validated data; raises NumberTaken when a number already serves a line."""
    taken = numbers_in_use(session, data["phone_numbers"])
    if taken:
        raise NumberTaken(", ".join(taken))
    territory = Territory(
        name=data["name"],
        reference_prefix=data.get("reference_prefix") or default_prefix(data["name"]),
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
    territory.numbers = [TerritoryNumber(phone=p) for p in data["phone_numbers"]]
    territory.neighbours = [
        Neighbour(name=n["name"], phone=n["phone"], postcodes=list(n.get("postcodes") or []))
        for n in data.get("neighbours") or []
    ]
    session.add(territory)
    session.flush()
    return territory


def update_territory(session: Session, territory: Territory, data: dict[str, Any]) -> Territory:
    """Change the given fields of a territory (validated data, only the keys present)."""
    if "phone_numbers" in data:
        taken = numbers_in_use(session, data["phone_numbers"], territory.id)
        if taken:
            raise NumberTaken(", ".join(taken))
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
    ):
        if key in data:
            setattr(territory, key, data[key])
    if "neighbours" in data:
        territory.neighbours = [
            Neighbour(name=n["name"], phone=n["phone"], postcodes=list(n.get("postcodes") or []))
            for n in data["neighbours"]
        ]
    session.flush()
    return territory


def main_number(session: Session, territory: Territory) -> str | None:
    """The line's number (Territory.main_number), read without loading the numbers nor flushing first."""
    if "numbers" in territory.__dict__:
        return territory.main_number
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
