"""EXPLAIN ANALYZE every SQL statement of the bench call flow and of the frequent clock jobs, on PostgreSQL.

Runs a few calls of the issue-17 flow (Flask test client, in process) and the jobs that run every minute or
more often, records each distinct statement with the parameters it was sent with, then EXPLAINs it (ANALYZE,
BUFFERS, in a transaction rolled back) and prints the plan, flagging a sequential scan of a growing table.
Grow the database first (`bench/grow_history.py`) so the plans are those of a line that has run for years.

    PYTHONPATH=. python -m bench.explain_flow postgresql+psycopg://…/db [calls] [--full]
"""

from __future__ import annotations

import os
import random
import re
import sys
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import event

from bench import bench_webhooks as bw

GROWING = ("requests", "attempts", "events", "outbox", "audit_log")
JOBS = ("dispatch_outbox", "replay_journal", "callbacks", "waiting_line")


def record_flow(url: str, calls: int) -> list[tuple[str, str, Any]]:
    """(where, statement, parameters) of each statement the flow and the jobs send, first occurrence of each."""
    os.environ.update(bw.server_env(url))
    from orientation import create_app
    from orientation.cli import scheduler

    app = create_app()
    engine = app.extensions["orientation"].engine
    seen: dict[str, tuple[str, str, Any]] = {}
    where = ["-"]

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        key = " ".join(statement.split())
        if key not in seen and not executemany:
            seen[key] = (where[0], statement, params)

    event.listen(engine, "before_cursor_execute", note)
    client, signer = app.test_client(), bw.Signer()
    rng = random.Random(5)

    def post(kind: str, target: str, params: dict[str, str]) -> None:
        where[0] = kind
        headers = {"X-Twilio-Signature": signer.validator.compute_signature(bw.BASE_URL + target, params)}
        answer = client.post(target, data=params, headers=headers, base_url=bw.BASE_URL)
        assert answer.status_code == 200, (kind, answer.status_code)

    batch = [
        bw.Call("CA" + os.urandom(16).hex(), "CA" + os.urandom(16).hex(), f"+336{rng.randrange(10**8):08d}", "2")
        for _ in range(calls)
    ]
    for call in batch:
        post("voice.incoming", "/twilio/voice", bw.caller_params(call, "ringing"))
        post("voice.menu", "/twilio/voice/menu?attempt=1", {**bw.caller_params(call, "in-progress"), "Digits": "2"})
        post(
            "voice.postcode",
            "/twilio/voice/postcode?attempt=1",
            {**bw.caller_params(call, "in-progress"), "Digits": bw.POSTCODE},
        )
    attempts, _ = bw.routed_attempts(url, batch)
    when = datetime.now(UTC)
    for call in batch:
        call.attempt, phone = attempts[call.sid]
        for seq, status in enumerate(("initiated", "ringing", "in-progress")):
            post(
                "call.status.leg",
                f"/twilio/status?attempt={call.attempt}",
                bw.progress(bw.leg_params(call, status, phone), seq, when),
            )
        post("voice.screen", f"/twilio/voice/screen?attempt={call.attempt}", bw.leg_params(call, "in-progress", phone))
        post(
            "voice.screen_answer",
            f"/twilio/voice/screen/answer?attempt={call.attempt}",
            {**bw.leg_params(call, "in-progress", phone), "Digits": "1"},
        )
        post(
            "call.status.legend",
            f"/twilio/status?attempt={call.attempt}",
            {**bw.progress(bw.leg_params(call, "completed", phone), 3, when), "CallDuration": "95"},
        )
        post(
            "voice.dial",
            f"/twilio/voice/dial?attempt={call.attempt}",
            {
                **bw.caller_params(call, "in-progress"),
                "DialCallStatus": "completed",
                "DialCallSid": call.leg_sid,
                "DialCallDuration": "95",
                "DialBridged": "true",
            },
        )
        post(
            "call.status.end",
            "/twilio/status",
            {**bw.progress(bw.caller_params(call, "completed"), 1, when), "CallDuration": "130"},
        )
    runtime = app.extensions["orientation"]
    for job in JOBS:
        where[0] = "job." + job
        run = scheduler.execute(scheduler.job_by_id(job), runtime)
        assert run.ok, run
    event.remove(engine, "before_cursor_execute", note)
    return list(seen.values())


def explain(conninfo: str, statement: str, params: Any) -> list[str]:
    """The plan of one statement: EXPLAIN ANALYZE (rolled back) when it runs without error, else plain EXPLAIN."""
    with psycopg.connect(conninfo) as conn:
        for analyze in (True, False):
            try:
                options = "ANALYZE, BUFFERS, " if analyze else ""
                rows = conn.execute(f"EXPLAIN ({options}COSTS OFF) " + statement, params).fetchall()
                conn.rollback()
                return [row[0] for row in rows]
            except psycopg.Error:
                conn.rollback()
    return ["(no plan)"]


def seq_scans(plan: list[str]) -> list[str]:
    """The growing tables the plan reads sequentially."""
    return [m for line in plan for m in re.findall(r"Seq Scan on (\w+)", line) if m in GROWING]


def main(argv: list[str]) -> None:
    """Record, EXPLAIN and print; a summary of the sequential scans of growing tables at the end."""
    url, calls, full = argv[0], int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 3, "--full" in argv
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    flagged = []
    statements = record_flow(url, calls)
    for number, (where, statement, params) in enumerate(statements, 1):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            continue
        plan = explain(conninfo, statement, params)
        scans = seq_scans(plan)
        timing = next((line.strip() for line in plan if line.startswith("Execution Time")), "(plain EXPLAIN)")
        print(f"#{number} [{where}] {'SEQ SCAN ' + ','.join(scans) if scans else ''} {timing}")
        print("    " + " ".join(statement.split())[: None if full else 300])
        for line in plan:
            if full or ("Scan" in line or "Join" in line or "Loop" in line or "Sort" in line or "Aggregate" in line):
                print("      " + line)
        if scans:
            flagged.append((number, where, scans, timing))
    print(f"\n{len(statements)} distinct statements; sequential scans of growing tables:")
    for number, where, scans, timing in flagged:
        print(f"  #{number} [{where}] {','.join(scans)} {timing}")


if __name__ == "__main__":
    main(sys.argv[1:])
