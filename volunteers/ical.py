"""A volunteer's private iCalendar feed of their shifts. Pure: occurrences in, RFC 5545 bytes out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vText

from orientation.core.labels import MOTIVE_NAMES
from volunteers.shifts import PARIS, Occurrence

PRODID = "-//CPTS Orientation//Permanences//FR"
SUMMARY = "Permanence ligne d'orientation"
UID_DOMAIN = "orientation.cpts"

_MOTIVE_ORDER = list(MOTIVE_NAMES)


def occurrence_uid(occurrence: Occurrence, tz: ZoneInfo = PARIS) -> str:
    """Return a UID stable across feed refreshes: the pattern or shift id and the local start date."""
    day = occurrence.starts_at.astimezone(tz).strftime("%Y%m%d")
    if occurrence.pattern_id is not None:
        return f"pattern-{occurrence.pattern_id}-{day}@{UID_DOMAIN}"
    return f"shift-{occurrence.shift_id}-{day}@{UID_DOMAIN}"


def describe_motives(motives: frozenset[str]) -> str:
    """Return the French line listing the motives a shift covers."""
    if not motives:
        return "Motifs : tous vos motifs"
    # Known motives in menu order, then any other code as is, so the line never loses information.
    ordered = [m for m in _MOTIVE_ORDER if m in motives] + sorted(motives - MOTIVE_NAMES.keys())
    return "Motifs : " + ", ".join(MOTIVE_NAMES.get(m, m) for m in ordered)


def shifts_calendar(
    volunteer_name: str,
    occurrences: Iterable[Occurrence],
    line_name: str,
    now: datetime,
    tz: ZoneInfo = PARIS,
) -> bytes:
    """Return the RFC 5545 calendar of the given occurrences, one VEVENT each, times in UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # X- properties are not known to be text: without vText a newline in a name is not escaped (and the
    # library refuses to write it), a ";" or "," not either. Typed as text, the library escapes them (RFC 5545).
    calendar.add("x-wr-calname", vText(f"Permanences – {line_name}"))
    calendar.add("x-wr-caldesc", vText(f"Permanences de {volunteer_name} – {line_name}"))
    stamp = now.astimezone(UTC)
    # Occurrences are expanded, not RRULEs: cancellations and replacements are then exact in every client.
    for occurrence in sorted(occurrences, key=lambda o: (o.starts_at, o.ends_at, occurrence_uid(o, tz))):
        event = Event()
        event.add("uid", occurrence_uid(occurrence, tz))
        event.add("dtstamp", stamp)
        event.add("dtstart", occurrence.starts_at.astimezone(UTC))
        event.add("dtend", occurrence.ends_at.astimezone(UTC))
        event.add("summary", SUMMARY)
        lines = [describe_motives(occurrence.motives)]
        if occurrence.replaced_volunteer_id is not None:
            lines.append("Vous remplacez un ou une collègue sur cette permanence.")
        event.add("description", "\n".join(lines))
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
