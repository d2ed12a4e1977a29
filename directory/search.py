"""Directory search: an in-memory index of one territory's entries, and its ranking (pure).

An entry is found by the words of its name and by the words coordinators use for what it is and where
(`vocabulary.facet_words`): its profession ("médecin", "infirmière", "kiné", "sage-femme"), its category
and FINESS label ("pharmacie", "EHPAD", "centre de santé"), its commune, postcode and arrondissement
("Paris 20"). Words are compared on their folded form (`normalize.fold`: no accents, no case, no
punctuation). Every word of the query must match one of the entry's words, in one of four ways, best
first: exactly (a plural matches its singular: "pharmacies", "sages-femmes"), as the beginning of the
word ("mart" → "martin"), or within one or two typing errors (an insertion, deletion, substitution or
swap of two neighbours; one error from 4 letters, two from 7). Entries are ranked by the sum of their
words' matches, then in alphabetical order.

Filters (profession, general practice, postcode, commune, accepting new patients, category) and the
name's words are held as sets of positions, so a query is a few set operations in C plus a ranking of
the candidates that remain; the vocabulary of name words is searched for typos by rapidfuzz, not the
entries. Positions follow alphabetical order, so "no words, only filters" needs no sort.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from directory.normalize import fold
from directory.vocabulary import facet_words, stem

# Quality of a word match; ties between entries are broken alphabetically.
EXACT = 1.0
PREFIX = 0.8
ONE_TYPO = 0.6
TWO_TYPOS = 0.4

MAX_LIMIT = 200


class IndexedEntry(NamedTuple):
    """What the index needs to know of one directory entry (a tuple: a database row converts for free)."""

    id: int
    search_key: str
    profession: str | None = None
    general_practice: bool = False
    postcode: str | None = None
    commune: str | None = None
    accepting_new_patients: bool | None = None
    category: str = "other"
    gone: bool = False
    category_label: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """A directory search: words of a name and filters, each None when not asked for."""

    text: str = ""
    profession: str | None = None
    general_practice: bool | None = None
    postcode: str | None = None
    commune: str | None = None
    accepting: bool | None = None
    category: str | None = None
    include_gone: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The ids of one page of matching entries, best first, and how many entries match in all."""

    ids: list[int]
    total: int


def allowed_typos(word: str) -> int:
    """Typing errors tolerated in a query word: none up to 3 letters, one up to 6, then two."""
    if len(word) <= 3:
        return 0
    return 1 if len(word) <= 6 else 2


class SearchIndex:
    """The entries of one territory, indexed for `search`; built once, read by many queries."""

    def __init__(self, entries: Iterable[IndexedEntry]) -> None:
        ordered = sorted(entries, key=lambda e: (e.search_key, e.id))
        self.ids: list[int] = [e.id for e in ordered]
        self.size = len(ordered)
        self._all = frozenset(range(self.size))
        postings: dict[str, list[int]] = {}
        communes: dict[str, str] = {}  # a territory has a few dozen communes: fold each once
        self._profession: dict[str, set[int]] = {}
        self._postcode: dict[str, set[int]] = {}
        self._commune: dict[str, set[int]] = {}
        self._category: dict[str, set[int]] = {}
        self._accepting: dict[bool, set[int]] = {True: set(), False: set()}
        self._general_practice: set[int] = set()
        self._gone: set[int] = set()
        for position, entry in enumerate(ordered):
            facets = facet_words(
                entry.profession, entry.general_practice, entry.category, entry.category_label, entry.commune,
                entry.postcode,
            )  # fmt: skip
            for word in set(entry.search_key.split()) | facets:
                postings.setdefault(word, []).append(position)
            if entry.profession:
                self._profession.setdefault(entry.profession, set()).add(position)
            if entry.postcode:
                self._postcode.setdefault(entry.postcode, set()).add(position)
            if entry.commune:
                key = communes.get(entry.commune)
                if key is None:
                    key = communes[entry.commune] = fold(entry.commune)
                self._commune.setdefault(key, set()).add(position)
            self._category.setdefault(entry.category, set()).add(position)
            if entry.accepting_new_patients is not None:
                self._accepting[entry.accepting_new_patients].add(position)
            if entry.general_practice:
                self._general_practice.add(position)
            if entry.gone:
                self._gone.add(position)
        self._postings = postings
        self._vocabulary = sorted(postings)
        # Words by their singular: "medecins" in a query finds "medecin", and "medecin" finds "medecins".
        self._by_stem: dict[str, list[str]] = {}
        for word in self._vocabulary:
            self._by_stem.setdefault(stem(word), []).append(word)
        # Words by length: a word within two errors of the query is at most two letters longer or shorter,
        # so the typo search scans a few lengths, not the whole vocabulary.
        self._by_length: dict[int, list[str]] = {}
        for word in self._vocabulary:
            self._by_length.setdefault(len(word), []).append(word)

    def search(self, query: Query) -> SearchResult:
        """The entries matching every word and filter of the query, best first."""
        limit = max(0, min(query.limit, MAX_LIMIT))
        offset = max(0, query.offset)
        allowed = self._filtered(query)
        words = list(dict.fromkeys(fold(query.text).split()))
        if not words:
            matching = allowed if allowed is not None else self._all - self._gone
            # Positions are in alphabetical order: the first ones are the page.
            first = heapq.nsmallest(offset + limit, matching)[offset:]
            return SearchResult([self.ids[p] for p in first], len(matching))
        tiers = [self._word_tiers(word) for word in words]
        matched = [set().union(*(positions for _, positions in word_tiers)) for word_tiers in tiers]
        # Intersect the smallest sets first: most queries narrow to a handful after one word.
        matched.sort(key=len)
        candidates = matched[0]
        for other in matched[1:]:
            candidates &= other
        if allowed is not None:
            candidates &= allowed
        else:
            candidates -= self._gone
        wanted = offset + limit
        if len(tiers) == 1:
            # One word: its tiers are already the ranking; take each tier's first positions in turn.
            page: list[int] = []
            for _, positions in tiers[0]:
                if len(page) >= wanted:
                    break
                page.extend(heapq.nsmallest(wanted - len(page), positions & candidates))
            return SearchResult([self.ids[p] for p in page[offset:wanted]], len(candidates))
        scores = dict.fromkeys(candidates, 0.0)
        for word_tiers in tiers:
            for quality, positions in word_tiers:
                for position in positions & candidates:
                    scores[position] += quality
        ranked = heapq.nsmallest(wanted, scores, key=lambda p: (-scores[p], p))
        return SearchResult([self.ids[p] for p in ranked[offset:]], len(candidates))

    def _filtered(self, query: Query) -> set[int] | None:
        """Positions allowed by the filters (gone entries out unless asked), None when nothing filters."""
        sets: list[set[int] | frozenset[int]] = []
        empty: set[int] = set()
        if query.profession is not None:
            sets.append(self._profession.get(query.profession, empty))
        if query.postcode is not None:
            sets.append(self._postcode.get(query.postcode.strip(), empty))
        if query.commune is not None:
            sets.append(self._commune.get(fold(query.commune), empty))
        if query.category is not None:
            sets.append(self._category.get(query.category, empty))
        if query.accepting is not None:
            sets.append(self._accepting[query.accepting])
        if query.general_practice is True:
            sets.append(self._general_practice)
        if not sets:
            if query.general_practice is False:
                return set(self._all - self._general_practice - (set() if query.include_gone else self._gone))
            return set(self._all) if query.include_gone else None
        sets.sort(key=len)
        allowed = set(sets[0])
        for other in sets[1:]:
            allowed &= other
        if query.general_practice is False:
            allowed -= self._general_practice
        if not query.include_gone:
            allowed -= self._gone
        return allowed

    def _word_tiers(self, word: str) -> list[tuple[float, set[int]]]:
        """The positions this query word matches, by quality best first, each position in one tier only."""
        exact = ([word] if word in self._postings else []) + self._by_stem.get(stem(word), [])
        words_by_quality: list[tuple[float, list[str]]] = [(EXACT, list(dict.fromkeys(exact)))]
        start = bisect_left(self._vocabulary, word)
        end = bisect_left(self._vocabulary, word + "\U0010ffff", lo=start)
        words_by_quality.append((PREFIX, [w for w in self._vocabulary[start:end] if w != word]))
        # A postcode or an arrondissement one digit off is another place, not a typing error.
        typos = 0 if word.isdigit() else allowed_typos(word)
        if typos:
            found = [
                match
                for length in range(len(word) - typos, len(word) + typos + 1)
                for match in process.extract(
                    word, self._by_length.get(length, ()), scorer=OSA.distance, score_cutoff=typos, limit=None
                )
            ]
            words_by_quality.append((ONE_TYPO, [w for w, d, _ in found if d == 1]))
            words_by_quality.append((TWO_TYPOS, [w for w, d, _ in found if d == 2]))
        tiers: list[tuple[float, set[int]]] = []
        seen: set[int] = set()
        for quality, vocabulary_words in words_by_quality:
            positions = set().union(*(self._postings[w] for w in vocabulary_words)) - seen
            if positions:
                tiers.append((quality, positions))
                seen |= positions
        return tiers
