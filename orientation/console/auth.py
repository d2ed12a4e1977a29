"""Login and logout views over the accounts service: the form, the lockout message, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from orientation.console.accounts import authenticate
from orientation.console.web import bp, format_datetime
from orientation.runtime import db, now


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
    """The login form; five failures from one address lock that account there for a quarter of an hour."""
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        result = authenticate(db(), email, password, request.remote_addr or "", now())
        db().commit()
        if result.user is not None:
            session.clear()  # a fresh session on login: nothing set before it survives (session fixation)
            login_user(result.user)
            session.permanent = True
            target = _safe_next(request.args.get("next")) or url_for("console.home")
            return redirect(target)  # type: ignore[return-value]
        if result.locked_until is not None:
            error = (
                "Trop d'essais infructueux : ce compte est bloqué depuis cette adresse jusqu'à "
                f"{format_datetime(result.locked_until)[-5:]}. Réessayez plus tard."
            )
        else:
            error = "Adresse e-mail ou mot de passe incorrect."
    status = 401 if error else 200
    return Response(render_template("console/login.html", error=error, email=email, territory=None), status)


@bp.post("/deconnexion")
def logout() -> Response:
    """Log out (a POST with its CSRF token, so no link on another site can do it)."""
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("console.login"))  # type: ignore[return-value]
