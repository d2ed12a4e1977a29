"""Database ids typed in a form or a query string, parsed once."""

from __future__ import annotations


def parse_id(text: str | None, max_digits: int = 9) -> int | None:
    """A positive id of at most `max_digits` ASCII digits, or None for anything else."""
    raw = text or ""
    # str.isdigit() alone accepts "²" or "١", which int() then refuses or reads: ASCII digits only.
    if raw.isascii() and raw.isdigit() and len(raw) <= max_digits:
        return int(raw)
    return None
