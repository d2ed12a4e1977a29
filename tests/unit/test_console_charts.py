"""The console's pure parts: SVG charts, calendar periods, the rota grid, the timeline's words, filters."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from orientation.core.stats import RequestRow
from orientation.web.console import charts
from orientation.web.console.periods import month_of, week_of
from orientation.web.console.queries import parse_filters
from orientation.web.console.rota_grid import week_grid
from orientation.web.console.settings_forms import check_wording
from orientation.web.console.timeline import describe, is_technical
from volunteers.shifts import Occurrence

PARIS = ZoneInfo("Europe/Paris")
SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_a_stacked_bar_chart_is_valid_svg_with_one_rectangle_per_non_empty_segment() -> None:
    svg = charts.stacked_bars(["01/12", "08/12"], [("A", [2, 0]), ("B", [1, 3])], "Demandes")
    root = _parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3
    assert root.find(f"{SVG}title").text == "Demandes"  # type: ignore[union-attr]
    assert "01/12 : 3; 08/12 : 3" in root.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]


def test_chart_text_is_escaped() -> None:
    svg = charts.stacked_bars(["<script>"], [("a & b", [1])], "x < y")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    _parse(svg)


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20))
@settings(max_examples=100)
def test_a_bar_never_rises_above_the_top_of_the_axis(values: list[int]) -> None:
    root = _parse(charts.bars([str(i) for i in range(len(values))], values, "t"))
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("y", "0")) >= 10 - 0.05


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
@settings(max_examples=200)
def test_the_axis_top_is_a_multiple_of_four_at_or_above_the_largest_value(value: float) -> None:
    top = charts._nice_max(value)
    assert top >= value and top % 4 == 0


def test_a_missing_rate_breaks_the_line_instead_of_dropping_to_zero() -> None:
    root = _parse(charts.line_chart(["a", "b", "c", "d"], [0.5, None, 0.25, 1.0], "Taux"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert "pas de demande avec issue" in root.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]


def test_the_heatmap_has_a_cell_per_hour_and_weekday_and_names_the_busiest_hours() -> None:
    matrix = [[0] * 24 for _ in range(7)]
    matrix[1][9] = 4
    root = _parse(charts.heatmap(matrix, "Heures"))
    assert len(list(root.iter(f"{SVG}rect"))) == 7 * 24
    assert "mar 9h (4)" in root.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]


def test_answer_time_buckets_count_live_answers_only() -> None:
    start = datetime(2026, 11, 24, 9, tzinfo=UTC)
    rows = [
        RequestRow("orientation", "closed", "matched", start, connected_at=start + timedelta(seconds=10)),
        RequestRow("orientation", "closed", "matched", start, connected_at=start + timedelta(seconds=45)),
        RequestRow("orientation", "closed", "matched", start, connected_at=start + timedelta(minutes=5)),
        # Connected by a call-back, hours later: not an answer.
        RequestRow(
            "orientation",
            "closed",
            "matched",
            start,
            connected_at=start + timedelta(hours=3),
            callback_requested_at=start + timedelta(minutes=5),
        ),
        RequestRow("orientation", "abandoned", "abandoned", start),
    ]
    assert charts.answer_time_buckets(rows) == [1, 0, 1, 0, 0, 1]


def test_the_week_and_month_are_paris_calendar_periods_across_the_dst_change() -> None:
    late_saturday_utc = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # Sunday 00:30 in Paris (CEST)
    week = week_of(late_saturday_utc, PARIS)
    assert week.since == datetime(2026, 10, 19, tzinfo=PARIS)
    assert week.until == datetime(2026, 10, 26, tzinfo=PARIS)
    assert week.until.astimezone(UTC) - week.since.astimezone(UTC) == timedelta(days=7, hours=1)  # autumn change
    month = month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), PARIS)  # 1 November in Paris
    assert month.since == datetime(2026, 11, 1, tzinfo=PARIS) and month.until == datetime(2026, 12, 1, tzinfo=PARIS)


def test_the_rota_grid_marks_gaps_closed_hours_and_who_covers_the_rest() -> None:
    monday = date(2026, 11, 23)
    day = datetime(2026, 11, 23, tzinfo=PARIS)
    open_ = [(day + timedelta(hours=8), day + timedelta(hours=12))]
    shift = Occurrence(7, day + timedelta(hours=8), day + timedelta(hours=10))
    gaps = [(day + timedelta(hours=10), day + timedelta(hours=12))]
    grid = week_grid(monday, PARIS, "orientation", [shift], open_, gaps, {7: frozenset({"orientation"})}, {7: "Dr A"})
    assert [grid[h][0].state for h in (7, 8, 9, 10, 11, 12)] == ["closed", "covered", "covered", "gap", "gap", "closed"]
    assert grid[8][0].names == ("Dr A",)
    # A volunteer who does not take the motive covers nothing.
    other = week_grid(
        monday, PARIS, "visite_domicile", [shift], open_, [], {7: frozenset({"orientation"})}, {7: "Dr A"}
    )
    assert other[8][0].names == ()


def test_the_timeline_speaks_french_and_sets_webhook_traffic_apart() -> None:
    assert describe("attempt.accepted", {"volunteer_id": 3}, {3: "Dr Martin"}) == "Dr Martin accepte l'appel"
    assert describe("status", {"from": "routing", "to": "connected"}, {}) == (
        "Statut : Recherche d'un bénévole → Mise en relation"
    )
    assert describe("postcode", {"postcode": "93100", "in_territory": False}, {}) == "Code postal 93100 hors territoire"
    assert is_technical("voice.menu") and is_technical("call.status") and not is_technical("call.received")


def test_unknown_filters_are_dropped_with_a_message() -> None:
    filters = parse_filters(MultiDict({"motif": "nope", "cp": "750", "du": "2026-11-01", "statut": "closed"}))
    assert filters.motive is None and filters.postcode is None and filters.status == "closed"
    assert filters.since == date(2026, 11, 1) and len(filters.errors) == 2
    assert filters.args() == {"du": "2026-11-01", "statut": "closed"}


def test_a_rewording_may_only_use_the_fields_its_prompt_provides() -> None:
    assert check_wording("welcome", "Bienvenue à la {territory}.") is None
    assert check_wording("welcome", "Bonjour {caller}") is not None
    assert check_wording("welcome", "Bonjour {territory.__class__}") is not None
    assert check_wording("welcome", "Bonjour {") is not None
