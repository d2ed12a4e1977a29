"""A request's timeline in French words, pure: one line per event, webhook traffic set apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orientation.console.web import ATTEMPT_RESULTS, MOTIVES, OUTCOMES, STATUSES

# Events stored by the webhook decorator (one per Twilio callback): useful to debug, noise to a coordinator.
TECHNICAL_PREFIXES = ("voice.", "call.status", "recording.status", "sms.")


# What each outgoing message was for (OutboxMessage.purpose), and what became of it (outbox.* events).
MESSAGE_PURPOSES = {
    "outcome_request": "demande d'issue au volontaire",
    "patient_callback": "confirmation au patient",
    "callback_alert": "alerte de rappel à la coordination",
    "callback_unreachable": "avis de patient injoignable",
    "callback_offer": "appel de proposition de rappel",
}
MESSAGE_FATES = {
    "delivered": "remis",
    "undelivered": "non remis",
    "failed": "en échec",
    "uncertain": "sans réponse de Twilio (non relancé)",
}


def describe_message(payload: Mapping[str, Any], fate: str) -> str:
    """An outgoing SMS or call and what became of it, with Twilio's error code when there is one."""
    what = "Appel" if payload.get("channel") == "call" else "SMS"
    purpose = str(payload.get("purpose") or "")
    text = f"{what} « {MESSAGE_PURPOSES.get(purpose, purpose)} » {MESSAGE_FATES.get(fate, fate)}"
    code = payload.get("error_code")
    return f"{text} (erreur Twilio {code})" if code else text


def is_technical(kind: str) -> bool:
    """True for the raw record of a Twilio callback."""
    return kind.startswith(TECHNICAL_PREFIXES)


def describe(kind: str, payload: Mapping[str, Any], volunteers: Mapping[int, str]) -> str:
    """What happened, in a sentence a coordinator understands."""
    p = payload or {}

    def volunteer(key: str = "volunteer_id") -> str:
        value = p.get(key)
        return volunteers.get(value, f"bénévole n° {value}") if isinstance(value, int) else "un bénévole"

    if kind == "call.received":
        return "Appel reçu sur la ligne" + ("" if p.get("caller_known", True) else " (numéro masqué)")
    if kind == "line.closed":
        return "Appel reçu en dehors des heures d'ouverture"
    if kind == "menu.motive":
        defaulted = " (par défaut, sans réponse au menu)" if p.get("defaulted") else ""
        return f"Motif : {MOTIVES.get(str(p.get('motive')), p.get('motive'))}{defaulted}"
    if kind.endswith(".not_understood"):
        return "Réponse non comprise (" + ("menu" if kind.startswith("menu") else "code postal") + ")"
    if kind == "postcode":
        if p.get("postcode") is None:
            return "Pas de code postal donné"
        inside = p.get("in_territory")
        where = "dans le territoire" if inside is True else "hors territoire" if inside is False else ""
        return f"Code postal {p.get('postcode')} {where}".strip()
    if kind == "status":
        before, after = STATUSES.get(str(p.get("from")), p.get("from")), STATUSES.get(str(p.get("to")), p.get("to"))
        return f"Statut : {before} → {after}"
    if kind == "attempt.offered":
        return f"Appel proposé à {volunteer()}"
    if kind == "attempt.accepted":
        return f"{volunteer()} accepte l'appel"
    if kind == "attempt.declined":
        return "Le bénévole refuse l'appel"
    if kind == "attempt.finished":
        return f"Fin de la sonnerie : {ATTEMPT_RESULTS.get(p.get('result'), p.get('result'))}"
    if kind == "routing.no_candidate":
        return "Aucun bénévole disponible" + (" de plus" if p.get("tried") else "")
    if kind == "routing.wait_limit":
        return "Attente maximale atteinte"
    if kind == "outcome":
        return f"Issue : {OUTCOMES.get(str(p.get('to')), p.get('to'))}"
    if kind == "outcome.details":
        return "Précisions sur l'issue enregistrées"
    if kind == "read":
        return "Demande consultée" + (
            " (console)" if p.get("via") == "console" else " (API)" if p.get("via") == "api" else ""
        )
    if kind == "callback.requested":
        return "Rappel demandé par la coordination"
    if kind == "call.ended":
        return "Fin de l'appel"
    if kind.startswith("outbox."):
        return describe_message(p, kind.removeprefix("outbox."))
    if kind.startswith("sms"):
        return "SMS"
    return kind
