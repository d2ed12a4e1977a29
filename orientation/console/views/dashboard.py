"""The home page (territory choice) and a territory's dashboard: the week's and month's figures, and charts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, redirect, render_template, url_for

from orientation import stats
from orientation.console import charts
from orientation.console.periods import last_weeks, month_of, week_of
from orientation.console.web import MOTIVES, bp, territory_or_404, user, visible_territories
from orientation.runtime import db, now
from orientation.services.stats import figures_for, request_rows

CHART_WEEKS = 12
FIGURE_ROWS = (
    ("requests", "Demandes", "count"),
    ("connected", "Mises en relation", "count"),
    ("answer_rate", "Taux de réponse", "rate"),
    ("median_seconds_to_answer", "Délai médian de réponse", "seconds"),
    ("abandoned", "Abandons", "count"),
    ("callbacks_pending", "Rappels en attente", "count"),
)


@bp.get("/")
def home() -> Response | str:
    """A coordinator goes straight to their dashboard; an administrator chooses a territory."""
    territories = visible_territories()
    if not user().is_admin and territories:
        return redirect(url_for("console.dashboard", territory_id=territories[0].id))  # type: ignore[return-value]
    return render_template("console/home.html", territories=territories, territory=None, section="home")


@bp.get("/t/<int:territory_id>/")
def dashboard(territory_id: int) -> str:
    """This week's and this month's figures per motive, with the match rate's definition, and four charts."""
    territory = territory_or_404(territory_id)
    tz = ZoneInfo(territory.timezone)
    moment = now()
    session = db()
    periods = [week_of(moment, tz), month_of(moment, tz)]
    figures = [(p, figures_for(session, territory.id, p.since, p.until)) for p in periods]
    span = last_weeks(moment, tz, CHART_WEEKS)
    rows = request_rows(session, territory.id, span.since, span.until)
    return render_template(
        "console/dashboard.html",
        territory=territory,
        section="dashboard",
        figures=figures,
        figure_rows=FIGURE_ROWS,
        motives=[m for m in (*stats.MOTIVES, stats.UNKNOWN_MOTIVE)],
        definition=stats.MATCH_RATE_DEFINITION_FR,
        charts=_charts(rows, span.since, tz),
        span=span,
        charts_weeks=CHART_WEEKS,
        delta_day=timedelta(days=1),
    )


def _charts(rows: list[stats.RequestRow], since: datetime, tz: ZoneInfo) -> dict[str, str]:
    """The four charts of the dashboard over the last weeks."""
    series = stats.weekly_series(rows, tz)
    start = since.date()
    weeks = [start + timedelta(days=7 * i) for i in range(CHART_WEEKS)]
    counts = {(p.week_start, p.motive): p for p in series}
    labels = [charts.week_label(w) for w in weeks]
    per_motive = [
        (MOTIVES[m], [counts[(w, m)].requests if (w, m) in counts else 0 for w in weeks])
        for m in (*stats.MOTIVES, stats.UNKNOWN_MOTIVE)
    ]
    rates: list[float | None] = []
    for week in weeks:
        matched = sum(p.matched for (w, _), p in counts.items() if w == week)
        with_outcome = sum(p.with_outcome for (w, _), p in counts.items() if w == week)
        rates.append(matched / with_outcome if with_outcome else None)
    buckets = charts.answer_time_buckets(rows)
    return {
        "per_week": charts.stacked_bars(labels, per_motive, "Demandes par semaine et par motif"),
        "match_rate": charts.line_chart(labels, rates, "Taux de prise en charge par semaine (tous motifs)"),
        "answer_time": charts.bars(
            [label for _, _, label in charts.ANSWER_BUCKETS], buckets, "Délai de réponse des appels mis en relation"
        ),
        "heatmap": charts.heatmap(stats.hour_weekday_matrix(rows, tz), "Demandes par jour et par heure"),
    }
