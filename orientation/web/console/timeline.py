"""A request's timeline in French words, pure: one line per event, reads folded, webhook traffic set apart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orientation.core.labels import ATTEMPT_RESULTS, MOTIVES, OUTCOMES, STATUSES

# The one catalogue of event kinds: every kind the code stores (add_event, the webhook decorator, the
# journal replay) has its French label here; a unit test scans the code to keep it so.
EVENT_LABELS: dict[str, str] = {
    # The call, as the line handled it
    "call.received": "Appel reçu sur la ligne",
    "line.closed": "Appel reçu en dehors des heures d'ouverture",
    "menu.motive": "Motif choisi",
    "menu.not_understood": "Réponse non comprise (menu)",
    "postcode.not_understood": "Réponse non comprise (code postal)",
    "postcode": "Code postal donné",
    "status": "Changement de statut",
    "attempt.offered": "Appel proposé à un bénévole",
    "attempt.accepted": "Un bénévole accepte l'appel",
    "attempt.declined": "Le bénévole refuse l'appel",
    "attempt.finished": "Fin de la sonnerie",
    "routing.no_candidate": "Aucun bénévole disponible",
    "routing.wait_limit": "Attente maximale atteinte",
    "transfer.started": "Transfert vers une CPTS voisine",
    "transfer.failed": "Transfert vers la CPTS voisine sans réponse",
    "call.ended": "Fin de l'appel",
    # The outcome
    "outcome": "Issue",
    "outcome.details": "Précisions sur l'issue enregistrées",
    "outcome.note": "Note sur l'issue modifiée",
    "outcome.form": "Issue donnée par le bénévole (formulaire)",
    # Call-backs
    "callback.requested": "Rappel demandé par la coordination",
    "callback.offered": "Rappel proposé à un bénévole",
    "callback.accepted": "Le bénévole accepte de rappeler le patient",
    "callback.passed": "Le bénévole ne prend pas le rappel",
    "callback.round_ended": "Tour de rappel terminé sans bénévole",
    "callback.reached": "Patient rappelé",
    "callback.not_reached": "Patient non joint",
    "callback.dial_cancelled": "Appel au patient interrompu par le bénévole",
    "callback.dialled": "Appel au patient terminé après la clôture",
    "callback.patient_answered": "Le patient décroche",
    "callback.patient_leg_ended": "Fin de l'appel au patient",
    # Privacy and reads
    "read": "Demande consultée",
    "recording.deleted": "Message du patient supprimé",
    "journal.replayed": "Échange Twilio rejoué depuis le journal de secours",
    # Twilio's callbacks, as the webhook decorator stores them (technical: shown apart)
    "voice.incoming": "Twilio : appel entrant",
    "voice.menu": "Twilio : réponse au menu",
    "voice.postcode": "Twilio : code postal",
    "voice.transfer": "Twilio : fin du transfert",
    "voice.transfer_status": "Twilio : état du transfert",
    "voice.dial": "Twilio : fin de la sonnerie",
    "voice.screen": "Twilio : annonce au bénévole",
    "voice.screen_answer": "Twilio : réponse du bénévole",
    "voice.recorded": "Twilio : message enregistré",
    "voice.volunteer": "Twilio : appel d'un bénévole",
    "recording.status": "Twilio : état de l'enregistrement",
    "call.status": "Twilio : état de l'appel",
    "sms.incoming": "Twilio : SMS reçu",
    "sms.status": "Twilio : état d'un SMS envoyé",
    "callback.offer": "Twilio : le bénévole décroche (rappel)",
    "callback.details": "Twilio : détails du rappel",
    "callback.answer": "Twilio : réponse du bénévole (rappel)",
    "callback.patient": "Twilio : le patient décroche (rappel)",
    "callback.patient_status": "Twilio : état de l'appel au patient",
    "callback.dialed": "Twilio : fin de l'appel au patient",
    "callback.status": "Twilio : état de l'appel au bénévole",
    # The waiting line (issue 19): the story, then Twilio's callbacks of the queue and the offer calls.
    "waitline.joined": "Entre dans la file d'attente",
    "waitline.left": "Sort de la file d'attente",
    "waitline.dropped": "Sorti de la file d'attente par Twilio",
    "waitline.offered": "Patient en attente proposé à un bénévole",
    "waitline.passed": "Le bénévole ne prend pas le patient en attente",
    "waitline.released": "Proposition retirée : un collègue a pris l'appel",
    "queue.wait": "Twilio : tour d'attente",
    "queue.key": "Twilio : touche pendant l'attente",
    "queue.left": "Twilio : sortie de la file",
    "queue.connecting": "Twilio : mise en relation depuis la file",
    "queue.offer": "Twilio : le bénévole décroche (file d'attente)",
    "queue.offer_answer": "Twilio : réponse du bénévole (file d'attente)",
    "queue.offer_done": "Twilio : fin de la conversation (file d'attente)",
    "queue.offer_status": "Twilio : état de l'appel au bénévole (file d'attente)",
    "queue.next": "Twilio : appel suivant demandé",
    "queue.taken": "Twilio : proposition reprise par un collègue",
}
# Kinds made with a variable part (f"outbox.{status}"): one label for the family.
EVENT_FAMILIES: dict[str, str] = {
    "outbox.": "Message sortant",
}
# The raw records of Twilio's callbacks (the webhook decorator's kinds): useful to debug, noise to a coordinator.
TECHNICAL_KINDS = frozenset(
    {
        *(kind for kind in EVENT_LABELS if kind.startswith(("voice.", "sms."))),
        "recording.status",
        "call.status",
        "callback.offer",
        "callback.details",
        "callback.answer",
        "callback.patient",
        "callback.patient_status",
        "callback.dialed",
        "callback.status",
        "journal.replayed",
    }
)
# A webhook added later without its entry above is still kept out of the story.
TECHNICAL_PREFIXES = ("voice.", "call.status", "recording.status", "sms.", "queue.")


# What each outgoing message was for (OutboxMessage.purpose), and what became of it (outbox.* events).
MESSAGE_PURPOSES = {
    "outcome_request": "demande d'issue au volontaire",
    "patient_callback": "confirmation au patient",
    "callback_alert": "alerte de rappel à la coordination",
    "callback_unreachable": "avis de patient injoignable",
    "callback_offer": "appel de proposition de rappel",
    "queue_offer": "appel de proposition d'un patient en attente",
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
    return kind in TECHNICAL_KINDS or kind.startswith(TECHNICAL_PREFIXES)


def label(kind: str) -> str:
    """The French name of an event kind (its family's for a variable kind; the code itself when unknown)."""
    if kind in EVENT_LABELS:
        return EVENT_LABELS[kind]
    for prefix, text in EVENT_FAMILIES.items():
        if kind.startswith(prefix):
            return text
    return f"Événement « {kind} »"


def describe(kind: str, payload: Mapping[str, Any], volunteers: Mapping[int, str]) -> str:
    """What happened, in a sentence a coordinator understands."""
    p = payload or {}

    def volunteer(key: str = "volunteer_id") -> str:
        value = p.get(key)
        return volunteers.get(value, f"bénévole n° {value}") if isinstance(value, int) else "un bénévole"

    if kind == "call.received":
        return "Appel reçu sur la ligne" + ("" if p.get("caller_known", True) else " (numéro masqué)")
    if kind == "menu.motive":
        defaulted = " (par défaut, sans réponse au menu)" if p.get("defaulted") else ""
        return f"Motif : {MOTIVES.get(str(p.get('motive')), p.get('motive'))}{defaulted}"
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
    if kind == "attempt.finished":
        return f"Fin de la sonnerie : {ATTEMPT_RESULTS.get(p.get('result'), p.get('result'))}"
    if kind == "routing.no_candidate":
        return "Aucun bénévole disponible" + (" de plus" if p.get("tried") else "")
    if kind == "transfer.started" and p.get("neighbour"):
        return f"Transfert vers {p['neighbour']}"
    if kind == "outcome":
        if p.get("to") is None:
            return "Issue retirée (la demande repart en rappel)"
        return f"Issue : {OUTCOMES.get(str(p.get('to')), p.get('to'))}"
    if kind == "read":
        return "Demande consultée" + (
            " (console)" if p.get("via") == "console" else " (API)" if p.get("via") == "api" else ""
        )
    if kind == "waitline.left":
        how = {"answered": "un bénévole le prend", "hung_up": "il raccroche", "chose_message": "il préfère laisser un "
               "message", "wait_limit": "attente trop longue"}.get(str(p.get("how")), "")  # fmt: skip
        seconds = p.get("seconds")
        waited = f" après {seconds} s" if isinstance(seconds, int) else ""
        return f"Sort de la file d'attente{waited}" + (f" : {how}" if how else "")
    if kind == "waitline.offered":
        return f"Patient en attente proposé à {volunteer()}"
    if kind == "callback.offered":
        return f"Rappel proposé à {volunteer()}"
    if kind == "callback.accepted":
        return f"{volunteer()} accepte de rappeler le patient"
    if kind == "callback.passed":
        return f"Le bénévole ne prend pas le rappel ({ATTEMPT_RESULTS.get(p.get('result'), p.get('result'))})"
    if kind == "callback.reached":
        return f"Patient rappelé par {volunteer()}"
    if kind == "callback.not_reached":
        machine = " (messagerie)" if p.get("answered_by") else ""
        return f"Patient non joint{machine} : {p.get('failed_calls', '?')} appel(s) sans réponse"
    if kind.startswith("outbox."):
        return describe_message(p, kind.removeprefix("outbox."))
    return label(kind)


@dataclass(frozen=True)
class Reader:
    """Who read a request, how many times, and when last."""

    name: str
    count: int
    last_at: datetime


@dataclass(frozen=True)
class Reads:
    """A request's reads folded into one line: how many, the last one, and each reader."""

    count: int
    last_at: datetime | None
    last_by: str | None
    readers: tuple[Reader, ...]


def fold_reads(reads: Iterable[tuple[datetime, str]]) -> Reads:
    """Fold (when, reader's name) pairs into one summary, readers by their last read, latest first."""
    counts: dict[str, int] = {}
    last: dict[str, datetime] = {}
    for at, name in reads:
        counts[name] = counts.get(name, 0) + 1
        if name not in last or at >= last[name]:
            last[name] = at
    readers = tuple(
        sorted((Reader(name, counts[name], last[name]) for name in counts), key=lambda r: r.last_at, reverse=True)
    )
    if not readers:
        return Reads(0, None, None, ())
    return Reads(sum(counts.values()), readers[0].last_at, readers[0].name, readers)
