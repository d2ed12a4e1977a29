"""The COVID line through the waiting line: python -m bench.bench_waitline [--callers N] [--volunteers N] [--json F].

A discrete-event run in simulated time (no sleeps): 200 callers within 10 minutes, 90 volunteers on duty, a
territory in crisis mode (each waiting caller offered to up to 3 volunteers at once). The app runs in this
process on a fresh SQLite file (or --database-url); the simulator plays Twilio for every call: the callers'
inbound calls (<Enqueue>, waitUrl turns every ~25 s), the hunt's <Dial> legs and the offer calls the app
places through an in-process stand-in for the REST API (it records each call placed and each call ended).

Volunteers answer a ring or an offer with a mix: accept (press 1), decline (2), voicemail (picks up, never
presses) or no answer; a conversation lasts 2 to 8 minutes. After a call in crisis mode, half of them press 1
for the next caller. Callers never hang up here: each one must end answered or with a message.

Reported: every caller answered or left a message (0 lost), the median and p90 wait in line, the median
and p90 time to answer, how many times a volunteer was offered a call while on another (must be 0), and
the webhooks per second the app answered (the run's wall time, the simulator's own work included).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import Base, make_engine
from orientation.core.models import Request, Territory
from orientation.core.runtime import Runtime
from orientation.services import waitline
from orientation.services.territories import create_territory
from orientation.simulator.engine import Switchboard, VoiceCall
from orientation.simulator.transport import FlaskClientTransport
from volunteers.models import Shift
from volunteers.services import create_volunteer

BASE_URL = "https://ligne.bench.invalid"
TOKEN = "bench-auth-token"
LINE = "+33199000001"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
TURN_SECONDS = 25
JOB_SECONDS = 15


class CountingTransport(FlaskClientTransport):
    """The signed Flask test-client transport, counting the webhooks posted."""

    posts = 0

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """Post one signed webhook."""
        CountingTransport.posts += 1
        return super().post(url, params)


@dataclass
class Placed:
    """A call the app asked the REST API to place."""

    sid: str
    to: str
    from_: str
    url: str
    status_callback: str | None
    ended: bool = False
    leg: VoiceCall | None = None


@dataclass
class Telephone:
    """The in-process REST API: records placed calls and the ones the app ends."""

    placed: list[Placed] = field(default_factory=list)
    by_sid: dict[str, Placed] = field(default_factory=dict)
    pending: list[Placed] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """An SMS: nothing to simulate."""
        return f"SM{next(self.counter):032x}"

    def place_call(self, to: str, from_: str, url: str, status_callback: str | None = None, timeout: int = 20) -> str:
        """A call placed: kept until the simulation answers it."""
        call = Placed(f"CA{next(self.counter):032x}", to, from_, url, status_callback)
        self.placed.append(call)
        self.by_sid[call.sid] = call
        self.pending.append(call)
        return call.sid

    def update_call(self, sid: str, status: str | None = None, url: str | None = None) -> None:
        """The app ends a call (a rival's offer): ringing, it never rings again; answered, the leg hangs up."""
        call = self.by_sid.get(sid)
        if call is None or call.ended:
            return
        call.ended = True
        if call.leg is not None and call.leg.state not in ("ended", "idle"):
            call.leg.hangup()


@dataclass
class Run:
    """The state of one simulated surge."""

    app: Flask
    clock: FrozenClock
    phone: Telephone
    rng: random.Random
    board: Switchboard = field(default_factory=Switchboard)
    events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    now: float = 0.0
    busy: dict[str, int] = field(default_factory=dict)  # volunteer phone → conversations under way
    offered_while_busy: int = 0
    callers: list[VoiceCall] = field(default_factory=list)

    def at(self, seconds: float, action: Callable[[], None]) -> None:
        """Schedule an action at a simulated second."""
        heapq.heappush(self.events, (seconds, next(self.seq), action))

    def transport(self) -> CountingTransport:
        """A signed transport into the app."""
        return CountingTransport(self.app.test_client(), TOKEN, BASE_URL)

    def reaction(self) -> str:
        """How a volunteer answers a ring or an offer."""
        return self.rng.choices(["accept", "decline", "voicemail", "no_answer"], [70, 12, 10, 8])[0]

    def talk_seconds(self) -> int:
        """How long a conversation lasts."""
        return self.rng.randint(120, 480)

    # ---------------------------------------------------------------- callers

    def arrive(self, number: int) -> None:
        """A caller phones the line, chooses a motive and gives their postcode."""
        caller = VoiceCall(
            self.transport(),
            f"{BASE_URL}/twilio/voice",
            from_=f"+3361{number:07d}",
            to=LINE,
            status_callback_url=f"{BASE_URL}/twilio/status",
            switchboard=self.board,
            clock=self.clock,
        )
        self.callers.append(caller)
        caller.start()
        caller.press(self.rng.choice("1234"))
        caller.press("75020")
        self.drive(caller)

    def drive(self, caller: VoiceCall) -> None:
        """Play the caller's side until they wait for something that happens later."""
        while True:
            if caller.state == "dial_leg":
                self.ring(caller)
            elif caller.state == "record":
                caller.record(duration=20)
            elif caller.state == "gather" and caller.queued_in is not None:
                self.at(self.now + TURN_SECONDS, lambda: self.turn(caller))
                return
            elif caller.state == "gather":
                caller.silence()
            else:
                return  # bridged (its end is scheduled), taken from the line, or ended

    def turn(self, caller: VoiceCall) -> None:
        """The next turn of a waiting caller (they press nothing)."""
        if caller.state == "gather" and caller.queued_in is not None:
            caller.silence()
            self.drive(caller)

    def ring(self, caller: VoiceCall) -> None:
        """The hunt rings a volunteer's phone: they react."""
        assert caller.waiting_for is not None
        phone = caller.waiting_for.text
        if self.busy.get(phone):
            self.offered_while_busy += 1
        reaction = self.reaction()
        if reaction == "no_answer":
            caller.leg_no_answer()
            return
        caller.leg_answer()
        if reaction == "voicemail":
            caller.leg_silence()
            if caller.state == "leg_gather":
                caller.leg_silence()
            return
        caller.leg_press("1" if reaction == "accept" else "2")
        if caller.state == "bridged":
            self.busy[phone] = self.busy.get(phone, 0) + 1
            self.at(self.now + self.talk_seconds(), lambda: self.hunt_call_ends(caller, phone))

    def hunt_call_ends(self, caller: VoiceCall, phone: str) -> None:
        """A conversation reached by the hunt ends."""
        self.busy[phone] -= 1
        if caller.state == "bridged":
            caller.end_bridge(duration=0)
        self.drive(caller)

    # ---------------------------------------------------------------- offer calls

    def answer_offers(self) -> None:
        """Schedule the volunteers' reactions to the offer calls the app just placed."""
        while self.phone.pending:
            placed = self.phone.pending.pop(0)
            self.at(self.now + self.rng.randint(3, 12), lambda placed=placed: self.offer_rings(placed))

    def offer_rings(self, placed: Placed) -> None:
        """A volunteer's phone rings with an offer: they react (unless the app cancelled it)."""
        if placed.ended:
            return
        others = [p for p in self.phone.placed if p.to == placed.to and p is not placed and p.leg is not None
                  and p.leg.state not in ("ended", "idle")]  # fmt: skip
        if self.busy.get(placed.to) or others:
            self.offered_while_busy += 1  # their phone rings while they talk or hear another offer
        reaction = self.reaction()
        if reaction == "no_answer":
            placed.ended = True
            if placed.status_callback:
                params = {"CallSid": placed.sid, "CallStatus": "no-answer", "AccountSid": "AC" + "0" * 32,
                          "From": placed.from_, "To": placed.to, "Direction": "outbound-api"}  # fmt: skip
                self.transport().post(placed.status_callback, params)
            return
        leg = VoiceCall(
            self.transport(),
            placed.url,
            from_=placed.from_,
            to=placed.to,
            call_sid=placed.sid,
            status_callback_url=placed.status_callback,
            switchboard=self.board,
            clock=self.clock,
        )
        placed.leg = leg
        leg.start()
        self.screen(leg, placed, reaction)

    def screen(self, leg: VoiceCall, placed: Placed, reaction: str) -> None:
        """The volunteer listens to the offer and presses a key, or not."""
        if leg.state != "gather":
            return
        if reaction == "voicemail":
            leg.silence()
            if leg.state == "gather":
                leg.silence()
            return
        leg.press("1" if reaction == "accept" else "2")
        if leg.state == "bridged":
            self.busy[placed.to] = self.busy.get(placed.to, 0) + 1
            self.at(self.now + self.talk_seconds(), lambda: self.offer_call_ends(leg, placed))

    def offer_call_ends(self, leg: VoiceCall, placed: Placed) -> None:
        """A conversation reached through the line ends; in crisis mode, maybe the next caller at once."""
        self.busy[placed.to] -= 1
        if leg.state == "bridged":
            leg.end_bridge(duration=0)
        if leg.state == "gather":  # "tapez 1 pour prendre l'appel suivant"
            if self.rng.random() < 0.5:
                leg.press("1")
                if leg.state == "bridged":
                    self.busy[placed.to] = self.busy.get(placed.to, 0) + 1
                    self.at(self.now + self.talk_seconds(), lambda: self.offer_call_ends(leg, placed))
                    return
            if leg.state == "gather":
                leg.silence()

    # ---------------------------------------------------------------- the loop

    def job(self) -> None:
        """The clock process's waiting-line job."""
        rt: Runtime = self.app.extensions["orientation"]
        waitline.dispatch_lines(rt, self.clock())
        if any(c.state != "ended" for c in self.callers) or self.events:
            self.at(self.now + JOB_SECONDS, self.job)

    def run(self, callers: int, window_seconds: int) -> None:
        """Every caller arrives within the window; run until every call has ended."""
        for number in range(callers):
            self.at(number * window_seconds / callers, lambda number=number: self.arrive(number))
        self.at(JOB_SECONDS, self.job)
        while self.events:
            self.now, _, action = heapq.heappop(self.events)
            self.clock.set(T0 + timedelta(seconds=self.now))
            action()
            self.answer_offers()
            if all(c.state == "ended" for c in self.callers) and len(self.callers) == callers:
                live = [e for e in self.events if e[2].__func__ is not Run.job]  # type: ignore[attr-defined]
                if not live:
                    break


def _setup(database_url: str, volunteers: int) -> tuple[Flask, FrozenClock, Telephone]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    clock = FrozenClock(T0)
    phone = Telephone()
    config = Config(
        database_url=database_url,
        secret_key="bench",
        public_base_url=BASE_URL,
        twilio_auth_token=TOKEN,
        environment="test",
        journal_dir=tempfile.mkdtemp(prefix="orientation-bench-journal-"),
        log_level="WARNING",
    )
    app = create_app(config, clock=clock, sender=phone)
    rt: Runtime = app.extensions["orientation"]
    with rt.sessions() as session:
        line = {"name": "CPTS Covid", "reference_prefix": "COV", "phone_numbers": [LINE], "postcodes": ["75020"]}
        territory = create_territory(session, {**line, "opening_hours": "24/7"}, T0)
        territory.crisis_enabled = True
        territory.crisis_offers = 3
        for n in range(volunteers):
            data = {"name": f"Dr {n}", "phone": f"+3370{n:07d}", "profession": "medecin",
                    "motives": ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"],
                    "languages": ["fr"]}  # fmt: skip
            volunteer = create_volunteer(session, territory, data, T0)
            session.add(Shift(volunteer_id=volunteer.id, starts_at=T0 - timedelta(hours=1),
                              ends_at=T0 + timedelta(hours=8), motives=[], created_at=T0))  # fmt: skip
        session.commit()
    return app, clock, phone


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(callers: int = 200, volunteers: int = 90, window_seconds: int = 600, seed: int = 19,
            database_url: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Run the surge and return its figures."""
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='orientation-bench-waitline-')) / 'line.db'}"
    app, clock, phone = _setup(url, volunteers)
    CountingTransport.posts = 0
    run = Run(app, clock, phone, random.Random(seed))
    started = time.perf_counter()
    run.run(callers, window_seconds)
    seconds = time.perf_counter() - started
    rt: Runtime = app.extensions["orientation"]
    with rt.sessions() as session:
        requests = session.scalars(select(Request)).all()
        territory = session.scalars(select(Territory)).one()
        answered = [r for r in requests if r.connected_at is not None]
        messages = [r for r in requests if r.connected_at is None and r.had_message]
        lost = [r.reference for r in requests if r.connected_at is None and not r.had_message]
        joined = [r for r in requests if r.wait_started_at is not None]
        waits = [(r.wait_ended_at - r.wait_started_at).total_seconds() for r in joined if r.wait_ended_at]
        to_answer = [(r.connected_at - r.created_at).total_seconds() for r in answered if r.connected_at]
        ends: dict[str, int] = {}
        for r in joined:
            ends[r.wait_end or "none"] = ends.get(r.wait_end or "none", 0) + 1
        figures = {
            "callers": callers,
            "volunteers": volunteers,
            "window_seconds": window_seconds,
            "crisis_offers": territory.crisis_offers,
            "answered": len(answered),
            "left_a_message": len(messages),
            "lost": len(lost),
            "still_open_calls": sum(1 for c in run.callers if c.state != "ended"),
            "joined_the_line": len(joined),
            "left_the_line": ends,
            "wait_in_line_median_s": statistics.median(waits) if waits else None,
            "wait_in_line_p90_s": _quantile(waits, 0.9),
            "time_to_answer_median_s": statistics.median(to_answer) if to_answer else None,
            "time_to_answer_p90_s": _quantile(to_answer, 0.9),
            "offer_calls_placed": len(phone.placed),
            "offer_calls_ended_by_the_app": sum(1 for p in phone.placed if p.ended),
            "offered_while_on_a_call": run.offered_while_busy,
            "webhooks": CountingTransport.posts,
            "wall_seconds": round(seconds, 1),
            "webhooks_per_second": round(CountingTransport.posts / seconds, 1),
        }
    rt.engine.dispose()
    return figures


def section(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The "## Waiting line" section of BENCHMARKS.md for some runs (label, figures)."""

    def seconds(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f} s"

    lines = [
        "## Waiting line",
        "",
        "The COVID line through the waiting line, in simulated time: `python -m bench.bench_waitline --write "
        "BENCHMARKS.md` (200 callers within 10 minutes, a territory in crisis mode offering each waiting caller "
        "to 3 volunteers at once; volunteers accept 70 %, decline 12 %, let a voicemail pick up 10 %, do not "
        "answer 8 %; conversations of 2 to 8 minutes; wait limit 5 minutes; seed 19). Every webhook goes through "
        "the Flask app in this process, signed; webhooks/s counts the simulator's own work too (one thread).",
        "",
        "| run | answered | left a message | lost | joined the line | wait in line median / p90 "
        "| time to answer median / p90 | offer calls placed (ended by the app) | offered while on a call "
        "| webhooks | webhooks/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, f in runs:
        lines.append(
            f"| {label} | {f['answered']} | {f['left_a_message']} | {f['lost']} | {f['joined_the_line']} "
            f"| {seconds(f['wait_in_line_median_s'])} / {seconds(f['wait_in_line_p90_s'])} "
            f"| {seconds(f['time_to_answer_median_s'])} / {seconds(f['time_to_answer_p90_s'])} "
            f"| {f['offer_calls_placed']} ({f['offer_calls_ended_by_the_app']}) | {f['offered_while_on_a_call']} "
            f"| {f['webhooks']} | {f['webhooks_per_second']} |"
        )
    lines += [
        "",
        "Every caller ends answered or with a message (0 lost), no volunteer's phone rang for a second caller "
        'while they talked or heard another offer, and nobody waits past the limit. "offer calls ended by the '
        'app" are the crisis rivals cancelled (or told) once a colleague pressed 1. With 40 volunteers the same '
        "surge fills the line: callers reaching the 5-minute limit leave a message and are called back.",
    ]
    return lines


def write_section(path: Path, lines: list[str]) -> None:
    """Replace (or append) the "## Waiting line" section of a markdown file, leaving the others alone."""
    existing = path.read_text(encoding="utf-8").splitlines() if path.exists() else ["# Benchmarks", ""]
    start = next((i for i, line in enumerate(existing) if line.rstrip() == "## Waiting line"), None)
    if start is None:
        if existing and existing[-1].strip():
            existing.append("")
        updated = [*existing, *lines]
    else:
        end = next((i for i in range(start + 1, len(existing)) if existing[i].startswith("## ")), len(existing))
        updated = [*existing[:start], *lines, *([""] if end < len(existing) else []), *existing[end:]]
    path.write_text("\n".join(updated) + "\n", encoding="utf-8")


def main() -> None:
    """Run from the command line and print the figures (and write them as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--volunteers", type=int, default=90)
    parser.add_argument("--window", type=int, default=600, help="seconds within which every caller arrives")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--database-url")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", type=Path, help="run 90 and 40 volunteers and replace the '## Waiting line' section")
    args = parser.parse_args()
    if args.write:
        runs = [
            (f"{v} volunteers, SQLite", measure(args.callers, v, args.window, args.seed, args.database_url))
            for v in (args.volunteers, 40)
        ]
        write_section(args.write, section(runs))
        return
    figures = measure(args.callers, args.volunteers, args.window, args.seed, args.database_url)
    for key, value in figures.items():
        print(f"{key:32} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
