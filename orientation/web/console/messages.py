"""The console's French wording about accounts: login, lockout, sessions and passwords (one place to reword)."""

from __future__ import annotations

LOGIN_FAILED = "Adresse e-mail ou mot de passe incorrect."
ACCOUNT_LOCKED = (
    "Trop d'essais infructueux : ce compte est bloqué jusqu'à {until}, quelle que soit l'adresse de connexion. "
    "Réessayez plus tard ou demandez à un administrateur de réinitialiser le mot de passe."
)
ADDRESS_LOCKED = "Trop d'essais infructueux depuis cette adresse : réessayez après {until}."
LOGGED_OUT = "Vous êtes déconnecté."
# The console's change-password page.
PASSWORD_CHANGE = {
    "done": "Mot de passe changé. Vos autres sessions sont fermées.",
    "current_wrong": "Mot de passe actuel incorrect.",
    "differ": "Les deux saisies du nouveau mot de passe ne sont pas identiques.",
    "refused": "Nouveau mot de passe refusé : {reason}",
}
SESSION_ENDED = "Votre session a pris fin (inactivité, déconnexion ou mot de passe changé) : reconnectez-vous."

# Why a new password is refused (CLI and console; shown as is).
PASSWORD_ERRORS = {
    "too_short": "mot de passe trop court (au moins {minimum} caractères)",
    "too_long": "mot de passe trop long (au plus {maximum} caractères)",
    "weak": (
        "mot de passe trop facile à deviner : {reason}. Choisissez par exemple quatre ou cinq mots sans rapport "
        "entre eux."
    ),
}
PASSWORD_REASONS = {
    "personal": "il reprend votre adresse e-mail ou votre nom",
    "french_word": "il repose sur des mots courants",
    "guessable": "il serait trouvé en peu d'essais",
}
# zxcvbn's warnings (its English text, as returned) in French.
ZXCVBN_WARNINGS = {
    "Straight rows of keys are easy to guess.": "c'est une rangée de touches du clavier",
    "Short keyboard patterns are easy to guess.": "c'est un motif de clavier court",
    'Repeats like "aaa" are easy to guess.': "il répète un même caractère",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "il répète une même suite",
    'Sequences like "abc" or "6543" are easy to guess.': "c'est une suite comme « abc » ou « 6543 »",
    "Recent years are easy to guess.": "il repose sur une année récente",
    "Dates are often easy to guess.": "il repose sur une date",
    "This is a top-10 common password.": "c'est l'un des dix mots de passe les plus courants",
    "This is a top-100 common password.": "c'est l'un des cent mots de passe les plus courants",
    "This is a very common password.": "c'est un mot de passe très courant",
    "This is similar to a commonly used password.": "il ressemble à un mot de passe très courant",
    "A word by itself is easy to guess.": "un mot seul se devine facilement",
    "Names and surnames by themselves are easy to guess.": "un prénom ou un nom seul se devine facilement",
    "Common names and surnames are easy to guess.": "il repose sur des prénoms ou des noms courants",
}

# The pages opened by a signed link from an SMS (the volunteer's page, the outcome form): a refused link's title
# and what to do.
LINK_UNKNOWN = ("Lien inconnu", "Vérifiez que le lien du SMS est complet.")
LINK_INACTIVE = ("Ce lien n'est plus actif", "Contactez la coordination de la CPTS.")
LINK_EXPIRED = "Ce lien a expiré"
FORM_STALE = "Formulaire périmé"
# The volunteer's private page (/benevole).
VOLUNTEER_PAGE = {
    "expired": "Le prochain SMS de rappel vous en apportera un nouveau.",
    "stale": "Rouvrez le lien du SMS et recommencez.",
    "nothing_to_pause": "Aucune permanence en cours ni à venir à votre nom : il n'y a rien à suspendre.",
    "paused": "Vos appels sont suspendus jusqu'à {until}.",
    "next_paused": "Votre prochaine permanence est suspendue jusqu'à {until}.",
    "available": "Vous recevez à nouveau les appels pendant vos permanences.",
    "choose": "Choisissez « Suspendre » ou « Disponible ».",
}
