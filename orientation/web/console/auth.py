"""Login and logout views over the accounts service: the form, the lockout message, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from orientation.core.runtime import db, now
from orientation.web.console import messages
from orientation.web.console import sessions as console_sessions
from orientation.web.console.accounts import AccountError, LoginResult, authenticate, set_password
from orientation.web.console.models import User
from orientation.web.console.web import bp, format_datetime, idle_limit, user


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site: never an absolute URL an attacker could slip into ?next=."""
    if not target:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None  # a CR/LF would split the Location header (a 500), a NUL or a tab is no path of ours
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
            _start_session(result.user)
            target = _safe_next(request.args.get("next")) or url_for("console.home")
            return redirect(target)  # type: ignore[return-value]
        db().commit()
        error = _refusal(result, messages.LOGIN_FAILED)
    status = 401 if error else 200
    return Response(render_template("console/login.html", error=error, email=email, territory=None), status)


def _refusal(result: LoginResult, otherwise: str) -> str:
    """Why a password was refused: the lockout and until when, or the given message."""
    if result.locked_until is None:
        return otherwise
    template = messages.ACCOUNT_LOCKED if result.locked == "account" else messages.ADDRESS_LOCKED
    return template.format(until=format_datetime(result.locked_until)[-5:])


def _start_session(account: User) -> None:
    """A fresh server-side session for this browser (the caller has ended or cleared the old one)."""
    session.clear()  # nothing set before it survives (session fixation)
    session["sid"] = console_sessions.start(db(), account.id, now(), idle_limit())
    db().commit()
    login_user(account)
    session.permanent = True


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
def change_password() -> Response | str:
    """The account changes its own password: every session of it ends, this browser gets a new one."""
    error = None
    if request.method == "POST":
        account = user()
        current = request.form.get("current", "")[:1024]
        new = request.form.get("new", "")[:2048]
        # The current password is checked as a login is: failures count towards the account's lockout.
        checked = authenticate(db(), account.email, current, request.remote_addr or "", now())
        if checked.user is None or checked.user.id != account.id:
            db().commit()
            error = _refusal(checked, messages.PASSWORD_CHANGE["current_wrong"])
        elif new != request.form.get("confirm", "")[:2048]:
            db().rollback()
            error = messages.PASSWORD_CHANGE["differ"]
        else:
            try:
                set_password(db(), account, new)
            except AccountError as exc:
                db().rollback()
                error = messages.PASSWORD_CHANGE["refused"].format(reason=exc)
            else:
                _start_session(account)
                flash(messages.PASSWORD_CHANGE["done"], "success")
                return redirect(url_for("console.home"))  # type: ignore[return-value]
    status = 400 if error else 200
    return Response(render_template("console/password.html", error=error, territory=None), status)


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
