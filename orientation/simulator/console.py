"""`orientation simulate-call`: play calls against a running app from a terminal, several at once.

One terminal plays several callers and the volunteers' phones: `+` rings the line from another caller,
`o` picks up the next call the line placed to a volunteer (an offer of a waiting caller: read from the
outbox, where calls wait without Twilio credentials), `:2` switches to call 2, `l` lists the calls. The
calls share one switchboard of Twilio queues, so a volunteer's 1 dequeues the caller waiting in line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import click

from orientation.core.config import Config
from orientation.simulator.engine import Event, InvalidInput, Switchboard, VoiceCall, describe
from orientation.simulator.transport import HttpTransport, SignedTransport

HELP = {
    "gather": "keys (e.g. 1 or 75020), 'say <words>', Enter for silence, 'q' to hang up",
    "record": "Enter to leave a 10 s message, 'q' to hang up without one",
    "dial_leg": "the volunteer's phone rings: 'a' answers, 'n' no answer, 'b' busy, 'f' fails, 'q' you hang up",
    "leg_gather": "the volunteer's keys (1 takes the call, 2 declines), Enter for silence",
    "bridged": "you talk with the volunteer: Enter ends the conversation",
    "queue_bridged": "a volunteer took you from the line: switch to their call (':n') to end the conversation",
}
DESK_HELP = "'+' another caller, 'o' pick up a call placed to a volunteer, ':n' switch to call n, 'l' list calls"


@dataclass(frozen=True)
class PlacedCall:
    """A call the line placed (an outbox row), as Twilio would start it once answered."""

    url: str
    from_: str
    to: str
    status_callback: str | None


def _show(events: list[Event], echo: Callable[[str], None]) -> None:
    for event in events:
        line = describe(event)
        if line:
            echo(line)


def step(call: VoiceCall, answer: str) -> list[Event]:
    """Apply one typed answer to the call in its current state."""
    text = answer.strip()
    if text == "q":
        return call.hangup()
    state = call.state
    if state == "gather":
        if not text:
            return call.silence()
        if text.startswith("say "):
            return call.speak(text[4:])
        return call.press(text)
    if state == "record":
        return call.record(duration=10)
    if state == "dial_leg":
        actions = {"a": call.leg_answer, "n": call.leg_no_answer, "b": call.leg_busy, "f": call.leg_fail}
        return actions.get(text or "a", call.leg_answer)()
    if state == "leg_gather":
        return call.leg_press(text) if text else call.leg_silence()
    if state == "bridged":
        return call.end_bridge(duration=120)
    raise InvalidInput(state)


class Desk:
    """Several simulated calls played from one prompt: callers and the volunteers' placed calls."""

    def __init__(
        self,
        transport: Callable[[], SignedTransport],
        base_url: str,
        to: str,
        next_placed: Callable[[], PlacedCall | None],
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.to = to
        self.next_placed = next_placed
        self.switchboard = Switchboard()
        self.calls: list[tuple[str, VoiceCall]] = []
        self.current = -1

    @property
    def call(self) -> VoiceCall | None:
        """The call the prompt plays now."""
        return self.calls[self.current][1] if self.calls else None

    def ring(self, from_: str) -> list[Event]:
        """A caller rings the line; their call becomes the current one."""
        call = VoiceCall(
            self.transport(),
            f"{self.base_url}/twilio/voice",
            from_=from_,
            to=self.to,
            status_callback_url=f"{self.base_url}/twilio/status",
            switchboard=self.switchboard,
        )
        return self._add(f"caller {from_}", call)

    def pick_up(self) -> list[Event] | None:
        """The volunteer's phone picks up the next call the line placed; None when there is none."""
        placed = self.next_placed()
        if placed is None:
            return None
        call = VoiceCall(
            self.transport(),
            placed.url,
            from_=placed.from_,
            to=placed.to,
            status_callback_url=placed.status_callback,
            switchboard=self.switchboard,
        )
        return self._add(f"volunteer {placed.to}", call)

    def _add(self, label: str, call: VoiceCall) -> list[Event]:
        self.calls.append((label, call))
        self.current = len(self.calls) - 1
        return call.start()

    def command(self, text: str, echo: Callable[[str], None]) -> None:
        """One typed line: a desk command, or an answer for the current call."""
        text = text.strip()
        if text.startswith("+"):
            # "+" alone: a new caller's number; "+33622222222": that caller (the "+" is the number's own).
            number = text.replace(" ", "") if len(text) > 1 else f"+336{len(self.calls) + 10:08d}"
            _show(self.ring(number), echo)
        elif text == "o":
            events = self.pick_up()
            if events is None:
                echo("(no call placed to a volunteer is waiting)")
            else:
                _show(events, echo)
        elif text == "l":
            for n, (label, call) in enumerate(self.calls, start=1):
                echo(f"{'*' if n - 1 == self.current else ' '} {n}: {label} ({call.state})")
        elif text.startswith(":") and text[1:].isdigit() and 1 <= int(text[1:]) <= len(self.calls):
            self.current = int(text[1:]) - 1
            echo(f"(now on call {text[1:]}: {self.calls[self.current][0]})")
        elif self.call is not None:
            _show(step(self.call, text), echo)

    @property
    def done(self) -> bool:
        """True once every call has ended."""
        return all(call.state == "ended" for _, call in self.calls)


def outbox_reader(config: Config) -> Callable[[], PlacedCall | None]:
    """The next call the line placed and nobody sent (no Twilio credentials): taken from the outbox once."""

    def next_placed() -> PlacedCall | None:
        from sqlalchemy import select

        from orientation.core.db import make_engine, make_session_factory
        from orientation.core.models import OutboxMessage

        engine = make_engine(config.database_url)
        try:
            with make_session_factory(engine)() as session:
                row = session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.channel == "call", OutboxMessage.status == "stored")
                    .order_by(OutboxMessage.id)
                    .with_for_update(skip_locked=True)
                ).first()
                if row is None or not row.url:
                    return None
                row.status = "sent"
                placed = PlacedCall(row.url, row.from_number or "", row.to_number, row.status_callback)
                session.commit()
                return placed
        finally:
            engine.dispose()

    return next_placed


def play(target: str, config: Config, to: str, from_: str) -> int:
    """Run an interactive session (one caller first); returns the process exit code."""
    desk = Desk(
        lambda: HttpTransport(config.signing_auth_token, config.public_base_url, target),
        config.public_base_url,
        to,
        outbox_reader(config),
    )
    click.echo(f"Calling {to} from {from_} through {target} … ({DESK_HELP})")
    _show(desk.ring(from_), click.echo)
    while not desk.done:
        call = desk.call
        state = call.state if call is not None else "ended"
        click.echo(f"[{HELP.get(state, state)}; {DESK_HELP}]")
        try:
            answer = click.prompt(">", default="", show_default=False)
        except (EOFError, click.Abort):
            # The terminal is gone: every call still on the line hangs up.
            for _, open_call in desk.calls:
                if open_call.state not in ("ended", "idle"):
                    with contextlib.suppress(InvalidInput):
                        _show(open_call.hangup(), click.echo)
            break
        try:
            desk.command(answer, click.echo)
        except InvalidInput as exc:
            click.echo(f"({exc})")
    errors = [e for _, c in desk.calls for e in c.events if e.kind in ("error", "callback_error")]
    return 1 if errors else 0
