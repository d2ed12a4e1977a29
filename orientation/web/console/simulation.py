"""Simulated calls driven from the console: the voice engine posting the app's own signed webhooks.

The VoiceCall objects live in this process's memory, keyed by a random id and tied to the account that
started them. That is enough for a demo and development tool (one process, calls lasting minutes); with
several web processes a simulated call would only be found by the process that holds it, and a restart
forgets calls in progress. The simulator is off whenever real Twilio credentials are set, unless enabled.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from orientation.core.config import Config
from orientation.core.models import OutboxMessage
from orientation.simulator.engine import Event, Switchboard, VoiceCall
from orientation.simulator.transport import FlaskClientTransport

MAX_CALLS = 50


@dataclass
class Simulation:
    """One simulated call and whom it belongs to."""

    id: str
    call: VoiceCall
    territory_id: int
    user_id: int


class SimulationStore:
    """The simulated calls of this process, oldest dropped past MAX_CALLS."""

    def __init__(self) -> None:
        self._calls: OrderedDict[str, Simulation] = OrderedDict()
        self._lock = threading.Lock()
        # Twilio's queues, shared by every simulated call: a volunteer's offer call dequeues a waiting caller.
        self.switchboard = Switchboard()

    def add(self, simulation: Simulation) -> None:
        """Keep a new call."""
        with self._lock:
            self._calls[simulation.id] = simulation
            while len(self._calls) > MAX_CALLS:
                self._calls.popitem(last=False)

    def get(self, simulation_id: str, user_id: int) -> Simulation | None:
        """A call of this account, or None."""
        with self._lock:
            found = self._calls.get(simulation_id)
        return found if found is not None and found.user_id == user_id else None


def store(app: Flask) -> SimulationStore:
    """The app's store of simulated calls (made on first use)."""
    found = app.extensions.get("console_simulations")
    if found is None:
        found = app.extensions["console_simulations"] = SimulationStore()
    assert isinstance(found, SimulationStore)
    return found


def start_call(
    app: Flask, config: Config, to: str, from_: str, territory_id: int, user_id: int, clock: Callable[[], datetime]
) -> Simulation:
    """Ring the line: the same signed webhooks a real call makes, posted in-process."""
    transport = FlaskClientTransport(app.test_client(), config.signing_auth_token, config.public_base_url)
    call = VoiceCall(
        transport,
        f"{config.public_base_url}/twilio/voice",
        from_=from_,
        to=to,
        status_callback_url=f"{config.public_base_url}/twilio/status",
        clock=clock,
        switchboard=store(app).switchboard,
    )
    simulation = Simulation(secrets.token_urlsafe(12), call, territory_id, user_id)
    store(app).add(simulation)
    call.start()
    return simulation


def answer_placed_call(
    app: Flask, config: Config, placed: OutboxMessage, user_id: int, clock: Callable[[], datetime]
) -> Simulation:
    """A volunteer picks up a call the line placed (an offer of a waiting caller, a call-back): Twilio fetches
    its URL, as for any answered outgoing call. Without Twilio credentials the call only waits in the outbox."""
    transport = FlaskClientTransport(app.test_client(), config.signing_auth_token, config.public_base_url)
    call = VoiceCall(
        transport,
        placed.url or "",
        from_=placed.from_number or "",
        to=placed.to_number,
        status_callback_url=placed.status_callback,
        clock=clock,
        switchboard=store(app).switchboard,
    )
    placed.status = "sent"
    placed.provider_sid = call.call_sid
    simulation = Simulation(secrets.token_urlsafe(12), call, placed.territory_id or 0, user_id)
    store(app).add(simulation)
    return simulation


def describe(event: Event, names: dict[str, str]) -> tuple[str, str] | None:
    """A transcript line in French and its style (say, you, vol, err, info); None for silent events."""
    kind, text, attrs = event.kind, event.text, event.attrs
    volunteer = event.party == "volunteer"
    who = names.get(text, text)
    if kind == "say":
        return (f"La ligne dit au bénévole : « {text} »" if volunteer else f"La ligne : « {text} »"), "say"
    if kind == "play":
        return "La ligne joue un son", "info"
    if kind == "pause":
        return f"(silence de {text} s)", "info"
    if kind == "gather":
        return "La ligne attend vos touches" + (" ou votre voix" if "speech" in attrs.get("input", "") else ""), "info"
    if kind == "record":
        return "La ligne enregistre votre message", "info"
    if kind == "input":
        how = attrs.get("how")
        if how == "press":
            return (f"Le bénévole tape {text}" if volunteer else f"Vous tapez {text}"), ("vol" if volunteer else "you")
        if how == "speak":
            return f"Vous dites « {text} »", "you"
        if how == "record":
            return f"Vous laissez un message de {text} s", "you"
        return ("Le bénévole ne tape rien" if volunteer else "Vous ne dites rien"), ("vol" if volunteer else "you")
    if kind == "dial":
        return f"La ligne appelle {', '.join(names.get(n.strip(), n.strip()) for n in text.split(','))}", "info"
    if kind == "leg_ringing":
        return f"Le téléphone de {who} sonne", "vol"
    if kind == "leg_answered":
        return f"{who} décroche", "vol"
    if kind == "leg_ended":
        status = {
            "completed": "terminé",
            "no-answer": "sans réponse",
            "busy": "occupé",
            "failed": "échec",
            "canceled": "annulé",
        }
        return f"Fin de l'appel de {who} ({status.get(attrs.get('status', ''), attrs.get('status'))})", "vol"
    if kind == "bridged":
        return f"Vous êtes en relation avec {who}", "vol"
    if kind == "bridge_ended":
        return f"Fin de la conversation ({attrs.get('duration')} s)", "info"
    if kind == "hangup":
        if volunteer:
            return "Le bénévole raccroche", "info"
        return ("Vous raccrochez" if text.startswith("caller") else "La ligne raccroche"), "info"
    if kind in ("error", "callback_error"):
        return f"Erreur de l'application ({attrs.get('code')}) : {text}", "err"
    if kind == "enqueued":
        return "Vous patientez dans la file d'attente", "info"
    if kind == "left_queue":
        return "Vous quittez la file d'attente", "info"
    if kind == "dequeued":
        return f"{who} prend votre appel dans la file d'attente", "vol"
    if kind == "ended":
        return "Appel terminé", "info"
    if kind == "message":
        return f"La ligne envoie un SMS : {text}", "info"
    return None


def ringing_number(call: VoiceCall) -> str | None:
    """The volunteer's number whose phone rings (or who is in the screening menu) now."""
    if call.state in ("dial_leg", "leg_gather", "bridged"):
        for event in reversed(call.events):
            if event.kind in ("leg_ringing", "leg_answered", "bridged"):
                return event.text
    return None
