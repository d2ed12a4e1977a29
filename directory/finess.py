"""Streaming parser of the FINESS establishment files: the legacy CSV extract and the daily JSON flow (pure).

`parse_finess` looks at the first non-blank byte: `{` or `[` is the JSON flow, anything else the legacy
extract.

Legacy extract (etalab cs1100502 / geolocated cs1100507): `;`-separated, no header, doubled quotes; a
`finess;etalab;…` metadata line, `structureet` rows (32 fields), then in the geolocated variant
`geolocalisation;nofinesset;coordxet;coordyet;sourcecoordet;datemaj` rows. Published files have been Latin-1
and UTF-8 over the years: each line is decoded as UTF-8 if it can be, else as Windows-1252 (Latin-1 for the
few bytes Windows-1252 leaves undefined). Because coordinates come after every establishment, the parser
does not hold establishments back: it yields each record as soon as it is read, remembers only the ids it
yielded, and yields a `GeoUpdate` for each of those ids when its coordinates arrive (Lambert-93 and the
overseas UTM systems are converted to WGS84; an unknown system yields nothing). A consumer that upserts can
apply updates as they come; `attach_geolocation` instead folds them into the records, holding the kept
records in memory, which suits a territory-filtered stream.

Daily JSON flow (schema structures v1): one JSON document `{"gcc": [...], "gco": [...], "pmej": [...]}`
where each `pmej` (legal entity) holds its `ege` (establishments, one FINESS number each). It is not line
delimited, so rather than `json.load` on a file of hundreds of megabytes the parser reads the top-level
object incrementally and decodes one array element at a time with `json.JSONDecoder.raw_decode`: memory is
bounded by the largest legal entity, not the file. Coordinates come in WGS84 (`directionLatitude`,
`directionLongitude`). Closed establishments (state other than "A", or a closing date) are skipped unless
`include_closed`; the sample shows the flow carries entities closed decades ago.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache
from typing import IO

from pyproj import Transformer

from directory.categories import category_for_finess, finess_category_label
from directory.finess_fields import FinessItem, address_line, split_acheminement, squash, street_line
from directory.finess_json import parse_json
from directory.normalize import phone_e164
from directory.records import DirectoryRecord, GeoUpdate, Keep, ParseError

_HEAD_SIZE = 64 * 1024

# Legacy `structureet` columns (0-based); the 32nd, numuai, is absent from older extracts.
_NOFINESSET, _NOFINESSEJ, _RS, _RSLONGUE, _COMPLRS, _COMPLDISTRIB = 1, 2, 3, 4, 5, 6
_NUMVOIE, _TYPVOIE, _VOIE, _COMPVOIE, _LIEUDITBP, _COMMUNE, _DEPARTEMENT = 7, 8, 9, 10, 11, 12, 13
_LIGNEACHEMINEMENT, _TELEPHONE, _CATEGETAB, _LIBCATEGETAB, _CATEGAGRETAB, _SIRET = 15, 16, 18, 19, 20, 22
_STRUCTURE_MIN_FIELDS, _STRUCTURE_MAX_FIELDS = 31, 32

# Source coordinate systems named at the end of `sourcecoordet` -> EPSG code.
_PROJECTIONS: dict[str, int] = {
    "LAMBERT_93": 2154,  # mainland France and Corsica, RGF93
    "LAMBERT93": 2154,
    "UTM_N20": 5490,  # Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy, RGAF09
    "UTM_N21": 4467,  # Saint-Pierre-et-Miquelon, RGSPM06
    "UTM_N22": 2972,  # Guyane, RGFG95
    "UTM_S40": 2975,  # La Réunion, RGR92
    "UTM_S38": 4471,  # Mayotte, RGM04
}


def parse_finess(stream: IO[bytes], keep: Keep | None = None, *, include_closed: bool = False) -> Iterator[FinessItem]:
    """Yield records (and GeoUpdates, ParseErrors) from a FINESS legacy extract or daily JSON flow.

    `keep(postcode, insee_code)` filters establishments before a record is built.
    """
    head = stream.read(_HEAD_SIZE)
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"["):
        yield from parse_json(head, stream, keep, include_closed)
    else:
        yield from _parse_legacy(head, stream, keep)


def attach_geolocation(items: Iterable[FinessItem]) -> Iterator[DirectoryRecord | ParseError]:
    """Fold GeoUpdates into their records, yielding the records at the end (territory-filtered streams)."""
    held: dict[str, DirectoryRecord] = {}
    for item in items:
        if isinstance(item, DirectoryRecord):
            held[item.external_id] = item
        elif isinstance(item, GeoUpdate):
            record = held.get(item.external_id)
            if record is not None:
                held[item.external_id] = replace(record, latitude=item.latitude, longitude=item.longitude)
        else:
            yield item
    yield from held.values()


# --- legacy extract ---------------------------------------------------------------------------------------


def _byte_lines(head: bytes, stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's lines, starting with those already read into `head`."""
    if head and not head.endswith(b"\n"):
        head += stream.readline()
    parts = head.split(b"\n")
    for part in parts[:-1]:
        yield part + b"\n"
    if parts[-1]:
        yield parts[-1]
    yield from stream


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    """Decode each line as UTF-8 when it is valid, else as Windows-1252, else Latin-1 (never fails)."""
    for line in lines:
        try:
            yield line.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                yield line.decode("cp1252")
            except UnicodeDecodeError:
                yield line.decode("latin-1")


def _parse_legacy(head: bytes, stream: IO[bytes], keep: Keep | None) -> Iterator[FinessItem]:
    reader = csv.reader(_decoded(_byte_lines(head, stream)), delimiter=";", quotechar='"')
    emitted: set[str] = set()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseError(reader.line_num, f"unreadable CSV: {exc}")
            continue
        line_number = reader.line_num
        if not row or not any(row):
            continue
        section = row[0].strip().lower()
        if section == "structureet":
            item = _legacy_structure(row, line_number, keep)
            if isinstance(item, DirectoryRecord):
                emitted.add(item.external_id)
            if item is not None:
                yield item
        elif section == "geolocalisation":
            geo = _legacy_geolocation(row, line_number, emitted)
            if geo is not None:
                yield geo
        elif section == "finess" and line_number == 1:
            continue  # metadata line: "finess;etalab;<version>;<date>"
        else:
            yield ParseError(line_number, f"unknown row type {row[0][:30]!r}")


def _legacy_structure(row: list[str], line_number: int, keep: Keep | None) -> FinessItem | None:
    if not _STRUCTURE_MIN_FIELDS <= len(row) <= _STRUCTURE_MAX_FIELDS:
        return ParseError(line_number, f"structureet row has {len(row)} fields, expected 32")
    nofinesset = row[_NOFINESSET].strip()
    if not nofinesset:
        return ParseError(line_number, "missing nofinesset")
    postcode, commune = split_acheminement(row[_LIGNEACHEMINEMENT])
    insee = _legacy_insee(row[_DEPARTEMENT], row[_COMMUNE])
    if keep is not None and not keep(postcode, insee):
        return None
    code = row[_CATEGETAB].strip()
    number = row[_NUMVOIE].strip()
    index = row[_COMPVOIE].strip()
    # A one-letter "complément de voie" is a repetition index (B for bis…); longer text follows the street.
    if len(index) == 1:
        number, index = number + index, ""
    street = street_line(number, row[_TYPVOIE], row[_VOIE] + (" " + index if index else ""))
    raw_ref = {
        "nofinessej": row[_NOFINESSEJ].strip(),
        "siret": row[_SIRET].strip(),
        "rs": squash(row[_RS]),
        "categagretab": row[_CATEGAGRETAB].strip(),
        "line": str(line_number),
    }
    return DirectoryRecord(
        source="finess",
        external_id=nofinesset,
        kind="structure",
        name=squash(row[_RSLONGUE]) or squash(row[_RS]) or nofinesset,
        profession=None,
        general_practice=False,
        category=category_for_finess(code),
        category_code=code or None,
        category_label=row[_LIBCATEGETAB].strip() or finess_category_label(code),
        address=address_line(street, row[_LIEUDITBP], row[_COMPLDISTRIB]),
        postcode=postcode,
        commune=commune,
        insee_code=insee,
        phone=phone_e164(row[_TELEPHONE].strip()),
        email=None,
        raw_ref={k: v for k, v in raw_ref.items() if v},
    )


def _legacy_geolocation(row: list[str], line_number: int, emitted: set[str]) -> FinessItem | None:
    if len(row) < 5:
        return ParseError(line_number, f"geolocalisation row has {len(row)} fields, expected 6")
    nofinesset = row[1].strip()
    if nofinesset not in emitted:
        return None  # filtered out, or never read: nothing to update
    try:
        x, y = float(row[2].replace(",", ".")), float(row[3].replace(",", "."))
    except ValueError:
        return ParseError(line_number, "coordinates are not numbers")
    position = to_wgs84(x, y, row[4])
    if position is None:
        return None
    return GeoUpdate(nofinesset, position[0], position[1])


def to_wgs84(x: float, y: float, source_system: str) -> tuple[float, float] | None:
    """Convert projected FINESS coordinates to (latitude, longitude), None when the system is unknown."""
    upper = source_system.upper()
    epsg = next((code for name, code in _PROJECTIONS.items() if name in upper), None)
    if epsg is None:
        return None
    longitude, latitude = _transformer(epsg).transform(x, y)
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


@cache
def _transformer(epsg: int) -> Transformer:
    # always_xy: inputs are (easting, northing) and outputs (longitude, latitude) whatever the axis order.
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def _legacy_insee(departement: str, commune: str) -> str | None:
    """INSEE code from the legacy department and 3-digit commune codes; overseas departments are 9A…9J."""
    departement, commune = departement.strip().upper(), commune.strip()
    if not departement or not commune.isdigit() or len(commune) > 3:
        return None
    commune = commune.zfill(3)
    if len(departement) == 2 and departement[0] == "9" and departement[1].isalpha():
        # 9A Guadeloupe … 9F Mayotte are 97xxx; 9G onwards (Wallis, Polynesia, New Caledonia) 98xxx.
        return ("97" if departement[1] <= "F" else "98") + commune
    if len(departement) != 2:
        return None
    return departement + commune
