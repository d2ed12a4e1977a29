"""Login and logout views over the accounts service: the form, the lockout message, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from orientation.console import messages
from orientation.console import sessions as console_sessions
from orientation.console.accounts import authenticate
from orientation.console.web import bp, format_datetime, idle_limit
from orientation.runtime import db, now


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site: never an absolute URL an attacker could slip into ?next=."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> Response | str:
    """The login form; five failures lock the account, twenty lock the address, for a quarter of an hour."""
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        result = authenticate(db(), email, password, request.remote_addr or "", now())
        if result.user is not None:
            session.clear()  # a fresh session on login: nothing set before it survives (session fixation)
            session["sid"] = console_sessions.start(db(), result.user.id, now(), idle_limit())
            db().commit()
            login_user(result.user)
            session.permanent = True
            target = _safe_next(request.args.get("next")) or url_for("console.home")
            return redirect(target)  # type: ignore[return-value]
        db().commit()
        if result.locked_until is not None:
            template = messages.ACCOUNT_LOCKED if result.locked == "account" else messages.ADDRESS_LOCKED
            error = template.format(until=format_datetime(result.locked_until)[-5:])
        else:
            error = messages.LOGIN_FAILED
    status = 401 if error else 200
    return Response(render_template("console/login.html", error=error, email=email, territory=None), status)


@bp.post("/deconnexion")
def logout() -> Response:
    """Log out, ending the session server-side (a POST with its CSRF token, so no link on another site can do it)."""
    session_id = session.get("sid")
    if isinstance(session_id, str):
        console_sessions.end(db(), session_id)
        db().commit()
    logout_user()
    session.clear()
    flash(messages.LOGGED_OUT, "success")
    return redirect(url_for("console.login"))  # type: ignore[return-value]
