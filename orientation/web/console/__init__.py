"""The coordinator console (French web UI): login, dashboard, requests, rota, volunteers, directory, settings."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

# Blueprints whose posts come from machines (Twilio, API clients) or from signed links without a session:
# they carry their own proof (a signature, a bearer token, a signed token) instead of a CSRF token.
CSRF_EXEMPT_BLUEPRINTS = frozenset({"twilio", "api", "links", "outcome_links", "public"})


def register(app: Flask) -> None:
    """Attach the console: login manager, CSRF protection, secure cookies and the pages."""
    from orientation.web.console.web import bp, load_user

    https = app.extensions["orientation"].config.public_base_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="orientation_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a form left open all day still posts
    )

    login_manager = LoginManager()
    login_manager.login_view = "console.login"
    login_manager.login_message = "Connectez-vous pour accéder à la console."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.init_app(app)

    csrf = CSRFProtect()

    # Registered before CSRFProtect's own hook so it runs first: blueprints added after the console
    # (a signed-link form) are exempted by name at the first request. Once is enough: Flask refuses to
    # register a blueprint once the app has handled a request.
    exempted = False

    @app.before_request
    def _exempt_machine_blueprints() -> None:
        nonlocal exempted
        if exempted:
            return
        for name, blueprint in app.blueprints.items():
            if name in CSRF_EXEMPT_BLUEPRINTS:
                csrf.exempt(blueprint)
        exempted = True

    csrf.init_app(app)
    _import_pages()
    app.register_blueprint(bp)


def _import_pages() -> None:
    """Import the page modules: each adds its routes to the blueprint."""
    import importlib

    for module in (
        "auth",
        "views.dashboard",
        "views.board",
        "views.requests",
        "views.rota",
        "views.volunteers",
        "views.directory",
        "views.settings",
        "views.opening_hours",
        "views.simulator",
        "views.exports",
        "views.journal",
    ):
        importlib.import_module(f"orientation.web.console.{module}")
