"""The one CSV writer of the product: every cell is written so that a spreadsheet shows it, never runs it.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel, LibreOffice
and Google Sheets: a volunteer named `=HYPERLINK(…)` or a commune `@SUM(…)` in a directory import would run
on the coordinator's machine when she opens the export. OWASP's advice (CSV Injection) is to prefix such a cell
with a single quote, which spreadsheets take as "text" and do not show.

That includes numbers that start with `+`: an E.164 number such as `+33611223344` (or a masked one,
`+33 •• •• •• 44`) is written `'+33…`. A spreadsheet then shows it as written instead of turning it into
the integer 33611223344; a program reading the file strips one leading quote from a cell that starts with
`'` followed by one of those characters. One rule for every cell is simpler to trust than exemptions by
column, and no column of ours needs a leading sign: counts, rates and durations are never negative.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

# The characters a spreadsheet takes as the start of a formula; the full-width forms too, which some
# locales' Excel reads as their ASCII twins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(cell: object) -> str:
    """The cell as text, with a leading single quote when a spreadsheet would read it as a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """A csv.writer whose every cell goes through `neutralise`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        """Write one row of neutralised cells."""
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write several rows of neutralised cells."""
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, **options: Any) -> SafeWriter:
    """A CSV writer on `out` (csv.writer's options: delimiter…) that never writes a formula."""
    return SafeWriter(out, **options)
