"""Charts drawn on the server as SVG markup (no JavaScript), pure functions of plain numbers.

Every chart carries a <title> and a <desc> naming its figures, so a screen reader says what it shows; the
page next to it shows the same numbers in text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from html import escape

from orientation.core.french_dates import WEEKDAYS_SHORT
from orientation.core.stats import RequestRow

PALETTE = ("#1d4f91", "#2e8540", "#c25e00", "#7a3e9d", "#7d8590")
ANSWER_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 15, "< 15 s"),
    (15, 30, "15–30 s"),
    (30, 60, "30–60 s"),
    (60, 120, "1–2 min"),
    (120, 240, "2–4 min"),
    (240, None, "≥ 4 min"),
)
WEEKDAY_INITIALS = tuple(name.rstrip(".") for name in WEEKDAYS_SHORT)


def _svg(width: int, height: int, title: str, desc: str, body: Iterable[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'font-family="system-ui, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _nice_max(value: float) -> int:
    """A round top for a count axis, a multiple of 4 so its quarter ticks are whole numbers."""
    top = max(4, math.ceil(value))
    unit = 1
    while top > unit * 40:
        unit *= 10
    return math.ceil(top / (4 * unit)) * 4 * unit


def stacked_bars(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str, width: int = 640, height: int = 240
) -> str:
    """Bars per label, one stacked segment per series (name, values), with a legend."""
    left, right, top, bottom = 34, 8, 10, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    body = _axis(left, top, plot_w, plot_h, top_value)
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.7, 1)
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y: float = top + plot_h
        for index, (name, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top_value
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{PALETTE[index % 5]}">'
                f"<title>{escape(label)} · {escape(name)} : {value}</title></rect>"
            )
        if len(labels) <= 16 or i % 2 == 0:
            body.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    body.extend(_legend([name for name, _ in series], left, height - 22, width))
    desc = "; ".join(f"{label} : {total}" for label, total in zip(labels, totals, strict=True))
    return _svg(width, height, title, desc, body)


def line_chart(
    labels: Sequence[str], values: Sequence[float | None], title: str, width: int = 640, height: int = 220
) -> str:
    """A line of rates (0–1) per label; a missing rate (no denominator) breaks the line instead of being 0."""
    left, right, top, bottom = 40, 8, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    body = _axis(left, top, plot_w, plot_h, 1.0, percent=True)
    slot = plot_w / max(len(labels), 1)
    path: list[str] = []
    for i, value in enumerate(values):
        x = left + i * slot + slot / 2
        if value is None:
            path.append("")
            continue
        y = top + plot_h * (1 - value)
        path.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[1]}">'
            f"<title>{escape(labels[i])} : {round(value * 100)} %</title></circle>"
        )
    for segment in " ".join(p if p else "|" for p in path).split("|"):
        points = segment.split()
        if len(points) > 1:
            body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
    for i, label in enumerate(labels):
        if len(labels) <= 16 or i % 2 == 0:
            body.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    desc = "; ".join(
        f"{label} : {'pas de demande avec issue' if v is None else f'{round(v * 100)} %'}"
        for label, v in zip(labels, values, strict=True)
    )
    return _svg(width, height, title, desc, body)


def bars(labels: Sequence[str], values: Sequence[int], title: str, width: int = 640, height: int = 200) -> str:
    """Simple bars, one per label (a distribution)."""
    return stacked_bars(labels, [("demandes", values)], title, width, height)


def heatmap(matrix: Sequence[Sequence[int]], title: str, width: int = 640, height: int = 200) -> str:
    """Counts by weekday (rows, Monday first) and hour (columns, 0–23): darker is busier."""
    left, top, right, bottom = 34, 16, 4, 4
    cell_w = (width - left - right) / 24
    cell_h = (height - top - bottom) / 7
    peak = max((max(row) for row in matrix), default=0) or 1
    body: list[str] = []
    for hour in range(0, 24, 2):
        body.append(f'<text x="{left + hour * cell_w + cell_w / 2:.1f}" y="11" text-anchor="middle">{hour}h</text>')
    for day, row in enumerate(matrix):
        y = top + day * cell_h
        body.append(
            f'<text x="{left - 4}" y="{y + cell_h * 0.65:.1f}" text-anchor="end">{WEEKDAY_INITIALS[day]}</text>'
        )
        for hour, count in enumerate(row):
            shade = count / peak
            # From the page's pale grey to the console blue: an empty hour stays visible as a cell.
            red, green, blue = (
                int(238 + (29 - 238) * shade),
                int(241 + (79 - 241) * shade),
                int(245 + (145 - 245) * shade),
            )
            body.append(
                f'<rect x="{left + hour * cell_w:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}" height="{cell_h - 1:.1f}" '
                f'fill="rgb({red},{green},{blue})"><title>{WEEKDAY_INITIALS[day]} {hour}h : {count}</title></rect>'
            )
    busiest = sorted(
        ((count, day, hour) for day, row in enumerate(matrix) for hour, count in enumerate(row) if count),
        reverse=True,
    )[:3]
    desc = "Heures les plus chargées : " + (
        ", ".join(f"{WEEKDAY_INITIALS[d]} {h}h ({c})" for c, d, h in busiest) if busiest else "aucune demande"
    )
    return _svg(width, height, title, desc, body)


def answer_time_buckets(rows: Iterable[RequestRow]) -> list[int]:
    """How many live-connected requests were answered within each of ANSWER_BUCKETS (stats' definition)."""
    counts = [0] * len(ANSWER_BUCKETS)
    for row in rows:
        if row.connected_at is None:
            continue
        if row.callback_requested_at is not None and row.connected_at >= row.callback_requested_at:
            continue  # a call-back, not an answer: orientation.core.stats does not count it either
        seconds = (row.connected_at - row.created_at).total_seconds()
        for index, (low, high, _) in enumerate(ANSWER_BUCKETS):
            if seconds >= low and (high is None or seconds < high):
                counts[index] += 1
                break
    return counts


def week_label(monday: date) -> str:
    """The day and month a week starts ("24/11")."""
    return f"{monday.day:02d}/{monday.month:02d}"


def _axis(left: int, top: int, plot_w: float, plot_h: float, top_value: float, percent: bool = False) -> list[str]:
    parts = []
    for step in range(5):
        value = top_value * step / 4
        y = top + plot_h * (1 - step / 4)
        text = f"{round(value * 100)} %" if percent else (f"{value:g}" if value != int(value) else f"{int(value)}")
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" stroke="#e1e5ea"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#59626e">{text}</text>')
    return parts


def _legend(names: Sequence[str], x: int, y: int, width: int = 640) -> list[str]:
    """Colour keys under the chart, wrapped on a second row when they do not fit (none for one series)."""
    if len(names) < 2:
        return []
    parts = []
    offset, row = 0, 0
    for index, name in enumerate(names):
        needed = 24 + 7 * len(name)
        if offset and x + offset + needed > width:
            offset, row = 0, row + 1
        top = y - 14 + row * 14
        parts.append(f'<rect x="{x + offset}" y="{top}" width="10" height="10" fill="{PALETTE[index % 5]}"/>')
        parts.append(f'<text x="{x + offset + 14}" y="{top + 9}">{escape(name)}</text>')
        offset += needed
    return parts
