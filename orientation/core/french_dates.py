"""French names of the days and months, full and short: one spelling for the line, SMS, console and exports."""

from __future__ import annotations

from datetime import date

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_SHORT = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def short_day(day: date) -> str:
    """A day as an SMS or a table cell writes it: "mar. 1/12"."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day.day}/{day.month}"
