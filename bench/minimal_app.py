"""The simplest thing that answers Twilio: a Flask app returning one fixed TwiML to any POST.

It is the baseline of bench.bench_webhooks: served by the same gunicorn settings, replayed the same
signed requests, it shows what Flask + gunicorn + wrk cost on this machine with no work behind them.
`gunicorn 'bench.minimal_app:create_app()'`.
"""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="fr-FR" voice="Polly.Lea">'
    "Bonjour, vous êtes bien sur la ligne d'orientation.</Say></Response>"
)


def create_app() -> Flask:
    """One route for every webhook path, answering the same TwiML."""
    app = Flask(__name__)

    @app.post("/", defaults={"path": ""})
    @app.post("/<path:path>")
    def answer(path: str) -> Response:
        """The fixed TwiML, whatever was posted."""
        return Response(TWIML, mimetype="text/xml")

    return app
