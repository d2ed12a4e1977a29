"""The CSV cells and the period of the exports, as plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from orientation.core import spreadsheet
from orientation.core.spreadsheet import FRENCH, RFC4180
from orientation.services.exports import ACI_COLUMNS, REQUEST_COLUMNS, commune_of, headers, period_bounds, render_cell

PARIS = ZoneInfo("Europe/Paris")
COLUMNS = {c.code: c for c in (*ACI_COLUMNS, *REQUEST_COLUMNS)}
# 3 November 2026 08:05 UTC is 09:05 in Paris (winter time); 28 March 2027 01:30 UTC is 03:30 (summer time).
WINTER = datetime(2026, 11, 3, 8, 5, 59, tzinfo=UTC)
SUMMER = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("column", "value", "french", "machine"),
    [
        ("match_rate", None, "", ""),
        ("match_rate", 2 / 3, "66,7", "0.6667"),
        ("match_rate", 1.0, "100,0", "1.0000"),
        ("answer_rate", 0.0, "0,0", "0.0000"),
        ("median_seconds_to_answer", 12.25, "12,2", "12.2"),
        ("median_callback_delay_seconds", 3600.0, "3600,0", "3600.0"),
        ("requests", 0, "0", "0"),
        ("commune", "Paris 20e", "Paris 20e", "Paris 20e"),
        ("month", "2026-10", "octobre 2026", "2026-10"),
        ("month", "2027-02", "février 2027", "2027-02"),
        ("motive", "visite_domicile", "Visite à domicile", "visite_domicile"),
        ("motive", "unknown", "Sans motif", "unknown"),
        ("status", "callback_pending", "À rappeler", "callback_pending"),
        ("outcome", "matched", "Pris en charge", "matched"),
        ("volunteer_profession", "sage_femme", "Sage-femme", "sage_femme"),
        # A code the catalogue does not know (yet) is shown as it is rather than lost.
        ("volunteer_profession", "aromatherapeute", "aromatherapeute", "aromatherapeute"),
        ("in_territory", False, "non", "false"),
        ("had_message", True, "oui", "true"),
        ("created_at", WINTER, "03/11/2026 09:05", "2026-11-03T09:05:59+01:00"),
        ("closed_at", SUMMER, "28/03/2027 03:30", "2027-03-28T03:30:00+02:00"),
        ("connected_at", None, "", ""),
    ],
)
def test_each_cell_is_written_for_french_spreadsheets_or_for_programs(
    column: str, value: object, french: str, machine: str
) -> None:
    assert render_cell(COLUMNS[column], value, FRENCH, PARIS) == french
    assert render_cell(COLUMNS[column], value, RFC4180, PARIS) == machine


def test_the_request_log_has_one_definition_of_its_columns_with_french_headers_and_codes() -> None:
    french, codes = headers(REQUEST_COLUMNS, FRENCH), headers(REQUEST_COLUMNS, RFC4180)

    assert len(french) == len(codes) == len(set(codes)) == len(set(french)) == 21
    assert french[:3] == ["Référence", "Reçue le", "Motif"] and codes[:3] == ["reference", "created_at", "motive"]
    assert "Profession du bénévole" in french and "volunteer_profession" in codes


def test_the_french_file_starts_with_a_bom_and_uses_semicolons_and_the_machine_file_neither() -> None:
    rows = [["Paris; 20e", "=1+1", "12,5"]]
    french = "".join(spreadsheet.chunks(FRENCH, ["a", "b", "c"], rows))
    machine = "".join(spreadsheet.chunks(RFC4180, ["a", "b", "c"], rows))

    assert french == '\ufeffa;b;c\r\n"Paris; 20e";\'=1+1;12,5\r\n'
    assert machine == 'a,b,c\r\nParis; 20e,\'=1+1,"12,5"\r\n'


@pytest.mark.parametrize(
    ("text", "name"), [(None, "fr"), ("", "fr"), (" FR ", "fr"), ("rfc4180", "rfc4180"), ("RFC4180", "rfc4180")]
)
def test_the_form_is_french_unless_rfc4180_is_asked_for(text: str | None, name: str) -> None:
    found = spreadsheet.parse_format(text)
    assert found is not None and found.name == name


@pytest.mark.parametrize("text", ["csv", "excel", "rfc-4180", "fr;"])
def test_an_unknown_form_is_refused_rather_than_guessed(text: str) -> None:
    assert spreadsheet.parse_format(text) is None


def test_a_period_covers_whole_local_days_across_the_autumn_clock_change() -> None:
    since, until = period_bounds(date(2026, 10, 1), date(2026, 10, 31), PARIS)

    assert since == datetime(2026, 10, 1, tzinfo=PARIS) and since.utcoffset() is not None
    assert until == datetime(2026, 11, 1, tzinfo=PARIS)
    # Same-zone subtraction in Python reads wall clocks: in UTC, October 2026 has its 25-hour day.
    assert (until.astimezone(UTC) - since.astimezone(UTC)).total_seconds() == 31 * 86400 + 3600


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before its start"):
        period_bounds(date(2026, 11, 2), date(2026, 11, 1), PARIS)


def test_a_commune_is_named_when_known_else_the_postcode_stands_for_it() -> None:
    names = {"75020": "Paris"}

    assert commune_of("75020", names) == "Paris"
    assert commune_of("93100", names) == "93100"
    assert commune_of(None, names) is None and commune_of("", names) is None
