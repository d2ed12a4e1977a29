"""The one CSV writer of the product: every cell is written so that a spreadsheet shows it, never runs it.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel, LibreOffice
and Google Sheets: a volunteer named `=HYPERLINK(…)` or a commune `@SUM(…)` in a directory import would run
on the coordinator's machine when she opens the export. OWASP's advice (CSV Injection) is to prefix such a cell
with a single quote, which spreadsheets take as "text". Typed into a cell the quote is hidden; in a CSV opened
by LibreOffice Calc it stays visible (tests/functional/test_exports_in_libreoffice.py), the price of the
protection.

That includes numbers that start with `+`: an E.164 number such as `+33611223344` (or a masked one,
`+33 •• •• •• 44`) is written `'+33…`. A spreadsheet then shows it as written instead of turning it into
the integer 33611223344; a program reading the file strips one leading quote from a cell that starts with
`'` followed by one of those characters. One rule for every cell is simpler to trust than exemptions by
column, and no column of ours needs a leading sign: counts, rates and durations are never negative.

Every file comes in two forms (`CsvFormat`). The default, `FRENCH`, is what a coordinator double-clicks: `;`
between cells, UTF-8 with a byte order mark (without it Excel reads the accents as Windows-1252), decimal
commas and dates as `jj/mm/aaaa hh:mm`, which French Excel and LibreOffice take as numbers and dates.
`RFC4180` is for programs: commas, no BOM, ISO 8601 dates and dot decimals (the exports also keep the codes
rather than the French labels there).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
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


# ---------------------------------------------------------------- the two forms of a file


@dataclass(frozen=True)
class CsvFormat:
    """How a file is written: for French spreadsheet software (labels, `;`, BOM…) or for programs (RFC 4180)."""

    name: str
    delimiter: str
    bom: bool
    french: bool

    @property
    def media_type(self) -> str:
        """The Content-Type of a download in this form."""
        # RFC 4180's registration: text/csv, with a header line when the file has one.
        return "text/csv; charset=utf-8" + ("" if self.french else "; header=present")


FRENCH = CsvFormat("fr", delimiter=";", bom=True, french=True)
RFC4180 = CsvFormat("rfc4180", delimiter=",", bom=False, french=False)
FORMATS = {f.name: f for f in (FRENCH, RFC4180)}


def parse_format(text: str | None) -> CsvFormat | None:
    """The form named by `?format=` or `--format` (empty means French); None when the name is unknown."""
    return FORMATS.get((text or "").strip().lower() or FRENCH.name)


def decimal(value: float | None, places: int, fmt: CsvFormat) -> str:
    """A number with `places` decimals, a comma in French; empty for None (a rate over nothing)."""
    if value is None:
        return ""
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if fmt.french else text


def moment(value: datetime | None, tz: tzinfo, fmt: CsvFormat) -> str:
    """An instant in local time: `jj/mm/aaaa hh:mm` in French, ISO 8601 with its offset otherwise."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    return local.strftime("%d/%m/%Y %H:%M") if fmt.french else local.isoformat(timespec="seconds")


def flag(value: bool | None, fmt: CsvFormat) -> str:
    """A yes/no cell: `oui`/`non` in French, `true`/`false` otherwise; empty when unknown."""
    if value is None:
        return ""
    if fmt.french:
        return "oui" if value else "non"
    return "true" if value else "false"


def chunks(fmt: CsvFormat, header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The file as text, the header (after the BOM in French) then one chunk per row, every cell neutralised."""
    buffer = io.StringIO()
    # csv's default line ending is CRLF, which is RFC 4180's and which Excel and LibreOffice both read.
    out = writer(buffer, delimiter=fmt.delimiter)
    out.writerow(header)
    yield ("\ufeff" if fmt.bom else "") + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        out.writerow(row)
        yield buffer.getvalue()


def write(out: _Writable, fmt: CsvFormat, header: Iterable[object], rows: Iterable[Iterable[object]]) -> int:
    """Write a whole file to `out`; returns the number of rows after the header."""
    count = -1
    for chunk in chunks(fmt, header, rows):
        out.write(chunk)
        count += 1
    return count
