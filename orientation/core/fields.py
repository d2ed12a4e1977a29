"""Field types shared by the API, the console forms and the CSV imports: one rule per kind of value.

Each type is a pydantic annotated type. Its error carries a stable ``type`` (``day_range``, ``time_of_day``…)
so that the console and the imports can say it in French while the API keeps its English messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from orientation.core.times_of_day import PatternValueError, parse_hhmm

# Dates far from now are typos, and near the ends of the calendar they would overflow date arithmetic (a
# day after 9999-12-31, year 1 in UTC). The one range for every date and instant a person or a client gives.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
RANGE_TEXT = f"a date between {FIRST_DAY.year} and {LAST_DAY.year} is expected"

# What Python's str.strip() (and so pydantic's str_strip_whitespace) takes away, spelled for JSON Schema's
# regexes too: ECMAScript's \s differs (it holds U+FEFF, lacks U+001C-U+001F and U+0085).
SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


def trimmed(core: str) -> str:
    """A regex of ``core`` with the spaces str.strip() would take away around it."""
    return f"^{SPACE}*{core}{SPACE}*$"


# A French postcode: 5 ASCII digits (``\d`` would take Arabic-Indic ones too). A language: ISO 639, lower case.
POSTCODE = re.compile(r"^[0-9]{5}$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def is_postcode(text: str) -> bool:
    """True for 5 ASCII digits."""
    return bool(POSTCODE.match(text))


def is_language_code(text: str) -> bool:
    """True for an ISO 639 code of 2 or 3 lower-case letters (fr, en, ar, ber)."""
    return bool(LANGUAGE_CODE.match(text))


# Ids are 32-bit integer columns: a larger number is refused here rather than overflowing the database driver.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def in_range(day: date) -> bool:
    """True when the day lies within FIRST_DAY..LAST_DAY."""
    return FIRST_DAY <= day <= LAST_DAY


def check_day(value: date) -> date:
    """The day itself, or a ``day_range`` error when it lies outside the one range."""
    if not in_range(value):
        raise PydanticCustomError("day_range", RANGE_TEXT)
    return value


def _day(value: Any) -> Any:
    # Only yyyy-mm-dd (pydantic would also take a number of seconds, or a date-time at midnight).
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()) if len(value.strip()) == 10 else _not_a_day(value)
        except ValueError:
            return _not_a_day(value)
    return value


def _not_a_day(value: object) -> Any:
    raise PydanticCustomError("day_format", "a date (2026-12-01) is expected")


def _instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("instant_format", "an ISO 8601 date-time with its offset is expected") from None
        if len(value.strip()) <= 10 or parsed.tzinfo is None:
            raise PydanticCustomError("instant_offset", "give the UTC offset, e.g. 2026-12-01T00:00:00+01:00")
        return parsed
    return value


def _instant_in_range(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("instant_offset", "give the UTC offset, e.g. 2026-12-01T00:00:00+01:00")
    check_day(value.date())
    return value


Day = Annotated[date, BeforeValidator(_day), AfterValidator(check_day)]
"""A calendar day, yyyy-mm-dd, within the one range."""

Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    AfterValidator(_instant_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "ISO 8601 with its UTC offset"}),
]
"""An instant: an ISO 8601 date-time with its UTC offset, within the one range."""


def _bound(value: Any) -> Any:
    if isinstance(value, str) and len(value.strip()) == 10:
        return check_day(_day(value))
    return _instant_in_range(_instant(value)) if isinstance(value, str) else value


DayOrInstant = Annotated[
    date | datetime,
    BeforeValidator(_bound),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
            "description": "a date (local midnight) or a date-time with its UTC offset",
        }
    ),
]
"""A period bound: a date (the territory's midnight) or an instant."""


def form_value(kind: Any, text: str | None) -> Any:
    """A form's or a file's text read by one of these types, or None when empty or not valid (the caller says why
    in French: the console's and the imports' messages are their own)."""
    from pydantic import TypeAdapter, ValidationError

    if not text or not text.strip():
        return None
    try:
        return TypeAdapter(kind).validate_python(text.strip())
    except ValidationError:
        return None


def at_midnight(value: date | datetime, tz: tzinfo) -> datetime:
    """A DayOrInstant as an instant: a date is the start of that day on the territory's clock."""
    return value if isinstance(value, datetime) else datetime.combine(value, time(), tzinfo=tz)


def _time_of_day(value: str) -> str:
    try:
        return parse_hhmm(value)
    except PatternValueError as exc:
        raise PydanticCustomError("time_of_day", str(exc)) from None


TimeOfDay = Annotated[
    str,
    AfterValidator(_time_of_day),
    Field(
        description='local wall-clock time, "09:00" (also "9:00", "9h", "9h30")',
        examples=["09:00"],
        # In the document only: the parser gives the better message.
        json_schema_extra={"pattern": trimmed("([01]?[0-9]|2[0-3])[:hH]([0-5][0-9])?")},
    ),
]
"""A wall-clock time as "HH:MM", read by the one parser (orientation.core.times_of_day.parse_hhmm)."""
