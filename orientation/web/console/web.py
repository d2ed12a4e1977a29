"""The console's blueprint and what every page shares: the login wall, the territory wall, French labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, redirect, request, session, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from orientation.core import phones
from orientation.core.french_dates import MONTHS, MONTHS_SHORT, WEEKDAYS, WEEKDAYS_SHORT
from orientation.core.labels import ATTEMPT_RESULTS, MOTIVES, OUTCOMES, STATUSES
from orientation.core.models import Territory
from orientation.core.runtime import db, now, runtime
from orientation.web.console import messages
from orientation.web.console import sessions as console_sessions
from orientation.web.console.models import User

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/",
    template_folder="templates",
    static_folder="static",
    static_url_path="/console-assets",
)

PARIS = ZoneInfo("Europe/Paris")
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})


def idle_limit() -> timedelta:
    """How long a session may stay unused (ORIENTATION_SESSION_IDLE_MINUTES)."""
    return timedelta(minutes=runtime().config.session_idle_minutes)


def load_user(user_id: str) -> User | None:
    """flask-login's loader: the account of the session, if its server-side session is live and it is active.

    The signed cookie alone proves nothing: it must name a session row that logout, a password change or a
    disabled account has not deleted, and that inactivity or age has not ended.
    """
    session_id = session.get("sid")
    if not (user_id.isascii() and user_id.isdigit()) or not isinstance(session_id, str):
        return None
    live = console_sessions.resume(db(), session_id, now(), idle_limit())
    user = db().get(User, live.user_id) if live is not None and live.user_id == int(user_id) else None
    db().commit()  # the noted activity, or the ended session's removal
    if user is None or not user.active:
        session.pop("sid", None)
        g.session_ended = True
        return None
    return user


def user() -> User:
    """The logged-in account (the login wall guarantees one on every page but the login page)."""
    account: User = current_user._get_current_object()
    return account


def actor() -> str:
    """How the timeline names the logged-in account."""
    return f"user:{user().id}"


@bp.before_request
def login_wall() -> Response | None:
    """Every console page but the login page needs a logged-in account."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    if g.pop("session_ended", False):
        flash(messages.SESSION_ENDED, "info")
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]


@bp.after_request
def security_headers(response: Response) -> Response:
    """No framing, no third-party resources, no caching of health data."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "console.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def territory_or_404(territory_id: int) -> Territory:
    """The territory, or 404 when it does not exist or the account may not see it (the territory wall)."""
    if not user().can_see(territory_id):
        abort(404)
    territory = db().get(Territory, territory_id)
    if territory is None:
        abort(404)
    # The page's times are read on this territory's wall clock (an overseas CPTS is not on Paris time).
    g.console_tz = ZoneInfo(territory.timezone)
    return territory


def visible_territories() -> list[Territory]:
    """The territories the account may see: all for an administrator, its own for a coordinator."""
    query = select(Territory).order_by(Territory.name)
    if not user().is_admin:
        query = query.where(Territory.id == user().territory_id)
    return list(db().scalars(query))


def local(moment: datetime | None, territory: Territory | None = None) -> datetime | None:
    """An instant on the territory's wall clock (Paris by default)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(territory.timezone) if territory else PARIS)


def page_tz() -> ZoneInfo:
    """The wall clock of the page: its territory's, or Paris on pages of no one territory."""
    tz = g.get("console_tz")
    return tz if isinstance(tz, ZoneInfo) else PARIS


def format_datetime(moment: datetime | None, with_year: bool = False) -> str:
    """ "mar. 24 nov. 10:05" on the page's territory's clock; an em dash for nothing."""
    if moment is None:
        return "—"
    value = moment.astimezone(page_tz())
    year = f" {value.year}" if with_year else ""
    return f"{WEEKDAYS_SHORT[value.weekday()]} {value.day} {MONTHS_SHORT[value.month - 1]}{year} {value:%H:%M}"


def machine_datetime(moment: datetime) -> str:
    """A <time datetime> value, UTC to the second: HTML allows three digits of fraction at most."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def format_date(value: Any) -> str:
    """ "mardi 24 novembre 2026"."""
    if value is None:
        return "—"
    return f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


def format_seconds(value: float | None) -> str:
    """ "42 s", "3 min 05 s"; an em dash when there is no figure."""
    if value is None:
        return "—"
    seconds = round(value)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def format_rate(value: float | None) -> str:
    """ "67 %" (French spacing); an em dash when the rate has no denominator."""
    if value is None:
        return "—"
    return f"{round(value * 100)}\u00a0%"


@bp.app_template_global()
def label(kind: str, code: str | None) -> str:
    """The French label of a motive, status, outcome or attempt result."""
    tables: dict[str, dict[Any, str]] = {
        "motive": MOTIVES,
        "status": STATUSES,
        "outcome": OUTCOMES,
        "result": ATTEMPT_RESULTS,
    }
    table = tables[kind]
    if code is None and kind != "result":
        return "—"
    return table.get(code, code or "—")


@bp.app_template_global()
def phone_link(number: str | None) -> Markup:
    """A volunteer's or directory entry's number as the French write it, as a `tel:` link when it is one."""
    shown = phones.display(number)
    target = phones.tel_uri(number)
    if target is None:
        return Markup("{}").format(shown)
    return Markup('<a class="tel" href="{}">{}</a>').format(target, shown)


@bp.app_context_processor
def _shared() -> dict[str, Any]:
    return {
        "fmt_dt": format_datetime,
        "fmt_date": format_date,
        "iso_dt": machine_datetime,
        "fmt_seconds": format_seconds,
        "fmt_rate": format_rate,
        "fmt_phone": phones.display,
        "MOTIVES": MOTIVES,
        "STATUSES": STATUSES,
        "OUTCOMES": OUTCOMES,
        "simulator_enabled": runtime().config.simulator_enabled,
    }


@bp.errorhandler(404)
def not_found(error: Exception) -> tuple[str, int]:
    """A French 404 inside the console (also for another territory's pages: their existence is not said)."""
    from flask import render_template

    return render_template("console/not_found.html", territory=None), 404
