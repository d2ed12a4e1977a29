"""Where a webhook's time goes: the flow driven in process, per kind CPU, SQL statements and layers.

Part of bench.bench_webhooks (the same seeded database, the same signed requests), but through Flask's test
client in this process instead of gunicorn and wrk, so that each webhook's CPU time, its SQL statements
and, under cProfile, the share of each layer (SQLAlchemy, psycopg, Flask and werkzeug, our code) can be
read. The test client adds its own cost (building the WSGI environ), which gunicorn's parser replaces.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

LAYERS = {
    "sqlalchemy": "SQLAlchemy",
    "psycopg": "psycopg",
    "flask": "Flask, werkzeug",
    "werkzeug": "Flask, werkzeug",
    "flask_limiter": "Flask, werkzeug",
    "twilio": "twilio (signature, TwiML)",
}


def _layer(filename: str) -> str:
    found = re.search(r"site-packages/([^/]+)/", filename)
    if found:
        return LAYERS.get(found.group(1), "other libraries")
    if any(f"/{name}/" in filename for name in ("callflows", "orientation", "volunteers", "directory")):
        return "Orientation's code"
    return "Python (stdlib, builtins)"


def profile_flow(database_url: str, calls: int, env: dict[str, str]) -> dict[str, Any]:
    """Drive `calls` calls through the flow in process; per kind ms (wall, CPU) and statements; layer shares."""
    from bench import bench_webhooks as bw
    from orientation import create_app

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    client = app.test_client()
    signer = bw.Signer()
    engine = app.extensions["orientation"].engine
    current = [""]
    statements: dict[str, int] = defaultdict(int)
    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    profiler = cProfile.Profile()
    profiling = [False]

    def counted(*_args: Any) -> None:
        statements[current[0]] += 1

    event.listen(engine, "before_cursor_execute", counted)

    def post(kind: str, target: str, params: dict[str, str]) -> None:
        current[0] = kind
        headers = {"X-Twilio-Signature": signer.validator.compute_signature(bw.BASE_URL + target, params)}
        if profiling[0]:
            profiler.enable()
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = client.post(target, data=params, headers=headers, base_url=bw.BASE_URL)
        wall[kind] += time.perf_counter() - started
        cpu[kind] += time.process_time() - started_cpu
        if profiling[0]:
            profiler.disable()
        count[kind] += 1
        if answer.status_code != 200:
            raise RuntimeError(f"{kind} answered {answer.status_code}")

    def run(batch: list[Any]) -> None:
        for call in batch:
            post("voice.incoming", "/twilio/voice", bw.caller_params(call, "ringing"))
        for call in batch:
            params = {**bw.caller_params(call, "in-progress"), "Digits": call.digit}
            post("voice.menu", "/twilio/voice/menu?attempt=1", params)
        for call in batch:
            params = {**bw.caller_params(call, "in-progress"), "Digits": bw.POSTCODE}
            post("voice.postcode", "/twilio/voice/postcode?attempt=1", params)
        attempts, _ = bw.routed_attempts(database_url, batch)
        when = datetime.now(UTC)
        for call in batch:
            call.attempt, phone = attempts[call.sid]
            for sequence, status in enumerate(("initiated", "ringing", "in-progress")):
                params = bw.progress(bw.leg_params(call, status, phone), sequence, when)
                post("call.status", f"/twilio/status?attempt={call.attempt}", params)
            screen = bw.leg_params(call, "in-progress", phone)
            post("voice.screen", f"/twilio/voice/screen?attempt={call.attempt}", screen)
            answer = {**bw.leg_params(call, "in-progress", phone), "Digits": "1"}
            post("voice.screen_answer", f"/twilio/voice/screen/answer?attempt={call.attempt}", answer)
            done = {**bw.progress(bw.leg_params(call, "completed", phone), 3, when), "CallDuration": "95"}
            post("call.status", f"/twilio/status?attempt={call.attempt}", done)
            dial = {
                **bw.caller_params(call, "in-progress"),
                "DialCallStatus": "completed",
                "DialCallSid": call.leg_sid,
                "DialCallDuration": "95",
                "DialBridged": "true",
            }
            post("voice.dial", f"/twilio/voice/dial?attempt={call.attempt}", dial)
            ended = {**bw.progress(bw.caller_params(call, "completed"), 1, when), "CallDuration": "130"}
            post("call.status", "/twilio/status", ended)

    rng = random.Random(5)
    make: Callable[[], Any] = lambda: bw.Call(  # noqa: E731 - a small factory
        "CA" + os.urandom(16).hex(), "CA" + os.urandom(16).hex(), f"+336{rng.randrange(10**8):08d}", "2"
    )
    run([make() for _ in range(10)])  # warm-up: caches, prepared statements
    for table in (statements, wall, cpu, count):
        table.clear()
    run([make() for _ in range(calls)])
    kinds = {
        kind: {
            "requests": count[kind],
            "wall_ms": 1000 * wall[kind] / count[kind],
            "cpu_ms": 1000 * cpu[kind] / count[kind],
            "statements": statements[kind] / count[kind],
        }
        for kind in count
    }
    profiling[0] = True
    run([make() for _ in range(min(calls, 40))])
    shares: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        shares[_layer(filename)] += own
    total = sum(shares.values()) or 1.0
    event.remove(engine, "before_cursor_execute", counted)
    engine.dispose()
    return {"kinds": kinds, "layers": {k: v / total for k, v in sorted(shares.items(), key=lambda x: -x[1])}}


def markdown(profile: dict[str, Any]) -> list[str]:
    """The lines of the profile's table and layer shares."""
    out = [
        "In process (same database and requests, Flask's test client, one thread; CPU is this process's, "
        "PostgreSQL's own work is not in it):",
        "",
        "| webhook | requests | wall ms | CPU ms | SQL statements |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, figures in profile["kinds"].items():
        out.append(
            f"| {kind} | {figures['requests']} | {figures['wall_ms']:.1f} | {figures['cpu_ms']:.1f} | "
            f"{figures['statements']:.1f} |"
        )
    shares = ", ".join(f"{name} {100 * share:.0f} %" for name, share in profile["layers"].items())
    out += ["", f"Where the CPU goes (cProfile, own time by layer, every webhook of the flow): {shares}.", ""]
    return out
