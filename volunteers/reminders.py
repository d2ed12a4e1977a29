"""When to remind volunteers of their shifts, and how to sum up the gaps of the coming days. Pure.

A territory chooses its reminders in ``Territory.settings["reminders"]``::

    {"enabled": true, "day_before_at": "18:00", "minutes_before": [60],
     "gaps_summary_at": "08:00", "gaps_summary_days": 7}

Every key is optional (these are the defaults); ``"day_before_at": null`` or ``"minutes_before": []``
turns that reminder off, ``"gaps_summary_at": null`` the coordinator's daily summary. A value that cannot
be understood falls back to its default: a typo must never silence the reminders.

Which reminder is sent. At an instant ``now``, a reminder of an occurrence is *due* when its time has come
and the shift has not started. Of the reminders due for one occurrence, only the latest is sent: a clock
process that was stopped through the evening and restarts an hour before a shift sends the one-hour
reminder alone, never a stale evening one on top of it. Each reminder has a key (the occurrence's stable
uid, the volunteer and the rule) that the caller records, so it is sent once, ever.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from orientation.core.french_dates import short_day
from volunteers.ical import occurrence_uid
from volunteers.shifts import PARIS, Occurrence

MAX_MINUTES_BEFORE = 7 * 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """A territory's reminder choices (see the module docstring)."""

    enabled: bool = True
    day_before_at: time | None = time(18)
    minutes_before: tuple[int, ...] = (60,)
    gaps_summary_at: time | None = time(8)
    gaps_summary_days: int = 7

    @property
    def lookahead(self) -> timedelta:
        """How far ahead a shift can start and already have a reminder due."""
        # The evening before a shift starting just before midnight is nearly two days earlier (plus DST).
        longest = max([2 * 24 * 60, *self.minutes_before])
        return timedelta(minutes=longest + 60)


def _time_or_default(raw: Mapping[str, object], key: str, default: time | None) -> time | None:
    if key not in raw:
        return default
    value = raw[key]
    if value is None or value is False:
        return None
    if isinstance(value, str) and (match := _HHMM.match(value.strip())):
        return time(int(match.group(1)), int(match.group(2)))
    return default


def reminder_settings(settings: Mapping[str, object] | None) -> ReminderSettings:
    """Return the reminder settings of a territory's ``settings`` JSON, defaults for what is absent or wrong."""
    raw = (settings or {}).get("reminders")
    if not isinstance(raw, Mapping):
        return ReminderSettings()
    defaults = ReminderSettings()
    enabled = raw.get("enabled", True)
    minutes: tuple[int, ...] = defaults.minutes_before
    if "minutes_before" in raw:
        value = raw["minutes_before"]
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, list) and all(isinstance(m, int) and not isinstance(m, bool) for m in value):
            minutes = tuple(sorted({m for m in value if 0 < m <= MAX_MINUTES_BEFORE}, reverse=True))
    days = raw.get("gaps_summary_days", defaults.gaps_summary_days)
    return ReminderSettings(
        enabled=enabled if isinstance(enabled, bool) else True,
        day_before_at=_time_or_default(raw, "day_before_at", defaults.day_before_at),
        minutes_before=minutes,
        gaps_summary_at=_time_or_default(raw, "gaps_summary_at", defaults.gaps_summary_at),
        gaps_summary_days=days if isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= 31 else 7,
    )


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder to send now: for which occurrence, by which rule, due since when, under which key."""

    key: str
    rule: str
    due_at: datetime
    occurrence: Occurrence


def _local_wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    # fold=0: in the repeated autumn hour, the first pass; a nonexistent spring time lands an hour later,
    # which for a reminder is harmless.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def reminder_times(
    occurrence: Occurrence, settings: ReminderSettings, tz: ZoneInfo = PARIS
) -> list[tuple[datetime, str]]:
    """Return each reminder of an occurrence as (due instant, rule name), those before its start only."""
    if not settings.enabled:
        return []
    times: list[tuple[datetime, str]] = []
    if settings.day_before_at is not None:
        eve = occurrence.starts_at.astimezone(tz).date() - timedelta(days=1)
        times.append((_local_wall(eve, settings.day_before_at, tz), "day_before"))
    for minutes in settings.minutes_before:
        times.append((occurrence.starts_at - timedelta(minutes=minutes), f"{minutes}min"))
    return sorted(t for t in times if t[0] < occurrence.starts_at)


def reminder_key(occurrence: Occurrence, rule: str, tz: ZoneInfo = PARIS) -> str:
    """Return the once-only key of a reminder: stable while the occurrence keeps its pattern and date."""
    return f"shift:{occurrence_uid(occurrence, tz)}:v{occurrence.volunteer_id}:{rule}"


def reminders_due(
    occurrences: Iterable[Occurrence], settings: ReminderSettings, now: datetime, tz: ZoneInfo = PARIS
) -> list[DueReminder]:
    """Return, per occurrence not yet started, its latest reminder whose time has come (sorted by due time)."""
    due: list[DueReminder] = []
    for occurrence in occurrences:
        if occurrence.starts_at <= now:
            continue
        passed = [(at, rule) for at, rule in reminder_times(occurrence, settings, tz) if at <= now]
        if passed:
            at, rule = passed[-1]
            due.append(DueReminder(reminder_key(occurrence, rule, tz), rule, at, occurrence))
    due.sort(key=lambda d: (d.due_at, d.key))
    return due


def day_label(at_local: datetime, today: date) -> str:
    """Return "aujourd'hui", "demain" or "le mer. 25/11" for a local instant, seen from local `today`."""
    day = at_local.date()
    if day == today:
        return "aujourd'hui"
    if day == today + timedelta(days=1):
        return "demain"
    return f"le {short_day(day)}"


def gaps_summary_entries(
    gaps: Mapping[str, Iterable[tuple[datetime, datetime]]],
    motive_labels: Mapping[str, str],
    tz: ZoneInfo = PARIS,
) -> list[str]:
    """Return one French line per gap, motives of identical gaps merged: "mer. 25/11 12:00–14:00 (tous motifs)"."""
    by_interval: dict[tuple[datetime, datetime], list[str]] = {}
    for motive, intervals in gaps.items():
        for interval in intervals:
            by_interval.setdefault(interval, []).append(motive)
    entries = []
    for (start, end), motives in sorted(by_interval.items()):
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        when = f"{short_day(local_start)} {local_start:%H:%M}"
        # Same day, or ending at the next midnight (12:00–00:00): one date is enough.
        ends_at_midnight = local_end.time() == time() and local_end.date() == local_start.date() + timedelta(days=1)
        if local_end.date() == local_start.date() or ends_at_midnight:
            when += f"–{local_end:%H:%M}"
        else:
            when += f" → {short_day(local_end)} {local_end:%H:%M}"
        which = "tous motifs" if len(motives) == len(gaps) else ", ".join(motive_labels.get(m, m) for m in motives)
        entries.append(f"{when} ({which})")
    return entries
