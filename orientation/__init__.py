"""Orientation: the patient line of a CPTS. `create_app()` is the WSGI entry and composition root."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text

from orientation.core.clock import Clock, system_clock
from orientation.core.config import Config, from_environment
from orientation.core.db import make_engine, make_session_factory
from orientation.core.runtime import Runtime, close_db


def _sender(config: Config) -> Any:
    if not config.has_twilio_credentials:
        return None
    from callflows.telephony import TwilioTelephony
    from callflows.webhooks import placed_call_fallback_url

    return TwilioTelephony(
        config.twilio_account_sid or "",
        config.twilio_auth_token or "",
        config.twilio_api_base_url,
        fallback_url=placed_call_fallback_url(config.public_base_url),
    )


def create_app(config: Config | None = None, clock: Clock | None = None, sender: Any = None) -> Flask:
    """Build the app: configuration, database, telephony, webhooks, API and console."""
    config = config or from_environment()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key
    app.config["JSON_SORT_KEYS"] = False
    engine = make_engine(config.database_url)
    app.extensions["orientation"] = Runtime(
        config=config,
        engine=engine,
        sessions=make_session_factory(engine),
        clock=clock or system_clock,
        sender=sender if sender is not None else _sender(config),
    )
    app.teardown_appcontext(close_db)
    from orientation.core import logs
    from orientation.web import edge, protection

    # Under gunicorn as under `orientation run`: the product's lines on stderr, one per event (README "Logs").
    logs.configure(config.log_format, config.log_level)
    logs.install(app)

    limiter = protection.install(app, config)
    edge.install(app)

    from callflows import views as twilio_views
    from orientation.web.api import register as register_api
    from orientation.web.console import register as register_console
    from orientation.web.outcome_form import register as register_outcome_form
    from orientation.web.volunteer_page import register as register_volunteer_page
    from volunteers.views import register as register_ical

    twilio_views.register(app)
    register_api(app)
    register_console(app)
    register_outcome_form(app)
    register_volunteer_page(app)
    register_ical(app)

    protection.limit_blueprints(app, limiter, config)

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        """200 when the app and its database answer."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return {"status": "database unavailable"}, 503
        return {"status": "ok"}, 200

    return app
