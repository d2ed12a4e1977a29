"""`orientation rota import FILE.csv`: weekly patterns, one-off shifts, cancellations and replacements.

All or nothing: every row is checked, every bad row is reported with its line number and the reason, and
when there is one the caller rolls the whole file back. Re-importing the same file changes nothing: a
pattern or shift identical to one already there is counted as unchanged, an exception is set again.

Columns (a header line names them; `,` or `;` separated; UTF-8, with or without BOM; `#` starts a comment
line). Only ``volunteer_phone`` is always required; the others depend on ``type``:

==================  =================================================================================
column              meaning
==================  =================================================================================
type                ``pattern`` (default), ``shift``, ``cancel`` or ``replace``
volunteer_phone     the volunteer, by their mobile in any French format (06 12 34 56 78, +33612345678)
weekdays            pattern: ``Mo-Fr``, ``Tu Th``, ``lundi mercredi``, ``0 2`` (0 = Monday)
start, end          pattern and shift: local wall-clock ``HH:MM``; an end at or before the start ends the
                    next day (20:00–08:00). cancel/replace: ``start`` picks the pattern when the volunteer
                    has two that day
valid_from          pattern: first day (``YYYY-MM-DD`` or ``DD/MM/YYYY``)
valid_until         pattern: last day (empty: no end)
date                shift: the day it starts; cancel/replace: the day the occurrence starts
motives             pattern and shift: motive codes separated by spaces or ``|`` (empty: all the
                    volunteer's): medecin_traitant visite_domicile soins_non_programmes orientation
holidays            pattern: ``include`` (default), ``skip`` (not on public holidays), ``only``
replacement_phone   replace: the volunteer who takes that occurrence
==================  =================================================================================
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.fields import RANGE_TEXT, in_range
from orientation.core.lifecycle import MOTIVES
from orientation.core.models import Territory
from orientation.core.phones import InvalidPhone, to_e164
from orientation.core.times_of_day import PatternValueError, parse_hhmm, to_time
from volunteers.models import Shift, ShiftException, ShiftPattern, Volunteer
from volunteers.patterns import check_validity, occurs_on, parse_holidays, parse_weekdays
from volunteers.shifts import local_span_utc

COLUMNS = (
    "type",
    "volunteer_phone",
    "weekdays",
    "start",
    "end",
    "valid_from",
    "valid_until",
    "date",
    "motives",
    "holidays",
    "replacement_phone",
)
ROW_TYPES = ("pattern", "shift", "cancel", "replace")
_T = TypeVar("_T")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class RowError:
    """A bad row: its line in the file and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class RotaImportError(Exception):
    """The file has bad rows; nothing of it must be kept."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = errors


@dataclass
class ImportReport:
    """What an import added or found already there."""

    patterns_added: int = 0
    patterns_unchanged: int = 0
    shifts_added: int = 0
    shifts_unchanged: int = 0
    cancellations: int = 0
    replacements: int = 0
    rows: int = 0

    def summary(self) -> str:
        """One line for the operator."""
        return (
            f"{self.rows} row(s): {self.patterns_added} pattern(s) added, {self.patterns_unchanged} unchanged; "
            f"{self.shifts_added} shift(s) added, {self.shifts_unchanged} unchanged; "
            f"{self.cancellations} cancellation(s), {self.replacements} replacement(s)"
        )


class _BadRow(Exception):
    """A reason to refuse the current row."""


# ---------------------------------------------------------------- reading the file (pure)


def _dialect(first_line: str) -> str:
    # Spreadsheets set to French write `;`; a header never holds a quoted comma, so counting is enough.
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, {column: value}) for each data row; raise RotaImportError for a bad header."""
    iterator = iter(lines)
    buffered: list[str] = []
    header_line = 0
    for number, line in enumerate(iterator, start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            buffered.append(line)
            header_line = number
            break
    else:
        raise RotaImportError([RowError(1, "the file is empty: a header line naming the columns is expected")])
    delimiter = _dialect(buffered[0])

    def rest() -> Iterator[str]:
        yield from buffered
        yield from iterator

    reader = csv.reader(rest(), delimiter=delimiter)

    def records() -> Iterator[list[str]]:
        # A cell over the csv module's size limit would otherwise end the import with a traceback.
        try:
            yield from reader
        except csv.Error as exc:
            raise RotaImportError([RowError(header_line + reader.line_num - 1, f"unreadable CSV: {exc}")]) from None

    rows = records()
    header = [name.strip().lower().replace(" ", "_") for name in next(rows)]
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise RotaImportError([RowError(header_line, f"unknown column {unknown[0]!r}; columns: {', '.join(COLUMNS)}")])
    if "volunteer_phone" not in header:
        raise RotaImportError([RowError(header_line, "the header has no volunteer_phone column")])
    for cells in rows:
        number = header_line + reader.line_num - 1
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        if len(cells) > len(header):
            extra = [c for c in cells[len(header) :] if c.strip()]
            if extra:
                yield number, {"__error__": f"{len(cells)} cells for {len(header)} columns"}
                continue
        yield number, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}


def parse_date(value: str, column: str) -> date:
    """A date written YYYY-MM-DD or DD/MM/YYYY."""
    text = value.strip()
    try:
        match = _FRENCH_DATE.match(text)
        day = date(int(match.group(3)), int(match.group(2)), int(match.group(1))) if match else date.fromisoformat(text)
    except ValueError:
        raise _BadRow(f"{column}: not a date {value!r}: write YYYY-MM-DD or DD/MM/YYYY") from None
    if not in_range(day):  # the one range of the API and the console (orientation.core.fields)
        raise _BadRow(f"{column}: {RANGE_TEXT}")
    return day


def parse_motives(value: str) -> list[str]:
    """Motive codes separated by spaces, `|` or `,`."""
    codes = [code for code in re.split(r"[\s|,]+", value.strip()) if code]
    unknown = [code for code in codes if code not in MOTIVES]
    if unknown:
        raise _BadRow(f"motives: unknown motive {unknown[0]!r}; known: {' '.join(MOTIVES)}")
    return list(dict.fromkeys(codes))


def _required(row: dict[str, str], column: str, kind: str) -> str:
    value = row.get(column, "")
    if not value:
        raise _BadRow(f"{column} is required for a {kind} row")
    return value


def _checked(function: Callable[[str], _T], value: str, column: str) -> _T:
    try:
        return function(value)
    except PatternValueError as exc:
        raise _BadRow(f"{column}: {exc}") from None


# ---------------------------------------------------------------- applying the rows


class _Importer:
    def __init__(self, session: Session, territory: Territory, now: datetime) -> None:
        self.session = session
        self.territory = territory
        self.now = now
        self.tz = ZoneInfo(territory.timezone)
        self.report = ImportReport()
        self._volunteers: dict[str, Volunteer | None] = {}
        self._exception_lines: dict[tuple[int, date], int] = {}

    def volunteer(self, raw: str, column: str) -> Volunteer:
        try:
            phone = to_e164(raw, self.territory.region)
        except InvalidPhone:
            raise _BadRow(f"{column}: not a valid phone number {raw!r}") from None
        if phone not in self._volunteers:
            self._volunteers[phone] = self.session.scalar(
                select(Volunteer).where(Volunteer.territory_id == self.territory.id, Volunteer.phone == phone)
            )
        found = self._volunteers[phone]
        if found is None:
            raise _BadRow(f"{column}: no volunteer of {self.territory.name} has the number {raw!r}")
        return found

    def apply(self, line: int, row: dict[str, str]) -> None:
        if "__error__" in row:
            raise _BadRow(row["__error__"])
        kind = (row.get("type") or "pattern").lower()
        if kind not in ROW_TYPES:
            raise _BadRow(f"type: unknown type {kind!r}; one of {', '.join(ROW_TYPES)}")
        volunteer = self.volunteer(_required(row, "volunteer_phone", kind), "volunteer_phone")
        if kind == "pattern":
            self.pattern(row, volunteer)
        elif kind == "shift":
            self.shift(row, volunteer)
        else:
            self.exception(line, row, volunteer, kind)

    def pattern(self, row: dict[str, str], volunteer: Volunteer) -> None:
        weekdays = _checked(parse_weekdays, _required(row, "weekdays", "pattern"), "weekdays")
        start = _checked(parse_hhmm, _required(row, "start", "pattern"), "start")
        end = _checked(parse_hhmm, _required(row, "end", "pattern"), "end")
        valid_from = parse_date(_required(row, "valid_from", "pattern"), "valid_from")
        valid_until = parse_date(row["valid_until"], "valid_until") if row.get("valid_until") else None
        try:
            check_validity(valid_from, valid_until)
        except PatternValueError as exc:
            raise _BadRow(f"valid_until: {exc}") from None
        motives = parse_motives(row.get("motives", ""))
        holidays = _checked(parse_holidays, row.get("holidays", ""), "holidays")
        values = {
            "weekdays": list(weekdays),
            "start_time": start,
            "end_time": end,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "motives": motives,
            "holidays": holidays,
        }
        for existing in self._patterns_of(volunteer.id):
            if all(getattr(existing, key) == value for key, value in values.items()):
                self.report.patterns_unchanged += 1
                return
        pattern = ShiftPattern(volunteer_id=volunteer.id, created_at=self.now, **values)
        self.session.add(pattern)
        self.session.flush()
        self.report.patterns_added += 1

    def shift(self, row: dict[str, str], volunteer: Volunteer) -> None:
        day = parse_date(_required(row, "date", "shift"), "date")
        start = _checked(parse_hhmm, _required(row, "start", "shift"), "start")
        end = _checked(parse_hhmm, _required(row, "end", "shift"), "end")
        starts_at, ends_at = local_span_utc(day, to_time(start), to_time(end), self.tz)
        if ends_at <= starts_at:
            raise _BadRow("start, end: the clock skips that time (daylight saving change)")
        motives = parse_motives(row.get("motives", ""))
        same = self.session.scalar(
            select(Shift).where(
                Shift.volunteer_id == volunteer.id, Shift.starts_at == starts_at, Shift.ends_at == ends_at
            )
        )
        if same is not None:
            self.report.shifts_unchanged += 1
            return
        self.session.add(
            Shift(volunteer_id=volunteer.id, starts_at=starts_at, ends_at=ends_at, motives=motives, created_at=self.now)
        )
        self.session.flush()
        self.report.shifts_added += 1

    def exception(self, line: int, row: dict[str, str], volunteer: Volunteer, kind: str) -> None:
        day = parse_date(_required(row, "date", kind), "date")
        start = _checked(parse_hhmm, row["start"], "start") if row.get("start") else None
        candidates = [
            p
            for p in self._patterns_of(volunteer.id)
            if occurs_on(p.weekdays, p.valid_from, p.valid_until, day) and (start is None or p.start_time == start)
        ]
        if not candidates:
            at = f" at {start}" if start else ""
            raise _BadRow(f"date: no weekly pattern of this volunteer has a shift starting on {day}{at}")
        if len(candidates) > 1:
            raise _BadRow(f"date: this volunteer has {len(candidates)} patterns on {day}; give the start column")
        pattern = candidates[0]
        replacement_id: int | None = None
        if kind == "replace":
            replacement = self.volunteer(_required(row, "replacement_phone", kind), "replacement_phone")
            if replacement.id == volunteer.id:
                raise _BadRow("replacement_phone: the volunteer cannot replace themselves")
            replacement_id = replacement.id
        key = (pattern.id, day)
        if key in self._exception_lines:
            raise _BadRow(f"date: that shift is already cancelled or replaced on line {self._exception_lines[key]}")
        self._exception_lines[key] = line
        existing = self.session.scalar(
            select(ShiftException).where(ShiftException.pattern_id == pattern.id, ShiftException.on_date == day)
        )
        exception = existing or ShiftException(pattern_id=pattern.id, on_date=day, created_at=self.now)
        exception.replacement_volunteer_id = replacement_id
        self.session.add(exception)
        self.session.flush()
        if replacement_id is None:
            self.report.cancellations += 1
        else:
            self.report.replacements += 1

    def _patterns_of(self, volunteer_id: int) -> list[ShiftPattern]:
        return list(self.session.scalars(select(ShiftPattern).where(ShiftPattern.volunteer_id == volunteer_id)))


def import_rota(session: Session, territory: Territory, lines: Iterable[str], now: datetime) -> ImportReport:
    """Apply every row of a rota CSV to the session (not committed); RotaImportError lists the bad rows."""
    importer = _Importer(session, territory, now)
    errors: list[RowError] = []
    for line, row in read_rows(lines):
        importer.report.rows += 1
        try:
            # Each row is checked whole before anything of it is added, so a refused row leaves nothing behind
            # and later rows are checked on clean data. (No savepoint: SQLite's driver commits on RELEASE.)
            importer.apply(line, row)
        except _BadRow as exc:
            errors.append(RowError(line, str(exc)))
    if errors:
        raise RotaImportError(errors)
    return importer.report
