"""schemathesis against /api/v1/openapi.json with every check: valid requests accepted, invalid ones refused,
no 500, and every answer (status, content type, headers, body) as the document says."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from orientation import create_app
from orientation.core import migrate
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import transaction
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


# Rules no JSON Schema can state, which the document's description names: a valid request may meet them and
# get its 422. Every other 422 (or 400, 405, 500) to a request that fits the document is drift, and fails.
BEYOND_THE_DOCUMENT = re.compile(
    r"control characters are not allowed|not a valid phone number|already used by another|has this number"
    r"|^unknown (territory|volunteer|directory entry)|must come after|at most 7 days|a period of \d+ days at most"
    r"|a date between 2000 and 2100|required \(this token may see every territory\)"
)
# Fields whose values follow a grammar of their own (opening hours, holiday zones, SMS senders, phone numbers).
OWN_GRAMMAR = {"opening_hours", "holiday_subdivision", "sms_sender", "coordinator_phone", "phone", "phone_numbers"}


def _beyond_the_document(field: str, message: str) -> bool:
    return field.split(".")[0] in OWN_GRAMMAR or "phone" in field or bool(BEYOND_THE_DOCUMENT.search(message))


@schemathesis.check
def valid_requests_are_accepted(ctx: object, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """schemathesis' positive_data_acceptance, but a 422 for a rule beyond the document (above) is allowed."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code < 400 or response.status_code in (401, 404, 409):
        return None
    errors = response.json().get("errors", {}) if response.status_code == 422 else {}
    if errors and all(_beyond_the_document(field, message) for field, message in errors.items()):
        return None
    raise AssertionError(f"a request that fits the document was refused: {response.status_code} {response.text}")


# Per operation and mode; enough to find the drift the document had (issue 15), within ~2 minutes on 2 cores.
# ORIENTATION_FUZZ_EXAMPLES=100 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("ORIENTATION_FUZZ_EXAMPLES", "12"))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_the_api_and_its_openapi_document_agree_under_every_check(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_requests_are_accepted],
    )


# Sequences of calls too, linked by the ids answers give (schemathesis infers the links): the stateful checks
# (a deleted pattern or shift stays gone, a created one can be read back) run on top of every other.
class _Workflow(schema.as_state_machine()):  # type: ignore[misc]
    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": {"Authorization": f"Bearer {TOKEN}"}}

    def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
        case.validate_response(
            response,  # type: ignore[arg-type]
            excluded_checks=[positive_data_acceptance],
            additional_checks=[valid_requests_are_accepted],
            headers={"Authorization": f"Bearer {TOKEN}"},
            recorder=getattr(self, "recorder", None),
        )


TestTheApiAsSequencesOfCalls = _Workflow.TestCase
TestTheApiAsSequencesOfCalls.settings = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
