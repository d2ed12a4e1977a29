"""Every word the line says or texts, in French: one catalogue, overridable per territory."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from string import Formatter
from typing import Any

from orientation.core.french_dates import MONTHS, WEEKDAYS

# The codes' labels are in the one catalogue, orientation.core.labels; OUTCOME_LABELS stays importable from here for the
# call flow, which reads the outcome back to a volunteer.
from orientation.core.labels import MOTIVE_PHRASES, MOTIVE_REQUESTS
from orientation.core.labels import OUTCOME_LABELS as OUTCOME_LABELS

PROMPTS: dict[str, str] = {
    "welcome": (
        "Bonjour, vous êtes sur la ligne d'orientation de la {territory}. "
        "En cas d'urgence vitale, raccrochez et composez le 15."
    ),
    "menu": (
        "Pour trouver un médecin traitant, tapez 1. "
        "Pour une visite à domicile, tapez 2. "
        "Pour consulter rapidement un professionnel, tapez 3. "
        "Pour toute autre demande d'orientation, tapez 4. "
        "Pour réécouter ce message, tapez étoile. Vous pouvez aussi dire votre demande."
    ),
    "menu_not_understood": "Je n'ai pas compris votre choix.",
    "menu_default_orientation": "Nous allons traiter votre appel comme une demande d'orientation.",
    "motive_chosen": "Vous avez choisi : {motive}.",
    "postcode": "Tapez maintenant les cinq chiffres du code postal du lieu où vous vous trouvez.",
    "postcode_speech": "Tapez les cinq chiffres du code postal, ou dites-les.",
    "postcode_not_understood": "Je n'ai pas compris le code postal.",
    "postcode_skipped": "Nous poursuivons sans code postal.",
    "out_of_territory_transfer": (
        "Le code postal {postcode} ne fait pas partie du territoire de notre CPTS. "
        "La {neighbour} couvre votre commune ; son numéro est le {phone}. Nous vous transférons."
    ),
    "transfer_failed": "La {neighbour} ne répond pas pour le moment.",
    "out_of_territory_continue": (
        "Le code postal {postcode} ne fait pas partie du territoire de notre CPTS. "
        "Nous cherchons tout de même un professionnel pour vous orienter."
    ),
    "searching": "Nous recherchons un professionnel disponible. Merci de patienter.",
    "still_searching": (
        "Le professionnel contacté n'est pas disponible. Nous en cherchons un autre, merci de patienter."
    ),
    "nobody_available": (
        "Aucun professionnel n'est disponible pour le moment. "
        "Après le bip, laissez votre nom, votre demande et le numéro où vous rappeler, puis raccrochez. "
        "Un professionnel vous rappellera."
    ),
    "closed": (
        "La ligne est actuellement fermée. Elle rouvrira {reopens}. "
        "Pour un avis médical la nuit, le week-end ou un jour férié, composez le 116 117. "
        "En cas d'urgence vitale, composez le 15."
    ),
    "closed_never": (
        "La ligne est actuellement fermée. "
        "Pour un avis médical la nuit, le week-end ou un jour férié, composez le 116 117. "
        "En cas d'urgence vitale, composez le 15."
    ),
    "closed_message": "Pour être rappelé, laissez votre message après le bip, puis raccrochez.",
    "message_recorded": "Votre message est enregistré. Votre numéro de demande est le {reference}. Au revoir.",
    "no_message": (
        "Nous n'avons pas reçu de message. Nous vous rappellerons au numéro d'où vous appelez. "
        "Votre numéro de demande est le {reference}. Au revoir."
    ),
    "goodbye": "Merci d'avoir appelé la ligne d'orientation. Au revoir.",
    "unknown_line": (
        "Ce numéro n'est pas configuré. En cas d'urgence vitale, composez le 15. "
        "Pour un avis médical la nuit ou le week-end, composez le 116 117."
    ),
    "technical_problem": (
        "La ligne d'orientation rencontre un problème technique. Merci de rappeler dans quelques minutes. "
        "Pour un avis médical la nuit, le week-end ou un jour férié, composez le 116 117. "
        "En cas d'urgence vitale, composez le 15."
    ),
    "fallback_message": (
        "Pour être rappelé, laissez votre nom et votre demande après le bip, puis raccrochez. "
        "Nous vous rappellerons au numéro d'où vous appelez."
    ),
    "fallback_thanks": "Votre message est enregistré. Nous vous rappellerons. Au revoir.",
    # A call the line placed (a call-back offer to a volunteer) when its own instructions failed.
    "fallback_placed_call": (
        "Ligne d'orientation de la CPTS : un problème technique interrompt cet appel. "
        "La demande reste en attente et vous sera proposée à nouveau. Au revoir."
    ),
    # What the volunteer hears before accepting (screening).
    "screening": (
        "Ligne d'orientation {territory} : {request}, {postcode}. Tapez 1 pour prendre l'appel, 2 pour refuser."
    ),
    "screening_again": "Je répète.",
    "screening_postcode": "code postal {postcode}",
    "screening_no_postcode": "code postal inconnu",
    "screening_connecting": "Vous êtes mis en relation avec le patient.",
    "screening_declined": "Merci, l'appel est proposé à un autre professionnel.",
    "screening_gone": "Le patient n'est plus en ligne. Merci.",
    # A call-back: the clock process phones a volunteer on duty, who hears the request and the message.
    # The first words say nothing personal: a voicemail may be recording them. The request comes after a key.
    "callback_offer": "Ligne d'orientation {territory} : un patient attend un rappel. Tapez 1 pour écouter la demande.",
    "callback_request": "Rappel d'un patient, {request}, {postcode}.",
    "callback_message": "Voici son message.",
    "callback_no_message": "Le patient n'a pas laissé de message.",
    "callback_choice": "Tapez 1 pour rappeler le patient, 2 pour passer.",
    "callback_dialing": "Nous appelons le patient. Restez en ligne.",
    "callback_passed": "Merci, la demande est proposée à un autre professionnel.",
    "callback_gone": "Cette demande n'attend plus de rappel. Merci.",
    "callback_reached": "Merci. Vous allez recevoir un SMS pour indiquer la suite donnée.",
    "callback_not_reached": "Le patient n'a pas répondu. Nous le rappellerons plus tard. Merci.",
    "callback_voicemail": "Un répondeur a décroché : le patient n'a pas été joint et aucun message n'a été laissé.",
    "callback_last_try": "Le patient n'a pas répondu. C'était le dernier essai ; la coordination est prévenue. Merci.",
    # SMS.
    "sms_patient_callback": (
        "{territory} : votre demande {reference} est enregistrée. Un professionnel vous rappellera. "
        "Urgence vitale : 15. Nuit et week-end : 116 117."
    ),
    "sms_callback_alert": ("{territory} : demande {reference} en attente de rappel ({motive}, {postcode})."),
    "sms_outcome_request": (
        "{reference} {motive} {postcode} — répondez 1 pris en charge, 2 orienté ailleurs, 3 sans suite."
    ),
    # When the line's SMS come from a sender that cannot be answered (orientation.core.sms_sender): the link only.
    "sms_outcome_request_link": "{reference} {motive} {postcode} — indiquez la suite donnée : {link}",
    "sms_not_volunteer": (
        "Ce numéro est celui de la ligne d'orientation {territory}. Pour toute demande, appelez-le. "
        "Urgence vitale : 15."
    ),
    "sms_outcome_saved": "Merci. Demande {reference} : {outcome}.",
    "sms_outcome_which": (
        "Plusieurs demandes sont ouvertes à votre nom ({references}). "
        "Répondez avec la référence puis le code, par exemple : {example} 1"
    ),
    "sms_outcome_none": "Aucune demande n'attend de réponse de votre part. Merci.",
    "sms_outcome_unknown_reference": "La demande {reference} n'est pas ouverte à votre nom.",
    "sms_not_understood": (
        "Réponse non comprise. Après un appel : 1 pris en charge, 2 orienté ailleurs, 3 sans suite. "
        "Autres commandes : PAUSE, DISPO, ROTA."
    ),
    "sms_help": (
        "Commandes : PAUSE (ne plus recevoir d'appels), DISPO (en recevoir à nouveau), "
        "ROTA (vos prochaines permanences), ou le code 1, 2 ou 3 après un appel."
    ),
    "sms_paused": "Vous ne recevrez plus d'appels jusqu'à {until}, fin de votre permanence. DISPO pour les reprendre.",
    "sms_paused_next": (
        "Vous n'êtes pas de permanence maintenant : votre prochaine permanence est suspendue jusqu'à {until}. "
        "DISPO pour l'annuler."
    ),
    "sms_pause_no_shift": "Aucune permanence en cours ni à venir à votre nom : il n'y a rien à suspendre.",
    "sms_replies_off": (
        "Les réponses par SMS ne sont pas traitées sur cette ligne. Après un appel, utilisez le lien reçu ; "
        "pour vos permanences, appelez la ligne depuis votre mobile."
    ),
    "sms_available": "Vous recevez à nouveau les appels pendant vos permanences.",
    "sms_rota": "Vos prochaines permanences : {shifts}.",
    "sms_rota_none": "Aucune permanence prévue pour vous.",
    # Rota: reminders to volunteers, gaps to the coordinator (sent by the clock process).
    "sms_shift_reminder": (
        "{territory} : rappel, vous êtes de permanence {day} de {start} à {end}. "
        "Empêchement : prévenez la coordination. Pendant la permanence, PAUSE suspend les appels."
    ),
    "sms_shift_reminder_no_reply": (
        "{territory} : rappel, vous êtes de permanence {day} de {start} à {end}. "
        "Empêchement : prévenez la coordination."
    ),
    "sms_gaps_summary": "{territory} : {count} créneau(x) sans volontaire dans les {days} jours : {gaps}.",
    "sms_gaps_more": "et {count} autre(s)",
    "sms_outcome_link": "Pour préciser qui a pris le patient : {link}",
    # A volunteer's own pause (SMS, private page, voice menu) that leaves motives without anyone, line open.
    "sms_pause_uncovered": (
        "{territory} : {volunteer} s'est mis en pause {via} jusqu'à {until}. "
        "Plus personne de disponible pour : {motives}."
    ),
    "sms_volunteer_page_link": "Vos permanences et la pause : {link}",
    # The short menu a volunteer hears when they call the line from their registered mobile.
    "volunteer_menu": (
        "Vous appelez depuis le portable d'un bénévole de la ligne. "
        "Pour suspendre vos appels, tapez 1. Pour les reprendre, tapez 2. "
        "Pour entendre vos prochaines permanences, tapez 3. Pour continuer comme un patient, tapez 9."
    ),
    "volunteer_menu_not_understood": "Je n'ai pas compris votre choix.",
    "volunteer_paused": "Vos appels sont suspendus jusqu'à {until}, fin de votre permanence.",
    "volunteer_paused_next": (
        "Vous n'êtes pas de permanence maintenant. Votre prochaine permanence est suspendue jusqu'à {until}."
    ),
    "volunteer_no_shift": "Vous n'avez aucune permanence en cours ni à venir : il n'y a rien à suspendre.",
    "volunteer_available": "Vous recevez à nouveau les appels pendant vos permanences.",
    "volunteer_shifts": "Vos prochaines permanences : {shifts}.",
    "volunteer_no_shifts": "Aucune permanence n'est prévue pour vous.",
    "volunteer_goodbye": "Merci, au revoir.",
    "sms_callback_unreachable": (
        "{territory} : demande {reference} ({motive}, {postcode}) close, patient injoignable après {attempts} rappels."
    ),
    # The waiting line (issue 19): every volunteer who could answer is on a call. The caller waits in order.
    "waitline_joined": (
        "Tous les professionnels disponibles sont en ligne avec un patient. "
        "Restez en ligne : le premier professionnel libéré prendra votre appel."
    ),
    "waitline_position": "Vous êtes la {rank} personne en attente.",
    "waitline_estimate": "Votre attente est estimée à environ {wait}.",
    "waitline_leave_offer": "Pour laisser plutôt un message et être rappelé, tapez 1.",
    "waitline_hold": "Merci de patienter.",
    "waitline_limit": "L'attente se prolonge.",
    "waitline_chose_message": "C'est noté.",
    "waitline_connecting": "Un professionnel prend votre appel.",
    # The offer of a waiting caller to a volunteer who is free: the same screening, and how long they waited.
    "waitline_offer": (
        "Ligne d'orientation {territory} : un patient attend depuis {waited}, {request}, {postcode}. "
        "Tapez 1 pour prendre l'appel, 2 pour refuser."
    ),
    "waitline_taken": "Un collègue a pris cet appel, merci.",
    "waitline_next_call": "Pour prendre l'appel suivant, tapez 1.",
    "waitline_no_next_call": "Aucun patient n'attend pour le moment. Merci.",
    # Crisis mode: the coordinator writes the announcement said after the welcome of every call (said as
    # written, never formatted); the console offers this one as an example.
    "crisis_announcement_example": (
        "En raison d'un très grand nombre d'appels, l'attente peut être plus longue que d'habitude. "
        "Restez en ligne : un professionnel de santé vous répondra dès que possible."
    ),
}


class PromptError(KeyError):
    """A prompt key or placeholder that the catalogue does not know."""


def placeholders(key: str) -> set[str]:
    """The {names} a prompt expects."""
    return {name for _, name, _, _ in Formatter().parse(PROMPTS[key]) if name}


def overrides_in(settings: Mapping[str, Any] | None) -> dict[str, str]:
    """A territory's own wording of the prompts (its settings' "prompts"), over the catalogue's; empty when none."""
    return dict((settings or {}).get("prompts") or {})


def speaker(settings: Mapping[str, Any] | None) -> Callable[..., str]:
    """`text` in a territory's own wording (its settings' prompts over the catalogue's)."""
    return worded(overrides_in(settings))


def worded(overrides: Mapping[str, object]) -> Callable[..., str]:
    """`text` with these overrides of the catalogue's wording (overrides_in of a territory's settings)."""
    return partial(text, overrides=overrides)


def text(key: str, overrides: Mapping[str, object] | None = None, **values: object) -> str:
    """The wording of a prompt with its values filled in; a territory may override the wording."""
    if key not in PROMPTS:
        raise PromptError(key)
    template = (overrides or {}).get(key)
    # Overrides come from a territory's JSON settings: one that is not text or has a broken placeholder must
    # never silence the line, so it falls back to ours.
    if isinstance(template, str) and template and _plain_fields_only(template, values):
        return template.format(**values)
    return PROMPTS[key].format(**values)


def _plain_fields_only(template: str, values: Mapping[str, object]) -> bool:
    """True when every {field} is one of the values, bare: no attribute, index, conversion or width."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in Formatter().parse(template)]
    except ValueError:
        return False
    # An override is written by a territory's coordinator: "{territory.__class__}" or "{reference:>999999999}"
    # must not reach str.format.
    return all(
        name is None or (name in values and not spec and conversion is None) for name, spec, conversion in fields
    )


def motive_label(motive: str | None) -> str:
    """The French words for a motive code."""
    return MOTIVE_PHRASES.get(motive or "orientation", MOTIVE_PHRASES["orientation"])


def motive_request(motive: str | None) -> str:
    """The request a volunteer is offered, in French ("demande de visite à domicile")."""
    return MOTIVE_REQUESTS.get(motive or "orientation", MOTIVE_REQUESTS["orientation"])


def spoken_reference(reference: str) -> str:
    """A request reference as text-to-speech should read it: P20-2026-000123 → "P 20, 2026, 1 2 3"."""
    parts = reference.split("-")
    if len(parts) != 3:
        return reference
    prefix, year, number = parts
    # Letters and digits apart, in order: P20 → "P 20", P20E → "P 20 E", 2A → "2 A".
    spaced_prefix = " ".join(re.findall(r"[^\W\d_]+|\d+", prefix)) or prefix
    digits = " ".join(number.lstrip("0") or "0")
    return f"{spaced_prefix}, {year}, {digits}"


def _pair(two: str) -> str:
    # A pair starting with 0 is said digit by digit: "01" read as a number would lose its zero.
    return " ".join(two) if two.startswith("0") else two


def spoken_postcode(postcode: str) -> str:
    """A postcode as French people say it, in pairs: 75020 → "75 0 20", 69001 → "69 0 0 1"."""
    if len(postcode) != 5 or not postcode.isdigit():
        return " ".join(postcode)
    return f"{_pair(postcode[:2])} {postcode[2]} {_pair(postcode[3:])}"


def spoken_time(hour: int, minute: int) -> str:
    """French clock time for speech: 8 heures, 13 heures 30, 8 heures 5, 1 heure, minuit."""
    # "05" is read "zéro cinq" and "1 heures" is wrong French: write the time the way it is said.
    clock = {0: "minuit", 1: "1 heure"}.get(hour, f"{hour} heures")
    return clock if minute == 0 else f"{clock} {minute}"


def spoken_when(at_local: datetime, today: date) -> str:
    """When the line reopens, as said to a caller: "aujourd'hui à 14 heures", "lundi premier décembre à 8 heures"."""
    clock = spoken_time(at_local.hour, at_local.minute)
    day = at_local.date()
    if day == today:
        return f"aujourd'hui à {clock}"
    if (day - today).days == 1:
        return f"demain à {clock}"
    # The first of the month is said "premier", not "un".
    day_of_month = "premier" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {day_of_month} {MONTHS[day.month - 1]} à {clock}"


_UNITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
          "treize", "quatorze", "quinze", "seize")  # fmt: skip
_TENS = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}


def _cardinal(n: int) -> str:
    """French words for 0 ≤ n < 1000 (1990 spelling, hyphens throughout)."""
    if n < 17:
        return _UNITS[n]
    if n < 20:
        return f"dix-{_UNITS[n - 10]}"
    if n < 70:
        tens, unit = divmod(n, 10)
        word = _TENS[tens * 10]
        return word if unit == 0 else f"{word}-et-un" if unit == 1 else f"{word}-{_UNITS[unit]}"
    if n < 80:
        return "soixante-et-onze" if n == 71 else f"soixante-{_cardinal(n - 60)}"
    if n < 100:
        return "quatre-vingts" if n == 80 else f"quatre-vingt-{_cardinal(n - 80)}"
    hundreds, rest = divmod(n, 100)
    head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]}-cents" if rest == 0 else f"{_UNITS[hundreds]}-cent"
    return head if rest == 0 else f"{head}-{_cardinal(rest)}"


def spoken_rank(n: int) -> str:
    """A place in the waiting line as a feminine French ordinal ("la deuxième personne"): 1 → première,
    21 → vingt-et-unième; from 1000 on, the digits and "e" (read "millième" and so on)."""
    if n == 1:
        return "première"
    if n < 1 or n >= 1000:
        return f"{n}e"
    word = _cardinal(n)
    if word.endswith("cinq"):
        return word + "uième"
    if word.endswith("neuf"):
        return word[:-1] + "vième"
    if word.endswith(("e", "s")) and not word.endswith("trois"):
        # quatre, onze … seize, trente … soixante drop their e; quatre-vingts and the plural cents their s.
        word = word[:-1]
    return word + "ième"


def spoken_duration(seconds: int) -> str:
    """A wait said to a person: "moins d'une minute", "1 minute", "4 minutes" (rounded up past the first)."""
    if seconds < 60:
        return "moins d'une minute"
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
