"""The least every real webhook must do: check the signature, store the callback once, answer fixed TwiML.

The second baseline of bench.bench_webhooks, beside bench/minimal_app.py: X-Twilio-Signature checked with
twilio's RequestValidator exactly as the app checks it (callflows.security, PUBLIC_BASE_URL + path + query,
403 when it does not match), then one INSERT of the callback's event row into the app's `events` table
(same idempotency key and kept parameters as the app's `webhook` decorator) through a pooled SQLAlchemy Core
connection, one commit, and the minimal endpoint's fixed TwiML. No request is looked up, nothing else is
written. Served by the same gunicorn settings and replayed the same signed requests, it shows the floor
under the whole flow: how much of the minimal endpoint's throughput a webhook that stores its callback can
keep at all on this machine.
`DATABASE_URL=… TWILIO_AUTH_TOKEN=… PUBLIC_BASE_URL=… gunicorn 'bench.floor_app:create_app()'`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import cast

from flask import Flask, Response, request
from sqlalchemy import Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from bench.minimal_app import TWIML
from callflows.security import is_valid_signature, signed_url
from callflows.webhooks import KEPT_PARAMS, idempotency_key
from orientation.core.models import Event

# The app's own events table (orientation/migrations/versions/0001), for Core statements.
EVENTS = cast(Table, Event.__table__)


def create_app() -> Flask:
    """One route for every webhook path: signature, one event row, fixed TwiML."""
    app = Flask(__name__)
    base_url = os.environ["PUBLIC_BASE_URL"]
    tokens = [os.environ["TWILIO_AUTH_TOKEN"]]
    # The default pool (5 connections a process, kept open); no pre-ping: the floor pays no extra round trip.
    engine = create_engine(os.environ["DATABASE_URL"], hide_parameters=True)

    @app.post("/", defaults={"path": ""})
    @app.post("/<path:path>")
    def answer(path: str) -> Response:
        """Check the signature, store the callback once, answer the fixed TwiML."""
        query = request.query_string.decode("latin-1")
        url = signed_url(base_url, request.path, query)
        if not is_valid_signature(tokens, url, request.form, request.headers.get("X-Twilio-Signature")):
            return Response("Forbidden", status=403)
        key = idempotency_key(request.path, query, request.form)
        payload = {k: request.form[k][:500] for k in KEPT_PARAMS if k in request.form}
        row = {
            "kind": "floor",
            "idempotency_key": key,
            "payload": payload,
            "response": TWIML,
            "at": datetime.now(UTC),
        }
        try:
            with engine.begin() as conn:
                conn.execute(insert(EVENTS).values(row))
        except IntegrityError:
            # A duplicate: what it was answered the first time (never reached by the benchmark's requests).
            with engine.connect() as conn:
                stored = conn.scalar(select(EVENTS.c.response).where(EVENTS.c.idempotency_key == key))
            return Response(stored or TWIML, mimetype="text/xml")
        return Response(TWIML, mimetype="text/xml")

    return app
