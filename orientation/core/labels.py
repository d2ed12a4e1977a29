"""The French labels of the request's codes (motive, status, outcome, ring result): one catalogue for the line's
prompts, the SMS, the outcome form, the volunteers' calendar, the console and the exports.

A motive has two wordings: a phrase that fits a sentence ("pour une recherche d'un médecin traitant", said by
the line and written in SMS) and a name for a list or a cell ("médecin traitant"). Table cells and spreadsheet
columns show the names and outcome labels capitalised.
"""

from __future__ import annotations

# The motive in a sentence, as the line says it and the SMS and the outcome form write it.
MOTIVE_PHRASES = {
    "medecin_traitant": "recherche d'un médecin traitant",
    "visite_domicile": "visite à domicile",
    "soins_non_programmes": "soins non programmés",
    "orientation": "autre demande d'orientation",
}
# The motive as the request a volunteer is offered ("Ligne d'orientation … : demande de visite à domicile, …").
MOTIVE_REQUESTS = {
    "medecin_traitant": "demande de recherche d'un médecin traitant",
    "visite_domicile": "demande de visite à domicile",
    "soins_non_programmes": "demande de soins non programmés",
    "orientation": "autre demande d'orientation",
}
# The motive as a name in a list (the volunteers' calendar) or, capitalised, in a table cell.
MOTIVE_NAMES = {
    "medecin_traitant": "médecin traitant",
    "visite_domicile": "visite à domicile",
    "soins_non_programmes": "soins non programmés",
    "orientation": "autre demande d'orientation",
}
# The volunteers' outcome form's wording (the line reads it back too).
OUTCOME_LABELS = {
    "matched": "pris en charge",
    "oriented": "orienté ailleurs",
    "no_solution": "sans suite",
    "unreachable": "injoignable",
    "emergency_redirect": "redirigé vers les urgences",
    "out_of_territory": "hors territoire",
    "abandoned": "abandon",
}


def _capitalised(text: str) -> str:
    return text[0].upper() + text[1:]


# Capitalised, for a table cell or a spreadsheet column.
MOTIVES = {code: _capitalised(name) for code, name in MOTIVE_NAMES.items()} | {"unknown": "Sans motif"}
STATUSES = {
    "received": "Reçue",
    "in_menu": "Au menu",
    "routing": "Recherche d'un bénévole",
    "connected": "Mise en relation",
    "callback_pending": "À rappeler",
    "closed": "Clôturée",
    "abandoned": "Abandonnée",
}
OUTCOMES = {code: _capitalised(text) for code, text in OUTCOME_LABELS.items()}
# How one ring of a volunteer (or one call-back offer) ended, in the request's timeline.
ATTEMPT_RESULTS = {
    None: "en cours",
    "accepted": "accepté",
    "declined": "refusé",
    "no_answer": "sans réponse",
    "busy": "occupé",
    "failed": "échec",
    "cancelled": "annulé",
}
# The waiting line (issue 19): how a caller left it, and its figures (stats API field → French label).
WAIT_ENDS = {
    "answered": "Répondu depuis la file",
    "hung_up": "A raccroché en attente",
    "chose_message": "A choisi de laisser un message",
    "wait_limit": "Attente maximale atteinte",
}
WAIT_FIGURES = {
    "waited": "Passés par la file d'attente",
    "answered_from_line": "Répondus depuis la file",
    "median_wait_seconds": "Attente médiane dans la file",
    "p90_wait_seconds": "Attente dans la file, 90e centile",
    "left_hung_up": "Ont raccroché en attente",
    "left_chose_message": "Ont choisi de laisser un message",
    "left_wait_limit": "Attente maximale atteinte",
}
