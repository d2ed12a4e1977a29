"""The CSV files the coordinator and the ACI report need (`orientation export …` in orientation.cli.exports).

`export aci` writes the figures per month × commune × motive (orientation.core.stats.aci_rows, the same
definitions as the API's /stats); `export requests` writes the request log with callers masked. Each file's
columns are defined once here (`ACI_COLUMNS`, `REQUEST_COLUMNS`): the console's downloads (the exports page
and the log's `demandes.csv`) and the commands (orientation.cli.exports) write the same files, through the one writer
(orientation.core.spreadsheet), in French for spreadsheets by default or in the RFC 4180 form for programs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from orientation.core import labels, spreadsheet, stats, stats_wait
from orientation.core.french_dates import MONTHS
from orientation.core.models import Request, Territory
from orientation.core.phones import mask
from orientation.core.spreadsheet import FRENCH, CsvFormat
from volunteers.professions import PROFESSIONS

Kind = Literal[
    "text", "count", "rate", "seconds", "moment", "flag", "month", "motive", "status", "outcome", "profession"
]
# The French label of each coded kind: the catalogues the console shows, never a copy.
_LABELS: dict[str, dict[str, str]] = {
    "motive": labels.MOTIVES,
    "status": labels.STATUSES,
    "outcome": labels.OUTCOMES,
    "profession": PROFESSIONS,
}


@dataclass(frozen=True)
class Column:
    """One column of an export: its code (the RFC 4180 header), its French header and how its cells read."""

    code: str
    header: str
    kind: Kind = "text"


ACI_COLUMNS = (
    Column("month", "Mois", "month"),
    Column("commune", "Commune"),
    Column("motive", "Motif", "motive"),
    Column("requests", "Demandes", "count"),
    Column("connected", "Mises en relation", "count"),
    Column("answer_rate", "Taux de réponse (%)", "rate"),
    Column("median_seconds_to_answer", "Délai médian de réponse (s)", "seconds"),
    Column("p90_seconds_to_answer", "Délai de réponse, 90e centile (s)", "seconds"),
    Column("abandoned", "Abandons", "count"),
    Column("abandon_rate", "Taux d'abandon (%)", "rate"),
    Column("callbacks_pending", "Rappels en attente", "count"),
    Column("median_callback_delay_seconds", "Délai médian de rappel (s)", "seconds"),
    Column("with_outcome", "Demandes avec une issue", "count"),
    Column("matched", labels.OUTCOMES["matched"], "count"),
    Column("oriented", "Orientés ailleurs", "count"),
    Column("no_solution", labels.OUTCOMES["no_solution"], "count"),
    Column("match_rate", "Taux de prise en charge (%)", "rate"),
    # The waiting line (issue 19): who waited, how long (over those who left it), how they left it.
    Column("waited", labels.WAIT_FIGURES["waited"], "count"),
    Column("answered_from_line", labels.WAIT_FIGURES["answered_from_line"], "count"),
    Column("median_wait_seconds", f"{labels.WAIT_FIGURES['median_wait_seconds']} (s)", "seconds"),
    Column("p90_wait_seconds", f"{labels.WAIT_FIGURES['p90_wait_seconds']} (s)", "seconds"),
    Column("left_hung_up", labels.WAIT_FIGURES["left_hung_up"], "count"),
    Column("left_chose_message", labels.WAIT_FIGURES["left_chose_message"], "count"),
    Column("left_wait_limit", labels.WAIT_FIGURES["left_wait_limit"], "count"),
)
# The request log, for the console's download (filtered) and `orientation export requests` (a period) alike.
REQUEST_COLUMNS = (
    Column("reference", "Référence"),
    Column("created_at", "Reçue le", "moment"),
    Column("motive", "Motif", "motive"),
    Column("postcode", "Code postal"),
    Column("commune", "Commune"),
    Column("in_territory", "Dans le territoire", "flag"),
    Column("status", "Statut", "status"),
    Column("outcome", "Issue", "outcome"),
    Column("outcome_entry_id", "N° de la fiche de l'issue", "count"),
    Column("outcome_entry_name", "Fiche de l'issue"),
    Column("volunteer_id", "N° du bénévole", "count"),
    Column("volunteer", "Bénévole"),
    Column("volunteer_profession", "Profession du bénévole", "profession"),
    Column("caller", "Appelant (masqué)"),
    Column("had_message", "Message laissé", "flag"),
    Column("connected_at", "Mise en relation le", "moment"),
    Column("seconds_to_answer", "Délai de réponse (s)", "count"),
    Column("callback_requested_at", "Rappel demandé le", "moment"),
    Column("callback_done_at", "Rappel fait le", "moment"),
    Column("callback_failed_calls", "Appels de rappel sans succès", "count"),
    Column("closed_at", "Clôturée le", "moment"),
)


# ---------------------------------------------------------------- pure formatting


def headers(columns: Iterable[Column], fmt: CsvFormat) -> list[str]:
    """The header line: French words for spreadsheets, the codes for programs."""
    return [c.header if fmt.french else c.code for c in columns]


def render_cell(column: Column, value: Any, fmt: CsvFormat, tz: tzinfo) -> str:
    """One cell as the form reads it: labels, percentages with a decimal comma and local dates in French;
    codes, rates from 0 to 1 and ISO dates for programs. Empty for None (a rate over nothing)."""
    if value is None:
        return ""
    kind = column.kind
    if kind in _LABELS:
        return _LABELS[kind].get(value, value) if fmt.french else str(value)
    if kind == "rate":
        # A percentage reads better in a French table; programs keep the ratio and its precision.
        return spreadsheet.decimal(value * 100, 1, fmt) if fmt.french else spreadsheet.decimal(value, 4, fmt)
    if kind == "seconds":
        return spreadsheet.decimal(value, 1, fmt)
    if kind == "moment":
        return spreadsheet.moment(value, tz, fmt)
    if kind == "flag":
        return spreadsheet.flag(bool(value), fmt)
    if kind == "month" and fmt.french:
        year, month = str(value).split("-")
        return f"{MONTHS[int(month) - 1]} {year}"
    return str(value)


def render_row(columns: Iterable[Column], values: dict[str, Any], fmt: CsvFormat, tz: tzinfo) -> list[str]:
    """A line of cells from a row's values by column code."""
    return [render_cell(c, values.get(c.code), fmt, tz) for c in columns]


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[since, until) instants of the local days from `start` to `end`, both included."""
    if end < start:
        raise ValueError("the end of the period is before its start")
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz),
    )


# ---------------------------------------------------------------- communes


def commune_names(session: Session, territory: Territory) -> dict[str, str]:
    """Postcode → commune: the territory's settings["communes"] first, then the directory's most common name."""
    mapping: dict[str, str] = {}
    counts: dict[str, Counter[str]] = {}
    from directory.models import DirectoryEntry

    rows = session.execute(
        select(DirectoryEntry.postcode, DirectoryEntry.commune, func.count())
        .where(
            DirectoryEntry.territory_id == territory.id,
            DirectoryEntry.postcode.is_not(None),
            DirectoryEntry.commune.is_not(None),
        )
        .group_by(DirectoryEntry.postcode, DirectoryEntry.commune)
    )
    for postcode, commune, count in rows:
        if postcode and commune:
            counts.setdefault(postcode, Counter())[commune] += count
    for postcode, names in counts.items():
        # Ties go to the alphabetically first name, so two runs of the export agree.
        mapping[postcode] = sorted(names.items(), key=lambda item: (-item[1], item[0]))[0][0]
    configured = (territory.settings or {}).get("communes")
    if isinstance(configured, dict):
        mapping.update({str(k): str(v) for k, v in configured.items() if isinstance(v, str) and v})
    return mapping


def commune_of(postcode: str | None, names: dict[str, str]) -> str | None:
    """The commune of a postcode, the postcode itself when unknown, None without a postcode."""
    if not postcode:
        return None
    return names.get(postcode, postcode)


# ---------------------------------------------------------------- the two exports


def streamed(session: Session, query: Select[Request]) -> Iterator[Request]:
    """The requests of a query, fetched a thousand at a time when the first is wanted; the cursor closed at the end."""
    # A generator: the query runs after log_context's own queries, and a download stopped half-way (the
    # generator closed) closes PostgreSQL's server-side cursor instead of leaving it to the garbage collector.
    result = session.scalars(query.execution_options(yield_per=1000))
    try:
        yield from result
    finally:
        result.close()


def _period_query(territory: Territory, since: datetime, until: datetime) -> Select[Request]:
    return (
        select(Request)
        .where(Request.territory_id == territory.id, Request.created_at >= since, Request.created_at < until)
        .order_by(Request.created_at, Request.id)
    )


def aci_rows_for(session: Session, territory: Territory, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The ACI figures of a territory over [since, until): one dict per month × commune × motive."""
    from orientation.services.stats import request_rows
    from orientation.services.stats_wait import wait_rows

    names = commune_names(session, territory)
    tz = ZoneInfo(territory.timezone)
    rows = [
        replace(row, commune=commune_of(row.postcode, names))
        for row in request_rows(session, territory.id, since, until)
    ]
    result = stats.aci_rows(rows, tz)
    waits = stats_wait.wait_figures_by_key(
        ((_aci_month(w.created_at, tz), commune_of(w.postcode, names), stats_wait.bucket(w.motive)), w)
        for w in wait_rows(session, territory.id, since, until)
        if w.created_at is not None
    )
    for line in result:
        figures = waits.get((line["month"], line["commune"], line["motive"]), stats_wait.NO_WAIT)
        line.update(asdict(figures))
    return result


def _aci_month(moment: datetime, tz: tzinfo) -> str:
    """The ACI month ("YYYY-MM", local time) of an instant, as stats.aci_rows writes it."""
    local = moment.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def aci_csv(
    session: Session, territory: Territory, since: datetime, until: datetime, out: TextIO, fmt: CsvFormat = FRENCH
) -> int:
    """Write the ACI CSV (header + one line per month × commune × motive); returns the number of lines."""
    tz = ZoneInfo(territory.timezone)
    rows = aci_rows_for(session, territory, since, until)
    lines = (render_row(ACI_COLUMNS, row, fmt, tz) for row in rows)
    return spreadsheet.write(out, fmt, headers(ACI_COLUMNS, fmt), lines)


@dataclass(frozen=True)
class LogContext:
    """What the request log's lines name besides the request: communes, directory entries, volunteers."""

    communes: dict[str, str]
    entries: dict[int, str]
    volunteers: dict[int, tuple[str, str]]


def log_context(session: Session, territory: Territory) -> LogContext:
    """Communes, the names of the entries the territory's requests point to, and its volunteers."""
    from directory.models import DirectoryEntry
    from volunteers.models import Volunteer

    pointed = select(Request.outcome_entry_id).where(
        Request.territory_id == territory.id, Request.outcome_entry_id.is_not(None)
    )
    entries = session.execute(select(DirectoryEntry.id, DirectoryEntry.name).where(DirectoryEntry.id.in_(pointed)))
    volunteers = session.execute(
        select(Volunteer.id, Volunteer.name, Volunteer.profession).where(Volunteer.territory_id == territory.id)
    )
    return LogContext(
        communes=commune_names(session, territory),
        entries={entry_id: name for entry_id, name in entries},
        volunteers={volunteer_id: (name, profession) for volunteer_id, name, profession in volunteers},
    )


def request_values(r: Request, context: LogContext) -> dict[str, Any]:
    """A request's values by column code, the caller masked."""
    live = r.connected_at is not None and (r.callback_requested_at is None or r.connected_at < r.callback_requested_at)
    volunteer = context.volunteers.get(r.volunteer_id) if r.volunteer_id is not None else None
    return {
        "reference": r.reference,
        "created_at": r.created_at,
        "motive": r.motive,
        "postcode": r.postcode,
        "commune": commune_of(r.postcode, context.communes),
        "in_territory": r.in_territory,
        "status": r.status,
        "outcome": r.outcome,
        "outcome_entry_id": r.outcome_entry_id,
        "outcome_entry_name": context.entries.get(r.outcome_entry_id) if r.outcome_entry_id is not None else None,
        "volunteer_id": r.volunteer_id,
        "volunteer": volunteer[0] if volunteer else None,
        "volunteer_profession": volunteer[1] if volunteer else None,
        "caller": mask(r.caller),
        "had_message": r.had_message,
        "connected_at": r.connected_at,
        # Only a live answer has a time to answer (as in the figures): a call-back has a call-back delay.
        "seconds_to_answer": int((r.connected_at - r.created_at).total_seconds())
        if live and r.connected_at is not None
        else None,
        "callback_requested_at": r.callback_requested_at,
        "callback_done_at": r.callback_done_at,
        "callback_failed_calls": r.callback_attempts,
        "closed_at": r.closed_at,
    }


def request_lines(requests: Iterable[Request], context: LogContext, fmt: CsvFormat, tz: tzinfo) -> Iterator[list[str]]:
    """The request log as lines of cells, in the order given."""
    for r in requests:
        yield render_row(REQUEST_COLUMNS, request_values(r, context), fmt, tz)


def request_log_chunks(
    session: Session, territory: Territory, requests: Iterable[Request], fmt: CsvFormat = FRENCH
) -> Iterator[str]:
    """The request log file as text chunks (for a streamed download): header, then one line per request."""
    context = log_context(session, territory)
    lines = request_lines(requests, context, fmt, ZoneInfo(territory.timezone))
    return spreadsheet.chunks(fmt, headers(REQUEST_COLUMNS, fmt), lines)


def requests_csv(
    session: Session, territory: Territory, since: datetime, until: datetime, out: TextIO, fmt: CsvFormat = FRENCH
) -> int:
    """Write the request log CSV of [since, until); returns the number of requests."""
    count = -1
    for chunk in request_log_chunks(session, territory, streamed(session, _period_query(territory, since, until)), fmt):
        out.write(chunk)
        count += 1
    return count


def find_territory(session: Session, value: str) -> Territory | None:
    """A territory by id, reference prefix (P20) or exact name."""
    # ASCII digits, and few: "²" passes isdigit() but not int(), and a huge id would overflow the column.
    if value.isascii() and value.isdigit() and len(value) <= 10:
        return session.get(Territory, int(value))
    return session.scalars(
        select(Territory).where((Territory.reference_prefix == value.upper()) | (Territory.name == value))
    ).first()
