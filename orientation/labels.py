"""The French labels of the request's codes (motive, status, outcome): one catalogue for the console and the exports.

The outcome wording is the volunteers' outcome form's (callflows.prompts), capitalised for a table cell or a
spreadsheet column.
"""

from __future__ import annotations

from callflows.prompts import OUTCOME_LABELS

MOTIVES = {
    "medecin_traitant": "Médecin traitant",
    "visite_domicile": "Visite à domicile",
    "soins_non_programmes": "Soins non programmés",
    "orientation": "Autre orientation",
    "unknown": "Sans motif",
}
STATUSES = {
    "received": "Reçue",
    "in_menu": "Au menu",
    "routing": "Recherche d'un bénévole",
    "connected": "Mise en relation",
    "callback_pending": "À rappeler",
    "closed": "Clôturée",
    "abandoned": "Abandonnée",
}
OUTCOMES = {code: text[0].upper() + text[1:] for code, text in OUTCOME_LABELS.items()}
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
