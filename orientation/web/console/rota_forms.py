"""The planning's forms (one-off shift: add, edit, delete; weekly pattern: add, end; replacement), parsed then written.

Times are Paris wall-clock times, as the coordinator types them; spans go through volunteers.shifts so a
shift typed "20:00–08:00" across a daylight-saving change lasts what the weekly pattern would.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from orientation.core import lifecycle
from orientation.core.fields import TimeOfDay, form_value
from orientation.core.times_of_day import to_time
from orientation.web.console.ids import parse_id
from orientation.web.console.periods import parse_day
from volunteers.models import Shift, ShiftException, ShiftPattern, Volunteer
from volunteers.shifts import HOLIDAY_RULES, local_span_utc


class FormErrors(ValueError):
    """Field → French message, shown next to each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _time(value: str | None) -> time | None:
    # The one parser of the API and the CSV import: "9h", "9:00", "09h30"… (orientation.core.fields.TimeOfDay).
    hhmm: str | None = form_value(TimeOfDay, value)
    return None if hhmm is None else to_time(hhmm)


def _volunteer(
    session: Session, territory_id: int, raw: str | None, errors: dict[str, str], key: str
) -> Volunteer | None:
    volunteer_id = parse_id(raw)
    found = session.get(Volunteer, volunteer_id) if volunteer_id is not None else None
    if found is None or found.territory_id != territory_id:
        errors[key] = "Choisissez un bénévole du territoire."
        return None
    return found


PAST = "Cette date est passée : choisissez aujourd'hui ou plus tard."


def _today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def _motives(form: MultiDict[str, str]) -> list[str]:
    return [m for m in form.getlist("motives") if m in lifecycle.MOTIVES]


def _shift_fields(
    session: Session, territory_id: int, form: MultiDict[str, str], now: datetime, tz: ZoneInfo
) -> tuple[Volunteer, datetime, datetime]:
    """The volunteer and UTC span of a shift form, or FormErrors (a day before today is refused)."""
    errors: dict[str, str] = {}
    volunteer = _volunteer(session, territory_id, form.get("volunteer_id"), errors, "volunteer_id")
    day = parse_day(form.get("day"))
    start, end = _time(form.get("start")), _time(form.get("end"))
    if day is None:
        errors["day"] = "Date attendue (AAAA-MM-JJ)."
    elif day < _today(now, tz):
        errors["day"] = PAST
    if start is None:
        errors["start"] = "Heure attendue (HH:MM)."
    if end is None:
        errors["end"] = "Heure attendue (HH:MM)."
    if errors or volunteer is None or day is None or start is None or end is None:
        raise FormErrors(errors)
    starts_at, ends_at = local_span_utc(day, start, end, tz)
    return volunteer, starts_at, ends_at


def add_shift(session: Session, territory_id: int, form: MultiDict[str, str], now: datetime, tz: ZoneInfo) -> Shift:
    """A one-off shift: a volunteer, a day, start and end times (an end at or before the start is the next day)."""
    volunteer, starts_at, ends_at = _shift_fields(session, territory_id, form, now, tz)
    shift = Shift(
        volunteer_id=volunteer.id, starts_at=starts_at, ends_at=ends_at, motives=_motives(form), created_at=now
    )
    session.add(shift)
    session.flush()
    return shift


def territory_shift(session: Session, territory_id: int, shift_id: int) -> Shift | None:
    """The one-off shift of that id if it belongs to a volunteer of the territory."""
    shift = session.get(Shift, shift_id)
    return shift if shift is not None and shift.volunteer.territory_id == territory_id else None


def territory_pattern(session: Session, territory_id: int, pattern_id: int) -> ShiftPattern | None:
    """The weekly pattern of that id if it belongs to a volunteer of the territory."""
    pattern = session.get(ShiftPattern, pattern_id)
    return pattern if pattern is not None and pattern.volunteer.territory_id == territory_id else None


def edit_shift(session: Session, shift: Shift, form: MultiDict[str, str], now: datetime, tz: ZoneInfo) -> Shift:
    """Change a one-off shift's volunteer, day, times and motives (the same rules as a new one)."""
    volunteer, starts_at, ends_at = _shift_fields(session, shift.volunteer.territory_id, form, now, tz)
    shift.volunteer_id, shift.starts_at, shift.ends_at = volunteer.id, starts_at, ends_at
    shift.motives = _motives(form)
    session.flush()
    return shift


def delete_shift(session: Session, shift: Shift) -> Shift:
    """Remove a one-off shift (the flush renews the territory's rota stamp)."""
    session.delete(shift)
    session.flush()
    return shift


def end_pattern(
    session: Session, pattern: ShiftPattern, form: MultiDict[str, str], now: datetime, tz: ZoneInfo
) -> ShiftPattern:
    """End a weekly pattern: its last day becomes the day typed (today or later, not before its start)."""
    last = parse_day(form.get("valid_until"))
    if last is None:
        raise FormErrors({"valid_until": "Date attendue (AAAA-MM-JJ)."})
    if last < _today(now, tz):
        raise FormErrors({"valid_until": PAST})
    if last < pattern.valid_from:
        raise FormErrors({"valid_until": "La fin est avant le début de cette permanence régulière."})
    pattern.valid_until = last
    session.flush()
    return pattern


def add_pattern(
    session: Session, territory_id: int, form: MultiDict[str, str], now: datetime, tz: ZoneInfo
) -> ShiftPattern:
    """A weekly pattern: weekdays, times, validity dates, motives, and what public holidays do."""
    errors: dict[str, str] = {}
    volunteer = _volunteer(session, territory_id, form.get("volunteer_id"), errors, "volunteer_id")
    weekdays = sorted({int(d) for d in form.getlist("weekdays") if d in {"0", "1", "2", "3", "4", "5", "6"}})
    start, end = _time(form.get("start")), _time(form.get("end"))
    valid_from = parse_day(form.get("valid_from"))
    valid_until = parse_day(form.get("valid_until")) if form.get("valid_until") else None
    holidays = form.get("holidays", "include")
    if not weekdays:
        errors["weekdays"] = "Cochez au moins un jour."
    if start is None:
        errors["start"] = "Heure attendue (HH:MM)."
    if end is None:
        errors["end"] = "Heure attendue (HH:MM)."
    if valid_from is None:
        errors["valid_from"] = "Date de début attendue."
    elif valid_from < _today(now, tz):
        errors["valid_from"] = PAST
    if form.get("valid_until") and valid_until is None:
        errors["valid_until"] = "Date illisible."
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = "La fin est avant le début."
    if holidays not in HOLIDAY_RULES:
        errors["holidays"] = "Choix inconnu."
    if errors or volunteer is None or start is None or end is None or valid_from is None:
        raise FormErrors(errors)
    pattern = ShiftPattern(
        volunteer_id=volunteer.id,
        weekdays=weekdays,
        start_time=start.strftime("%H:%M"),
        end_time=end.strftime("%H:%M"),
        valid_from=valid_from,
        valid_until=valid_until,
        motives=_motives(form),
        holidays=holidays,
        created_at=now,
    )
    session.add(pattern)
    session.flush()
    return pattern


def add_replacement(
    session: Session, territory_id: int, form: MultiDict[str, str], now: datetime, tz: ZoneInfo
) -> ShiftException:
    """One occurrence of a pattern taken by another volunteer, or cancelled when nobody is named."""
    errors: dict[str, str] = {}
    pattern_id = parse_id(form.get("pattern_id"))
    pattern = session.get(ShiftPattern, pattern_id) if pattern_id is not None else None
    if pattern is None or session.get(Volunteer, pattern.volunteer_id).territory_id != territory_id:  # type: ignore[union-attr]
        errors["pattern_id"] = "Choisissez une permanence régulière."
        pattern = None
    on_date = parse_day(form.get("on_date"))
    if on_date is None:
        errors["on_date"] = "Date attendue (AAAA-MM-JJ)."
    elif on_date < _today(now, tz):
        errors["on_date"] = PAST
    elif pattern is not None and (on_date.weekday() not in pattern.weekdays or on_date < pattern.valid_from):
        errors["on_date"] = "Cette permanence n'a pas lieu ce jour-là."
    replacement = None
    if form.get("replacement_id"):
        replacement = _volunteer(session, territory_id, form.get("replacement_id"), errors, "replacement_id")
    if errors or pattern is None or on_date is None:
        raise FormErrors(errors)
    existing = session.scalar(
        select(ShiftException).where(ShiftException.pattern_id == pattern.id, ShiftException.on_date == on_date)
    )
    exception = existing or ShiftException(pattern_id=pattern.id, on_date=on_date, created_at=now)
    exception.replacement_volunteer_id = replacement.id if replacement else None
    session.add(exception)
    session.flush()
    return exception


def week_shifts(session: Session, territory_id: int, start: datetime, end: datetime) -> list[Shift]:
    """The territory's one-off shifts that overlap [start, end), in time order."""
    return list(
        session.scalars(
            select(Shift)
            .join(Volunteer)
            .where(Volunteer.territory_id == territory_id, Shift.starts_at < end, Shift.ends_at > start)
            .order_by(Shift.starts_at, Shift.id)
        )
    )


def week_patterns(session: Session, territory_id: int, monday: date, sunday: date) -> list[ShiftPattern]:
    """The territory's weekly patterns valid on some day from monday to sunday."""
    return [
        p
        for p in session.scalars(
            select(ShiftPattern)
            .join(Volunteer)
            .where(Volunteer.territory_id == territory_id, ShiftPattern.valid_from <= sunday)
            .order_by(ShiftPattern.id)
        )
        if p.valid_until is None or p.valid_until >= monday
    ]
