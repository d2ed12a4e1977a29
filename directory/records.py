"""The values the national-file parsers yield: one directory record, a parse error, a late geolocation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Source = Literal["rpps", "finess"]
Kind = Literal["professional", "structure"]
# A parser's territory filter: keep(postcode, insee_code) is True for a row the import wants.
Keep = Callable[[str | None, str | None], bool]


@dataclass(frozen=True, slots=True)
class DirectoryRecord:
    """One directory entry as read from a national file, normalised and ready to upsert.

    `external_id` is stable across imports of the same source, so the upsert can key on
    (source, external_id): RPPS "<Identification nationale PP>/<structure key>", FINESS the nofinesset.
    """

    source: Source
    external_id: str
    kind: Kind
    name: str
    profession: str | None
    general_practice: bool
    category: str
    category_code: str | None
    category_label: str | None
    address: str | None
    postcode: str | None
    commune: str | None
    insee_code: str | None
    phone: str | None
    email: str | None
    latitude: float | None = None
    longitude: float | None = None
    # A few source fields kept verbatim for the coordinator's "source" panel and for debugging.
    raw_ref: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ParseError:
    """A line the parser could not read: its 1-based line number in the file and why.

    `fatal` marks an error past which the parser stopped (a header it cannot read, broken JSON): the file
    is unusable as a whole, so an import must not conclude that unseen entries are gone.
    """

    line_number: int
    reason: str
    fatal: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class GeoUpdate:
    """Coordinates for a record already yielded earlier in the same stream (FINESS geolocated extract).

    The legacy extract lists all establishments first and their coordinates at the end of the file;
    rather than hold every establishment until then, the parser yields this afterwards.
    """

    external_id: str
    latitude: float
    longitude: float
