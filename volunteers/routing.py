"""In what order to ring the volunteers on duty, and how the load spreads among them. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

ATTEMPT_RESULTS: frozenset[str] = frozenset({"accepted", "declined", "no_answer", "busy", "failed", "cancelled"})

# Results where the volunteer's phone rang with the request: the call was put to them. A busy line or a
# carrier failure never reached them, so it does not count against them in fairness.
OFFERED_RESULTS: frozenset[str] = frozenset({"accepted", "declined", "no_answer", "cancelled"})

# Never offered sorts before any real instant.
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A volunteer on duty now, as routing sees them."""

    volunteer_id: int
    motives: frozenset[str]
    languages: frozenset[str]
    paused: bool
    on_call: bool
    last_offered_at: datetime | None


def ring_order(
    candidates: Iterable[Candidate],
    motive: str,
    language: str = "fr",
    exclude: Collection[int] = (),
) -> list[int]:
    """Return the volunteer ids to ring in turn: language match first, then least recently offered."""
    eligible = [
        c
        for c in candidates
        if motive in c.motives and not c.paused and not c.on_call and c.volunteer_id not in exclude
    ]
    eligible.sort(
        key=lambda c: (
            language not in c.languages,
            c.last_offered_at if c.last_offered_at is not None else _NEVER,
            c.volunteer_id,
        )
    )
    # A volunteer listed twice (two overlapping shifts) is rung once.
    return list(dict.fromkeys(c.volunteer_id for c in eligible))


def language_first(ordered: Iterable[int], languages: Mapping[int, frozenset[str]], language: str) -> list[int]:
    """Volunteer ids already in fairness order, those who speak `language` first: ring_order's first key."""
    ids = list(ordered)
    return speakers_first(ids, {i for i in ids if language in languages[i]})


def speakers_first(ordered: list[int], speakers: Collection[int]) -> list[int]:
    """language_first with the speakers of the language given as a set of ids (a routing decision's form)."""
    if isinstance(speakers, frozenset | set) and speakers.issuperset(ordered):
        # Everyone speaks it (French, nearly always): the order as it is, checked in one C loop, not two in Python.
        return list(ordered)
    return [i for i in ordered if i in speakers] + [i for i in ordered if i not in speakers]


@dataclass(frozen=True, slots=True)
class Load:
    """How many requests were put to a volunteer and how many they took."""

    volunteer_id: int
    offered: int
    accepted: int

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted ÷ offered, or None when nothing was offered."""
        return self.accepted / self.offered if self.offered else None


def load_per_volunteer(attempts: Iterable[tuple[int, str]]) -> list[Load]:
    """Return each volunteer's offered and accepted counts from (volunteer_id, result) attempts."""
    offered: Counter[int] = Counter()
    accepted: Counter[int] = Counter()
    seen: set[int] = set()
    for volunteer_id, result in attempts:
        if result not in ATTEMPT_RESULTS:
            raise ValueError(f"unknown attempt result {result!r}")
        seen.add(volunteer_id)
        if result in OFFERED_RESULTS:
            offered[volunteer_id] += 1
        if result == "accepted":
            accepted[volunteer_id] += 1
    return [Load(v, offered[v], accepted[v]) for v in sorted(seen)]
