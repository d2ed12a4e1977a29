"""The French names of days and months, and the labels of the request's codes, are written in one place each."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from orientation.core import french_dates, labels, lifecycle

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orientation", "callflows", "volunteers", "directory")
DATE_WORDS = {
    word.lower()
    for word in (*french_dates.WEEKDAYS, *french_dates.WEEKDAYS_SHORT, *french_dates.MONTHS, *french_dates.MONTHS_SHORT)
}
LABEL_WORDS = {text.lower() for text in (*labels.MOTIVE_PHRASES.values(), *labels.MOTIVE_NAMES.values())} | {
    text.lower() for text in labels.OUTCOME_LABELS.values()
}
# Same words, another meaning: a postcode outside the territory, not the outcome "hors territoire".
NOT_LABELS = {("orientation/web/console/timeline.py", "hors territoire")}
CATALOGUES = {ROOT / "orientation" / "core" / "french_dates.py", ROOT / "orientation" / "core" / "labels.py"}


def _string_constants() -> list[tuple[Path, int, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path in CATALOGUES or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.append((path.relative_to(ROOT), node.lineno, node.value))
    return found


def test_no_module_but_the_catalogue_spells_a_french_day_or_month_name_as_a_value() -> None:
    strays = [(str(path), line, text) for path, line, text in _string_constants() if text.lower() in DATE_WORDS]

    assert strays == []


def test_no_module_but_the_catalogue_spells_a_motive_or_an_outcome_label_as_a_value() -> None:
    strays = [
        (str(path), line, text)
        for path, line, text in _string_constants()
        if text.lower() in LABEL_WORDS and (str(path), text) not in NOT_LABELS
    ]

    assert strays == []


def test_no_template_lists_the_day_names_itself() -> None:
    templates = [p for package in PACKAGES for p in (ROOT / package).rglob("*.html")]
    assert templates
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert "'Lundi'" not in text and '"Lundi"' not in text, path


@pytest.mark.parametrize(("day", "written"), [(date(2026, 12, 1), "mar. 1/12"), (date(2026, 11, 29), "dim. 29/11")])
def test_a_short_day_is_written_with_its_abbreviated_weekday_then_day_and_month(day: date, written: str) -> None:
    assert french_dates.short_day(day) == written


def test_every_motive_and_outcome_code_has_its_label_in_each_form() -> None:
    assert set(labels.MOTIVE_PHRASES) == set(labels.MOTIVE_NAMES) == set(lifecycle.MOTIVES)
    assert set(labels.OUTCOME_LABELS) == set(labels.OUTCOMES) == set(lifecycle.OUTCOMES)
    assert set(labels.STATUSES) == set(lifecycle.STATUSES)
    assert set(labels.ATTEMPT_RESULTS) - {None} == set(lifecycle.ATTEMPT_RESULTS)


def test_table_cells_show_the_motive_names_capitalised() -> None:
    assert labels.MOTIVES["medecin_traitant"] == "Médecin traitant"
    assert labels.MOTIVES["unknown"] == "Sans motif"
    assert labels.OUTCOMES["matched"] == "Pris en charge"
