"""Give a PostgreSQL database two years of a busy line's history: requests, attempts, events and outbox rows.

Issue 17 measures webhooks on a fresh database; a real line runs for years. This adds, in a few set-based
statements, `requests` closed over the last two years (each with its attempts, events and one SMS), so the
call path's statements can be EXPLAINed on tables of a realistic size (see `bench/explain_flow.py`).
Nothing here is personal: numbers are fake (+3369…) and payloads are empty.

    python -m bench.grow_history postgresql+psycopg://… [requests]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sqlalchemy import func, select, table, text

from orientation.core.db import make_engine

# One request of the past every ~20 minutes for two years (about 50,000), spread over the territory's volunteers.
_REQUESTS = """
INSERT INTO requests (territory_id, reference, call_sid, caller, caller_is_mobile, status, motive, postcode,
                      in_territory, language, menu_misses, volunteer_id, created_at, updated_at, connected_at,
                      closed_at, had_message, callback_attempts, wait_started_at, wait_ended_at, wait_end)
SELECT :territory_id, 'HIST-' || n, 'CAHIST' || md5(n::text), '+3369' || lpad((n % 100000000)::text, 8, '0'),
       true, CASE WHEN n % 10 = 0 THEN 'abandoned' ELSE 'closed' END, 'medecin_traitant', '75020', true, 'fr', 0,
       (SELECT id FROM volunteers WHERE territory_id = :territory_id ORDER BY id
        OFFSET n % (SELECT count(*) FROM volunteers WHERE territory_id = :territory_id) LIMIT 1),
       at, at + interval '10 minutes', at + interval '1 minute', at + interval '10 minutes', n % 7 = 0, 0,
       CASE WHEN n % 5 = 0 THEN at END, CASE WHEN n % 5 = 0 THEN at + interval '40 seconds' END,
       CASE WHEN n % 5 = 0 THEN 'answered' END
FROM (SELECT n, CAST(:now AS timestamptz) - interval '730 days' + n * (interval '730 days' / :count) - interval '1 day'
      AS at FROM generate_series(1, :count) AS n) AS past
"""

# One or two attempts per request, all with a result (0.2 % left without one: callbacks Twilio never sent).
_ATTEMPTS = """
INSERT INTO attempts (request_id, volunteer_id, seq, kind, result, leg_call_sid, offered_at, answered_at, ended_at)
SELECT r.id, r.volunteer_id, s, CASE WHEN r.id % 10 = 3 THEN 'callback' WHEN r.id % 5 = 0 THEN 'queue' ELSE 'live' END,
       CASE WHEN r.id % 500 = 1 AND s = 1 THEN NULL WHEN s = 1 AND r.id % 3 = 0 THEN 'no_answer' ELSE 'accepted' END,
       'CAHISTLEG' || r.id || '-' || s, r.created_at + s * interval '20 seconds',
       r.created_at + interval '1 minute', r.closed_at
FROM requests r CROSS JOIN generate_series(1, 2) AS s
WHERE r.reference LIKE 'HIST-%' AND (s = 1 OR r.id % 3 = 0)
"""

# Eight timeline entries per request, keyed as Twilio callbacks are (a few hundred thousand rows).
_EVENTS = """
INSERT INTO events (request_id, kind, idempotency_key, payload, actor, at)
SELECT r.id, (ARRAY['call.received', 'voice.menu', 'menu.motive', 'postcode', 'attempt.offered', 'call.status',
                    'attempt.finished', 'call.ended'])[k],
       'hist:' || r.id || ':' || k, '{}'::json, NULL, r.created_at + k * interval '5 seconds'
FROM requests r CROSS JOIN generate_series(1, 8) AS k
WHERE r.reference LIKE 'HIST-%'
"""

# One SMS per request, delivered long ago (a few failed for good).
_OUTBOX = """
INSERT INTO outbox (territory_id, request_id, channel, purpose, to_number, body, status, provider_sid, created_at,
                    attempts, next_attempt_at)
SELECT r.territory_id, r.id, 'sms', 'outcome_request', r.caller, 'x',
       CASE WHEN r.id % 50 = 0 THEN 'failed' ELSE 'delivered' END, 'SMHIST' || r.id, r.closed_at, 1, NULL
FROM requests r WHERE r.reference LIKE 'HIST-%'
"""


def grow(database_url: str, territory_id: int, now: datetime, requests: int = 50_000) -> dict[str, int]:
    """Add `requests` past requests (and their attempts, events, SMS) to the territory; ANALYZE; the row counts."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            params = {"territory_id": territory_id, "now": now, "count": requests}
            connection.execute(text(_REQUESTS), params)
            for statement in (_ATTEMPTS, _EVENTS, _OUTBOX):
                connection.execute(text(statement))
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
            return {
                name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in ("requests", "attempts", "events", "outbox")
            }
    finally:
        engine.dispose()


if __name__ == "__main__":
    url = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    print(grow(url, 1, datetime.now(UTC), count))
