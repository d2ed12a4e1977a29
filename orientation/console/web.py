"""The console's blueprint and what every page shares: the login wall, the territory wall, French labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, g, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from callflows.prompts import MONTHS_FR, OUTCOME_LABELS, WEEKDAYS_FR
from orientation import phones
from orientation.console.models import User
from orientation.models import Territory
from orientation.runtime import db, runtime

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

MOTIVES = {
    "medecin_traitant": "Médecin traitant",
    "visite_domicile": "Visite à domicile",
    "soins_non_programmes": "Soins non programmés",
    "orientation": "Autre orientation",
    "unknown": "Sans motif",
}
STATUSES = {
    "received": "Reçue",
    "in_menu": "Au menu",
    "routing": "Recherche d'un bénévole",
    "connected": "Mise en relation",
    "callback_pending": "À rappeler",
    "closed": "Clôturée",
    "abandoned": "Abandonnée",
}
# The wording of the volunteers' outcome form (callflows.prompts), capitalised for a table cell.
OUTCOMES = {code: text[0].upper() + text[1:] for code, text in OUTCOME_LABELS.items()}
ATTEMPT_RESULTS = {
    None: "en cours",
    "accepted": "accepté",
    "declined": "refusé",
    "no_answer": "sans réponse",
    "busy": "occupé",
    "failed": "échec",
    "cancelled": "annulé",
}
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
WEEKDAYS_SHORT = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
# One spelling of the days and months for the line and the console: the prompts catalogue's.
WEEKDAYS = WEEKDAYS_FR
MONTHS = MONTHS_FR


def load_user(user_id: str) -> User | None:
    """flask-login's loader: the account of the session, if it still exists and is active."""
    if not user_id.isdigit():
        return None
    user = db().get(User, int(user_id))
    return user if user is not None and user.active else None


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
