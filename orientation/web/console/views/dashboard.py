"""The home page (territory choice) and a territory's dashboard: the week's and month's figures, and charts."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, redirect, render_template, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.core import labels, stats
from orientation.core.labels import MOTIVES
from orientation.core.runtime import db, now
from orientation.services.stats import figures_for
from orientation.web.console import chart_data, charts
from orientation.web.console.periods import last_weeks, month_of, week_of
from orientation.web.console.queries import BACKLOG, RequestFilters, filtered
from orientation.web.console.web import bp, territory_or_404, user, visible_territories

CHART_WEEKS = 12
OLDEST_SHOWN = 5
FIGURE_ROWS = (
    ("requests", "Demandes", "count"),
    ("connected", "Mises en relation", "count"),
    ("answer_rate", "Taux de réponse", "rate"),
    ("median_seconds_to_answer", "Délai médian de réponse", "seconds"),
    ("abandoned", "Abandons", "count"),
    ("callbacks_pending", "Rappels en attente (demandes de la période)", "count"),
)

# The waiting line's figures per motive (issue 19): (stats API field, French label, how it reads).
WAIT_ROWS = tuple(
    (field, labels.WAIT_FIGURES[field], "seconds" if field.endswith("_seconds") else "count")
    for field in (
        "waited",
        "answered_from_line",
        "median_wait_seconds",
        "p90_wait_seconds",
        "left_hung_up",
        "left_chose_message",
        "left_wait_limit",
    )
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
    return render_template(
        "console/dashboard.html",
        territory=territory,
        section="dashboard",
        figures=figures,
        backlog=_backlog(session, territory.id, moment, tz),
        backlog_labels=BACKLOG,
        figure_rows=FIGURE_ROWS,
        wait_rows=WAIT_ROWS,
        motives=[m for m in (*stats.MOTIVES, stats.UNKNOWN_MOTIVE)],
        definition=stats.MATCH_RATE_DEFINITION_FR,
        charts=_charts(session, territory.id, span.since, span.until, tz),
        span=span,
        charts_weeks=CHART_WEEKS,
        delta_day=timedelta(days=1),
    )


def _backlog(session: Session, territory_id: int, moment: datetime, tz: ZoneInfo) -> dict[str, object]:
    """What needs action now, whatever the period: each list's count, and the oldest call-backs waiting."""
    counts: dict[str, int] = {}
    for name in BACKLOG:
        query = filtered(territory_id, RequestFilters(backlog=name), tz, moment)
        counts[name] = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    waiting = filtered(territory_id, RequestFilters(backlog="rappels"), tz, moment)
    oldest = list(session.scalars(waiting.limit(OLDEST_SHOWN)))
    return {"counts": counts, "oldest": oldest}


def _charts(session: Session, territory_id: int, since: datetime, until: datetime, tz: ZoneInfo) -> dict[str, str]:
    """The four charts of the dashboard over the last weeks (aggregated by the database)."""
    weeks = [datetime.combine(since.date() + timedelta(days=7 * i), time(), tzinfo=tz) for i in range(CHART_WEEKS)]
    counts = chart_data.weekly_counts(session, territory_id, weeks, until)
    labels = [charts.week_label(w.date()) for w in weeks]
    buckets = (*stats.MOTIVES, stats.UNKNOWN_MOTIVE)
    per_motive = [(MOTIVES[m], [counts.get((i, m), (0, 0, 0))[0] for i in range(CHART_WEEKS)]) for m in buckets]
    rates: list[float | None] = []
    for index in range(CHART_WEEKS):
        matched = sum(counts.get((index, m), (0, 0, 0))[1] for m in buckets)
        with_outcome = sum(counts.get((index, m), (0, 0, 0))[2] for m in buckets)
        rates.append(matched / with_outcome if with_outcome else None)
    answer = chart_data.answer_time_buckets(session, territory_id, since, until)
    return {
        "per_week": charts.stacked_bars(labels, per_motive, "Demandes par semaine et par motif"),
        "match_rate": charts.line_chart(labels, rates, "Taux de prise en charge par semaine (tous motifs)"),
        "answer_time": charts.bars(
            [label for _, _, label in charts.ANSWER_BUCKETS], answer, "Délai de réponse des appels mis en relation"
        ),
        "heatmap": charts.heatmap(
            chart_data.hour_weekday_matrix(session, territory_id, since, until, tz), "Demandes par jour et par heure"
        ),
    }
