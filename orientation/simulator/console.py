"""`orientation simulate-call`: play a call against a running app from a terminal."""

from __future__ import annotations

from collections.abc import Callable

import click

from orientation.config import Config
from orientation.simulator.engine import Event, InvalidInput, VoiceCall, describe
from orientation.simulator.transport import HttpTransport

HELP = {
    "gather": "keys (e.g. 1 or 75020), 'say <words>', Enter for silence, 'q' to hang up",
    "record": "Enter to leave a 10 s message, 'q' to hang up without one",
    "dial_leg": "the volunteer's phone rings: 'a' answers, 'n' no answer, 'b' busy, 'f' fails, 'q' you hang up",
    "leg_gather": "the volunteer's keys (1 takes the call, 2 declines), Enter for silence",
    "bridged": "you talk with the volunteer: Enter ends the conversation",
}


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


def play(target: str, config: Config, to: str, from_: str) -> int:
    """Run an interactive call; returns the process exit code."""
    transport = HttpTransport(config.signing_auth_token, config.public_base_url, target)
    call = VoiceCall(
        transport,
        f"{config.public_base_url}/twilio/voice",
        from_=from_,
        to=to,
        status_callback_url=f"{config.public_base_url}/twilio/status",
    )
    click.echo(f"Calling {to} from {from_} through {target} …")
    _show(call.start(), click.echo)
    while call.state != "ended":
        click.echo(f"[{HELP.get(call.state, call.state)}]")
        try:
            answer = click.prompt(">", default="", show_default=False)
        except (EOFError, click.Abort):
            answer = "q"
        try:
            _show(step(call, answer), click.echo)
        except InvalidInput as exc:
            click.echo(f"({exc})")
    errors = [e for e in call.events if e.kind in ("error", "callback_error")]
    return 1 if errors else 0
