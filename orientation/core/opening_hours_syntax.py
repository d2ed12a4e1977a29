"""The syntax of opening hours: one `;`-separated rule parsed into days and time spans.

The accepted subset is described in `orientation.core.opening_hours`, which splits a value into rules, parses
each here with `parse_rule`, and evaluates the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MINUTES_PER_DAY = 24 * 60
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ALL_DAYS = frozenset(range(7))
_STATES = {"OFF": False, "CLOSED": False, "OPEN": True}

_TOKEN = re.compile(
    r"\s*(?:(?P<always>24/7)|(?P<time>\d+:\d+)|(?P<word>[A-Za-z]+)|(?P<dash>-)|(?P<comma>,)"
    r"|(?P<other>[^\s,;-]+|\S))"
)


class OpeningHoursError(ValueError):
    """An opening-hours value outside the supported subset; the message names the offending part.

    `str()` is the English message (API, logs); `french` says the same to a coordinator in the console.
    """

    def __init__(self, message: str, french: str) -> None:
        super().__init__(message)
        self.french = french


@dataclass(frozen=True)
class TimeSpan:
    """An open range in minutes from the start of the day it belongs to; `end` may pass 1440."""

    start: int
    end: int


@dataclass(frozen=True)
class Rule:
    """One `;`-separated rule: the days it selects and their open ranges (empty when closed)."""

    weekdays: frozenset[int]
    public_holidays: bool
    spans: tuple[TimeSpan, ...]

    def selects(self, weekday: int, holiday: bool) -> bool:
        """Whether this rule applies to a day with this weekday (0 = Monday) and holiday status."""
        return weekday in self.weekdays or (holiday and self.public_holidays)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokenize(rule: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(rule):
        kind = match.lastgroup
        if kind is None:  # trailing whitespace only
            continue
        tokens.append(_Token(kind, match.group(kind)))
    return tokens


def _parse_time(text: str, rule: str, *, is_end: bool) -> int:
    hours, minutes = text.split(":")
    limit = 48 if is_end else 23
    if len(hours) != 2 or len(minutes) != 2 or int(minutes) > 59 or int(hours) > limit:
        bound = "00:00 to 48:00" if is_end else "00:00 to 23:59"
        borne = "de 00:00 à 48:00" if is_end else "de 00:00 à 23:59"
        raise OpeningHoursError(
            f"invalid time {text!r} in rule {rule!r}: write HH:MM with two-digit hours ({bound})",
            f"heure « {text} » invalide dans « {rule} » : écrivez HH:MM avec deux chiffres pour l'heure ({borne})",
        )
    value = int(hours) * 60 + int(minutes)
    if is_end and value > 2 * MINUTES_PER_DAY:
        raise OpeningHoursError(
            f"invalid time {text!r} in rule {rule!r}: an end time is 48:00 at most",
            f"heure « {text} » invalide dans « {rule} » : une fin est au plus 48:00",
        )
    return value


def _weekday(token: _Token, rule: str) -> int:
    name = token.text.upper()
    if token.kind != "word" or name not in _WEEKDAYS:
        raise OpeningHoursError(
            f"expected a weekday (Mo, Tu, We, Th, Fr, Sa, Su) but found {token.text!r} in rule {rule!r}",
            f"jour attendu (Mo, Tu, We, Th, Fr, Sa, Su : lundi à dimanche) au lieu de « {token.text} » dans « {rule} »",
        )
    return _WEEKDAYS.index(name)


def _unexpected(token: _Token, rule: str) -> OpeningHoursError:
    if token.kind == "word":
        return OpeningHoursError(
            f"unsupported {token.text!r} in rule {rule!r}: expected days (Mo-Su, PH), "
            "times like 08:00-12:00, or off/closed/open",
            f"« {token.text} » n'est pas compris dans « {rule} » : écrivez des jours (Mo-Su, PH pour les jours "
            "fériés), des plages comme 08:00-12:00, ou off (fermé) / open (ouvert)",
        )
    if token.kind == "time":
        return OpeningHoursError(
            f"unexpected {token.text!r} in rule {rule!r}: separate time ranges with ',', e.g. 08:00-12:00,14:00-18:00",
            f"« {token.text} » inattendu dans « {rule} » : séparez les plages par une virgule, "
            "par exemple 08:00-12:00,14:00-18:00",
        )
    if token.text[:1].isdigit():
        return OpeningHoursError(
            f"unexpected {token.text!r} in rule {rule!r}: write times as HH:MM-HH:MM, e.g. 08:00-12:00",
            f"« {token.text} » inattendu dans « {rule} » : écrivez les plages HH:MM-HH:MM, par exemple 08:00-12:00",
        )
    return OpeningHoursError(
        f"unexpected {token.text!r} in rule {rule!r}", f"« {token.text} » inattendu dans « {rule} »"
    )


class _RuleParser:
    """Recursive-descent parser over the tokens of one rule."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.tokens = _tokenize(rule)
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise OpeningHoursError(f"rule {self.rule!r} ends too early", f"la règle « {self.rule} » s'arrête trop tôt")
        self.pos += 1
        return token

    def parse(self) -> Rule:
        first = self.peek()
        if first is not None and first.kind == "always":
            self.take()
            self.expect_end()
            return Rule(_ALL_DAYS, True, (TimeSpan(0, MINUTES_PER_DAY),))
        weekdays, public_holidays, has_days = self.days()
        spans = self.body(has_days)
        self.expect_end()
        if not has_days:
            return Rule(_ALL_DAYS, True, spans)
        return Rule(frozenset(weekdays), public_holidays, spans)

    def days(self) -> tuple[set[int], bool, bool]:
        weekdays: set[int] = set()
        public_holidays = False
        token = self.peek()
        if not self.starts_day(token):
            return weekdays, public_holidays, False
        while True:
            token = self.take()
            if token.text.upper() == "PH":
                public_holidays = True
            else:
                first = _weekday(token, self.rule)
                last = first
                following = self.peek()
                if following is not None and following.kind == "dash":
                    self.take()
                    last = _weekday(self.take(), self.rule)
                # Ranges wrap around the week: Sa-Mo is Saturday, Sunday, Monday.
                for offset in range((last - first) % 7 + 1):
                    weekdays.add((first + offset) % 7)
            following = self.peek()
            if following is None or following.kind != "comma":
                return weekdays, public_holidays, True
            self.take()
            if not self.starts_day(self.peek()):
                after = self.peek()
                found = "nothing" if after is None else repr(after.text)
                trouve = "rien" if after is None else f"« {after.text} »"
                raise OpeningHoursError(
                    f"expected a day after ',' but found {found} in rule {self.rule!r}",
                    f"jour attendu après la virgule au lieu de {trouve} dans « {self.rule} »",
                )

    @staticmethod
    def starts_day(token: _Token | None) -> bool:
        return token is not None and token.kind == "word" and token.text.upper() in (*_WEEKDAYS, "PH")

    def body(self, has_days: bool) -> tuple[TimeSpan, ...]:
        token = self.peek()
        if token is None:
            if not has_days:
                raise OpeningHoursError(
                    "empty rule: write days and times, e.g. 'Mo-Fr 08:00-20:00'",
                    "règle vide : écrivez des jours et des heures, par exemple « Mo-Fr 08:00-20:00 »",
                )
            return (TimeSpan(0, MINUTES_PER_DAY),)
        if token.kind == "word" and token.text.upper() in _STATES:
            self.take()
            return (TimeSpan(0, MINUTES_PER_DAY),) if _STATES[token.text.upper()] else ()
        if token.kind != "time":
            raise _unexpected(token, self.rule)
        spans = [self.span()]
        while (token := self.peek()) is not None and token.kind == "comma":
            self.take()
            after = self.peek()
            if after is None or after.kind != "time":
                found = "nothing" if after is None else repr(after.text)
                trouve = "rien" if after is None else f"« {after.text} »"
                raise OpeningHoursError(
                    f"expected a time range like 14:00-18:00 after ',' but found {found} in rule "
                    f"{self.rule!r} (several rules are separated by ';')",
                    f"plage horaire attendue après la virgule (comme 14:00-18:00) au lieu de {trouve} dans "
                    f"« {self.rule} » (les règles se séparent par « ; »)",
                )
            spans.append(self.span())
        return tuple(sorted(set(spans), key=lambda span: (span.start, span.end)))

    def span(self) -> TimeSpan:
        start_token = self.take()
        start = _parse_time(start_token.text, self.rule, is_end=False)
        dash = self.peek()
        if dash is None or dash.kind != "dash":
            raise OpeningHoursError(
                f"time {start_token.text!r} in rule {self.rule!r} needs an end, e.g. {start_token.text}-18:00",
                f"la plage « {start_token.text} » dans « {self.rule} » n'a pas de fin : écrivez par exemple "
                f"{start_token.text}-18:00",
            )
        self.take()
        end_token = self.take()
        if end_token.kind != "time":
            raise OpeningHoursError(
                f"expected an end time after {start_token.text}- but found {end_token.text!r} in rule {self.rule!r}",
                f"heure de fin attendue après {start_token.text}- au lieu de « {end_token.text} » dans « {self.rule} »",
            )
        end = _parse_time(end_token.text, self.rule, is_end=True)
        if end == start:
            raise OpeningHoursError(
                f"empty time range {start_token.text}-{end_token.text} in rule {self.rule!r} "
                "(for a whole day write 00:00-24:00)",
                f"plage vide {start_token.text}-{end_token.text} dans « {self.rule} » "
                "(pour toute la journée, écrivez 00:00-24:00)",
            )
        if end < start:
            end += MINUTES_PER_DAY  # closes on the next day
        if end - start > MINUTES_PER_DAY:
            raise OpeningHoursError(
                f"time range {start_token.text}-{end_token.text} in rule {self.rule!r} is longer than 24 hours",
                f"la plage {start_token.text}-{end_token.text} dans « {self.rule} » dure plus de 24 heures",
            )
        return TimeSpan(start, end)

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise _unexpected(token, self.rule)


def parse_rule(rule: str) -> Rule:
    """Parse one non-empty rule (no `;`) or raise OpeningHoursError."""
    return _RuleParser(rule).parse()
