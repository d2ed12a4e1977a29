"""Wall-clock times as people write them ("9h", "09h30", "9:00"): one parser for the API, the console and imports.

Kept in the kernel because the input fields (`orientation.core.fields`) and the rota's patterns
(`volunteers.patterns`) both read times with it.
"""

from __future__ import annotations

import re
from datetime import time

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class PatternValueError(ValueError):
    """A value of a pattern that cannot be understood; the message says what is expected."""


def parse_hhmm(value: str) -> str:
    """Return a wall-clock time as "HH:MM" (accepting "9:00" and "09h00"), or raise PatternValueError."""
    text = value.strip().lower().replace("h", ":")
    if text.endswith(":"):
        text += "00"
    if re.match(r"^\d:\d\d$", text):
        text = "0" + text
    if not _HHMM.match(text):
        raise PatternValueError(f"not a time {value!r}: write HH:MM, from 00:00 to 23:59")
    return text


def to_time(hhmm: str) -> time:
    """Return the time of an "HH:MM" string already checked by parse_hhmm."""
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))
