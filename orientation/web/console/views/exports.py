"""The exports page: a period, the ACI figures CSV and a link to the request log CSV; each download is audited."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, render_template, request, url_for

from orientation.core import spreadsheet
from orientation.core.runtime import db, now
from orientation.services.exports import period_bounds
from orientation.web.console import adapters
from orientation.web.console.periods import parse_day
from orientation.web.console.web import actor, bp, territory_or_404

# The ACI figures are computed over every request of the period in memory: three years covers any report
# (and a comparison with the previous ones) while keeping one download from loading the whole history.
MAX_DAYS = 3 * 366
UNKNOWN_FORMAT = "Format inconnu : « fr » (tableur, par défaut) ou « rfc4180 » (pour un programme)."


def format_args(fmt: spreadsheet.CsvFormat) -> dict[str, str]:
    """The form as a query-string argument: none for the default (French), so links and the audit stay short."""
    return {} if fmt.french else {"format": fmt.name}


@dataclass(frozen=True)
class ExportPeriod:
    """The local days of an export, both included, and what was wrong with the form (empty when nothing)."""

    start: date
    end: date
    errors: tuple[str, ...] = ()

    def args(self) -> dict[str, str]:
        """The period as query-string arguments, with the request log's names (du, au)."""
        return {"du": self.start.isoformat(), "au": self.end.isoformat()}


def parse_period(start_text: str | None, end_text: str | None, today: date) -> ExportPeriod:
    """The period of the form; by default from the first of the current month to today."""
    errors: list[str] = []
    start, end = parse_day(start_text), parse_day(end_text)
    if (start_text and start is None) or (end_text and end is None):
        errors.append("Date illisible (attendu : AAAA-MM-JJ).")
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        errors.append("La fin de la période est avant son début.")
    elif (end - start).days + 1 > MAX_DAYS:
        errors.append("Période trop longue : trois ans au plus.")
    return ExportPeriod(start, end, tuple(errors))


def _period(tz: ZoneInfo) -> ExportPeriod:
    return parse_period(request.args.get("du", "")[:20], request.args.get("au", "")[:20], now().astimezone(tz).date())


@bp.get("/t/<int:territory_id>/exports")
def exports_page(territory_id: int) -> str:
    """The period form and the two downloads (the ACI figures, the request log)."""
    territory = territory_or_404(territory_id)
    period = _period(ZoneInfo(territory.timezone))
    for message in period.errors:
        flash(message, "error")
    return render_template(
        "console/exports.html",
        territory=territory,
        section="exports",
        period=period,
    )


@bp.get("/t/<int:territory_id>/exports/aci.csv")
def exports_aci(territory_id: int) -> Response:
    """The ACI figures per month × commune × motive over the period, as `orientation export aci` writes them."""
    territory = territory_or_404(territory_id)
    tz = ZoneInfo(territory.timezone)
    period = _period(tz)
    fmt = spreadsheet.parse_format(request.args.get("format"))
    errors = period.errors if fmt is not None else (*period.errors, UNKNOWN_FORMAT)
    if errors or fmt is None:
        for message in errors:
            flash(message, "error")
        back = url_for(
            "console.exports_page", territory_id=territory.id, du=request.args.get("du"), au=request.args.get("au")
        )
        return redirect(back)  # type: ignore[return-value]
    since, until = period_bounds(period.start, period.end, tz)
    session = db()
    out = io.StringIO()
    lines = adapters.aci_export(session, territory, since, until, out, fmt)
    details = {"file": "aci", **period.args(), "lines": str(lines), **format_args(fmt)}
    adapters.record_export(session, territory.id, now(), actor(), details)
    session.commit()
    name = f"aci-{territory.id}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    return Response(
        out.getvalue(), content_type=fmt.media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
