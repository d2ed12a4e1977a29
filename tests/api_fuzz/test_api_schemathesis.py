"""schemathesis against /api/v1/openapi.json with every check: valid requests accepted, invalid ones refused,
no 500, and every answer (status, content type, headers, body) as the document says."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from orientation import create_app, migrate
from orientation.clock import FrozenClock
from orientation.config import Config
from orientation.db import transaction
from orientation.services.tokens import create_token
from tests import factories
from tests.conftest import PARIS

# The schema is read at collection time, so the app it drives is built here, on its own SQLite file.
_FOLDER = Path(tempfile.mkdtemp(prefix="orientation-fuzz-"))
_URL = f"sqlite:///{_FOLDER / 'fuzz.sqlite3'}"
migrate.upgrade(_URL)
_CLOCK = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))
APP = create_app(
    Config(
        database_url=_URL,
        secret_key="fuzz",
        public_base_url="https://line.example.org",
        twilio_auth_token="fuzz-token",
        environment="test",
        journal_dir=str(_FOLDER / "journal"),
        rate_limit_api="100000 per minute",
    ),
    clock=_CLOCK,
)
with transaction(APP.extensions["orientation"].sessions) as _session:
    _territory = factories.territory(_session, _CLOCK())
    factories.volunteer(_session, _territory, _CLOCK())
    TOKEN = create_token(_session, "fuzz", None, _CLOCK())

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
# Requests that fit the document (positive) and requests that break it (negative); every check runs.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True)


# Per operation and mode; enough to find the drift the document had (issue 15), within ~2 minutes on 2 cores.
MAX_EXAMPLES = 12


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_the_api_and_its_openapi_document_agree_under_every_check(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
