"""Instructions per webhook, counted by valgrind's callgrind: the webhook section's figures on a busy machine.

The throughput figures of bench.bench_webhooks move with whatever else the machine runs (±15-30 % between runs on
a shared 2-core machine); CPU instructions do not: callgrind counts the same total for the same code, requests
and database whatever the other core does. This drives the same flow as bench.webhook_profile (the seeded bench
database, signed requests, Flask's test client, in one process) under `valgrind --tool=callgrind`, zeroes the
counters before each post and dumps them after it, and sums the dumps by webhook kind. Beside it, the same count
for the floor (`bench/floor_app.py`) and for a no-op `@webhook` handler (the app's own machinery around every
webhook: hooks, signature, idempotency, the event row, the commit). PostgreSQL's own work is not in the counts
(another process); the app's side is most of the server CPU (BENCHMARKS.md, "server CPU per webhook").

`python -m bench.webhook_instructions [--calls 5] [--json PATH]` (valgrind is installed from Debian's packages
when missing; gcc builds its client requests). Slow by nature: callgrind runs Python ~50× slower (~10 minutes).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KINDS_PER_CALL = 11
DB_NAME = "orientation_bench_instructions"
NOOP_PATH = "/twilio/bench-noop"


def ensure_valgrind() -> str:
    """The valgrind binary, installed from Debian's packages when missing."""
    found = shutil.which("valgrind")
    if not found:
        print("valgrind not found: installing the Debian package", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "valgrind"], check=True, env=env, stdout=subprocess.DEVNULL)
        found = shutil.which("valgrind")
    if not found:
        raise RuntimeError("valgrind could not be installed")
    return found


# ---------------------------------------------------------------- inside valgrind


_CLIENT_REQUESTS = r"""
#include <valgrind/callgrind.h>
void orientation_cg_zero(void) { CALLGRIND_ZERO_STATS; }
void orientation_cg_dump(const char *hint) { CALLGRIND_DUMP_STATS_AT(hint); }
"""


def _client_requests() -> Any:
    """callgrind's client requests (zero the counters, dump them under a name), compiled from valgrind's header.

    They are machine instructions callgrind recognises, so they act exactly where they are called: a
    `callgrind_control` process instead would be answered later and count part of its own spawning.
    """
    folder = Path(tempfile.mkdtemp(prefix="orientation-cg-"))
    (folder / "cg.c").write_text(_CLIENT_REQUESTS)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(folder / "cg.so"), str(folder / "cg.c")], check=True)
    library = ctypes.CDLL(str(folder / "cg.so"))
    library.orientation_cg_dump.argtypes = [ctypes.c_char_p]
    return library


def child(what: str, calls: int, database_url: str) -> None:
    """Run `calls` calls of the flow (or as many posts of the floor or no-op), one callgrind dump per post."""
    from bench import bench_webhooks as bw

    signer = bw.Signer()
    rng = random.Random(5)
    serial = [0]

    def sid() -> str:
        serial[0] += 1
        return f"CA{os.getpid():08x}{serial[0]:08x}{rng.randrange(16**16):016x}"

    counting = [False]
    callgrind = _client_requests()

    def post(kind: str, target: str, params: dict[str, str]) -> None:
        headers = {"X-Twilio-Signature": signer.validator.compute_signature(bw.BASE_URL + target, params)}
        if counting[0]:
            callgrind.orientation_cg_zero()
        answer = client.post(target, data=params, headers=headers, base_url=bw.BASE_URL)
        if counting[0]:
            callgrind.orientation_cg_dump(kind.encode())
        if answer.status_code != 200:
            raise RuntimeError(f"{kind} answered {answer.status_code}")

    os.environ.update(bw.server_env(database_url))
    if what in ("floor", "noop"):
        client = _baseline_client(what)
        target = NOOP_PATH if what == "noop" else "/twilio/voice"

        def one() -> None:
            post(
                what, target, {"CallSid": sid(), "CallStatus": "ringing", "From": "+33612345678", "To": "+33100000000"}
            )

        for _ in range(30):
            one()
        _settle()
        _first_dump(callgrind)
        counting[0] = True
        for _ in range(calls * KINDS_PER_CALL):
            one()
        return
    from orientation import create_app

    client = create_app().test_client()
    logging.disable(logging.INFO)  # the log lines go to a file under gunicorn; here they would go to the terminal
    when = datetime(2026, 12, 6, 12, tzinfo=UTC)

    def run(batch: list[Any]) -> None:
        for call in batch:
            post("voice.incoming", "/twilio/voice", bw.caller_params(call, "ringing"))
        for call in batch:
            post("voice.menu", "/twilio/voice/menu?attempt=1", {**bw.caller_params(call, "in-progress"), "Digits": "2"})
        for call in batch:
            params = {**bw.caller_params(call, "in-progress"), "Digits": bw.POSTCODE}
            post("voice.postcode", "/twilio/voice/postcode?attempt=1", params)
        attempts, _ = bw.routed_attempts(database_url, batch)
        for call in batch:
            call.attempt, phone = attempts[call.sid]
            leg = f"/twilio/status?attempt={call.attempt}"
            for sequence, status in enumerate(("initiated", "ringing", "in-progress")):
                post("call.status (leg ringing)", leg, bw.progress(bw.leg_params(call, status, phone), sequence, when))
            post(
                "voice.screen",
                f"/twilio/voice/screen?attempt={call.attempt}",
                bw.leg_params(call, "in-progress", phone),
            )
            answer = {**bw.leg_params(call, "in-progress", phone), "Digits": "1"}
            post("voice.screen_answer", f"/twilio/voice/screen/answer?attempt={call.attempt}", answer)
            done = {**bw.progress(bw.leg_params(call, "completed", phone), 3, when), "CallDuration": "95"}
            post("call.status (leg completed)", leg, done)
            dial = {
                **bw.caller_params(call, "in-progress"),
                "DialCallStatus": "completed",
                "DialCallSid": call.leg_sid,
                "DialCallDuration": "95",
                "DialBridged": "true",
            }
            post("voice.dial", f"/twilio/voice/dial?attempt={call.attempt}", dial)
            ended = {**bw.progress(bw.caller_params(call, "completed"), 1, when), "CallDuration": "130"}
            post("call.status (call completed)", "/twilio/status", ended)

    def make() -> Any:
        return bw.Call(sid(), sid(), f"+336{rng.randrange(10**8):08d}", "2")

    run([make() for _ in range(5)])  # warm-up: caches, prepared statements, the rota snapshot
    _settle()
    _first_dump(callgrind)
    counting[0] = True
    run([make() for _ in range(calls)])


def _settle() -> None:
    """Collect, then freeze what the warm-up left (modules, mappers, caches) out of the collector's reach.

    A full collection walks every object the process holds (a few hundred million instructions here) and
    falls on whichever post happens to allocate past the threshold: frozen, those objects are not walked
    again, and each post is charged the young collections its own allocations cause, as the flow's are.
    """
    gc.collect()
    gc.freeze()


def _first_dump(callgrind: Any) -> None:
    """One zero and dump before the counted posts: the process's first dump holds everything run before it, the
    zero notwithstanding (seen: ~870 M instructions in the first post's part); `count` leaves this one out."""
    callgrind.orientation_cg_zero()
    callgrind.orientation_cg_dump(b"calibration")


def _baseline_client(what: str) -> Any:
    if what == "floor":
        from bench.floor_app import create_app as floor_app

        return floor_app().test_client()
    from callflows import twiml
    from callflows.webhooks import Ctx, bp, webhook

    # Registered before the app is made: the blueprint's hooks (signature check) and the webhook decorator apply.
    @bp.post(NOOP_PATH.removeprefix("/twilio"))
    @webhook("bench.noop")
    def noop(_ctx: Ctx) -> str:
        return twiml.empty()

    from orientation import create_app

    app = create_app()
    logging.disable(logging.INFO)
    return app.test_client()


# ---------------------------------------------------------------- outside


def count(what: str, calls: int, database_url: str) -> dict[str, dict[str, float]]:
    """Run the child under callgrind; per kind the mean instructions per post and the number of posts."""
    valgrind = ensure_valgrind()
    with tempfile.TemporaryDirectory(prefix="orientation-callgrind-") as folder:
        command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={folder}/cg.%p", sys.executable]
        command += ["-m", "bench.webhook_instructions", "--child", what, "--calls", str(calls), "--url", database_url]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        totals: dict[str, list[int]] = defaultdict(list)
        for dump in Path(folder).glob("cg.*.*"):
            head = dump.read_text(errors="replace")[:20000]
            # Ours read "desc: Trigger: Client Request: KIND" (the dump at exit is not one of them).
            trigger = re.search(r"^desc: Trigger: Client Request: (.*)$", head, re.M)
            total = re.search(r"^(?:summary|totals): (\d+)", head, re.M)
            if trigger is None or total is None:
                continue
            totals[trigger.group(1).strip()].append(int(total.group(1)))
    totals.pop("calibration", None)
    return {kind: {"posts": len(v), "instructions": sum(v) / len(v)} for kind, v in totals.items()}


def markdown(results: dict[str, Any]) -> list[str]:
    """The table: millions of instructions per webhook, each kind ÷ the floor's."""
    floor = next(iter(results["floor"].values()))["instructions"]
    noop = next(iter(results["noop"].values()))["instructions"]
    flow = results["flow"]
    out = [
        "",
        "`python -m bench.webhook_instructions`: the webhook section's flow counted in CPU instructions by valgrind's "
        "callgrind (in process through Flask's test client, the app's side only, PostgreSQL's work not in it). "
        "callgrind gives the same count for the same code whatever else the machine runs: the figure to compare two "
        "versions with on a shared machine, where the rates of the webhook section move by ±15-30 % between runs.",
        "",
        "| webhook | posts | M instructions | ÷ floor |",
        "|---|---:|---:|---:|",
    ]
    weighted = 0.0
    posts = 0
    for kind, figures in sorted(flow.items()):
        out.append(
            f"| {kind} | {figures['posts']} | {figures['instructions'] / 1e6:.2f} | "
            f"{figures['instructions'] / floor:.2f} |"
        )
        weighted += figures["instructions"] * figures["posts"]
        posts += int(figures["posts"])
    mean = weighted / posts if posts else 0.0
    out += [
        f"| **whole flow** (mean per webhook) | {posts} | **{mean / 1e6:.2f}** | {mean / floor:.2f} |",
        f"| no-op `@webhook` handler (hooks, signature, idempotency, event row, commit) | | {noop / 1e6:.2f} | "
        f"{noop / floor:.2f} |",
        f"| floor (signature, one INSERT, commit) | | {floor / 1e6:.2f} | 1.00 |",
    ]
    return out


def main(argv: list[str] | None = None) -> None:
    """Seed the bench database, count the flow, the no-op handler and the floor, print the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5, help="calls of the flow counted (11 webhooks each)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON there")
    parser.add_argument("--only", default="flow,noop,floor", help="what to count, comma-separated (flow,noop,floor)")
    parser.add_argument("--db-name", default=DB_NAME, help="the database made on the bench server (dropped first)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.calls, args.url)
        return
    from bench import bench_webhooks as bw

    bw.DB_NAME = args.db_name
    database_url = bw.start_postgres()
    bw.fresh_database(database_url)
    bw.seed(database_url, 300, datetime.now(UTC), random.Random(8))
    results = {what: count(what, args.calls, database_url) for what in args.only.split(",")}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if {"flow", "noop", "floor"} <= results.keys():
        print("\n".join(markdown(results)))
    else:
        for what, kinds in results.items():
            for kind, figures in sorted(kinds.items()):
                print(f"{what}: {kind}: {figures['instructions'] / 1e6:.2f} M instructions ({figures['posts']} posts)")


if __name__ == "__main__":
    main()
