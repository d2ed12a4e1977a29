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
