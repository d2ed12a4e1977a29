"""French public holidays ("jours fériés") and the Europe/Paris clock, for opening hours and the rota.

Holidays come from the `holidays` package. Subdivisions accepted by `validate_subdivision`, as of
`holidays` 0.109 (the list is read from the installed version, so a newer one may accept more):

- None: metropolitan France (the 11 national holidays);
- "6AE" (alias "Alsace") and "57" (alias "Moselle"): Alsace-Moselle, which adds Good Friday and
  26 December. "67" (Bas-Rhin) and "68" (Haut-Rhin) are accepted and mapped to "6AE", because
  `holidays` only knows the Collectivité européenne d'Alsace as a whole;
- the overseas codes ("971" Guadeloupe, "972", "973", "974", "976", "BL", "MF", "NC", "PF", "PM", "TF",
  "WF") and their aliases ("GP", "Martinique", "La Réunion"…), which add e.g. the abolition of slavery.

The school zones ("Zone A/B/C") that `holidays` lists as subdivisions are refused: they change school
holidays only, never public ones, so accepting them would only hide a typo.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")

# The departments of the Collectivité européenne d'Alsace, which `holidays` only knows as "6AE".
_ALSACE_DEPARTMENTS = {"67": "6AE", "68": "6AE"}


class PublicHolidays(Protocol):
    """Answers whether a calendar day is a public holiday, and its name."""

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is a public holiday."""
        ...

    def name(self, day: date) -> str | None:
        """The holiday's name (French), or None on an ordinary day."""
        ...


def _supported_subdivisions() -> dict[str, str]:
    """Accepted spellings (upper-cased) mapped to the canonical code `holidays` expects."""
    codes = {code for code in holidays.France.subdivisions if not code.upper().startswith("ZONE")}
    accepted = {code.upper(): code for code in codes}
    for alias, code in holidays.France.subdivisions_aliases.items():
        if code in codes:
            accepted[alias.upper()] = code
    for department, code in _ALSACE_DEPARTMENTS.items():
        if code in codes:
            accepted[department] = code
    return accepted


def validate_subdivision(code: str) -> str:
    """Return the canonical `holidays` subdivision code for `code`, or raise ValueError if unknown."""
    accepted = _supported_subdivisions()
    canonical = accepted.get(code.strip().upper())
    if canonical is None:
        known = ", ".join(sorted({c for c in accepted.values()}))
        raise ValueError(f"unknown French subdivision {code!r} for public holidays (known codes: {known})")
    return canonical


class FrenchPublicHolidays:
    """French public holidays for one subdivision (or metropolitan France), computed once per year."""

    def __init__(self, subdivision: str | None = None) -> None:
        self.subdivision = None if subdivision is None else validate_subdivision(subdivision)
        self._years: dict[int, dict[date, str]] = {}

    def _year(self, year: int) -> dict[date, str]:
        table = self._years.get(year)
        if table is None:
            found = holidays.country_holidays("FR", subdiv=self.subdivision, years=year, language="fr")
            # A plain dict: lookups on it never trigger the package's lazy year expansion.
            table = {day: str(label) for day, label in found.items()}
            # Assigning a complete table is atomic, so concurrent readers see none or all of a year.
            self._years[year] = table
        return table

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is a public holiday in this subdivision."""
        return day in self._year(day.year)

    def name(self, day: date) -> str | None:
        """The French name of the holiday on `day`, or None."""
        return self._year(day.year).get(day)

    def __repr__(self) -> str:
        return f"FrenchPublicHolidays(subdivision={self.subdivision!r})"


class StaticHolidays:
    """A fixed table of holidays, for tests and callers that already know the dates."""

    def __init__(self, days: Mapping[date, str] | None = None) -> None:
        self._days = dict(days or {})

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is in the table."""
        return day in self._days

    def name(self, day: date) -> str | None:
        """The name given to `day` in the table, or None."""
        return self._days.get(day)


@lru_cache(maxsize=128)
def french_public_holidays(subdivision: str | None = None) -> FrenchPublicHolidays:
    """Public holidays of metropolitan France, or of `subdivision` (e.g. "57", "6AE", "974"); one per process."""
    # Shared, so each year's table is computed once per process, not on every call that asks whether a day
    # is a holiday (0.3 ms an inbound call with "PH off" in its hours, and every routing decision).
    return FrenchPublicHolidays(subdivision)
