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

import codecs
import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import cache
from typing import IO, Any

from pyproj import Transformer

from directory.categories import category_for_finess, finess_category_label
from directory.normalize import fold, phone_e164, place_case
from directory.records import DirectoryRecord, GeoUpdate, ParseError

Keep = Callable[[str | None, str | None], bool]
FinessItem = DirectoryRecord | ParseError | GeoUpdate

_HEAD_SIZE = 64 * 1024
_CHUNK_SIZE = 1024 * 1024

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

# FINESS street type codes -> words, for a readable address line.
_STREET_TYPES: dict[str, str] = {
    "R": "Rue",
    "AV": "Avenue",
    "BD": "Boulevard",
    "RTE": "Route",
    "CHE": "Chemin",
    "PL": "Place",
    "ALL": "Allée",
    "IMP": "Impasse",
    "QU": "Quai",
    "QUAI": "Quai",
    "CRS": "Cours",
    "SQ": "Square",
    "HAM": "Hameau",
    "RES": "Résidence",
    "PASS": "Passage",
    "FG": "Faubourg",
    "MTE": "Montée",
    "SEN": "Sentier",
    "PRO": "Promenade",
    "ESP": "Esplanade",
    "CHS": "Chaussée",
    "TRA": "Traverse",
    "RPT": "Rond-point",
    "PARV": "Parvis",
    "LOT": "Lotissement",
    "QUA": "Quartier",
    "DOM": "Domaine",
    "VLA": "Villa",
    "CITE": "Cité",
    "CTRE": "Centre",
    "LD": "Lieu-dit",
    "VOIE": "Voie",
    "CAR": "Carrefour",
}
_POSTAL_BOXES = ("bp", "cs", "tsa")
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_JSON = json.JSONDecoder()


def parse_finess(stream: IO[bytes], keep: Keep | None = None, *, include_closed: bool = False) -> Iterator[FinessItem]:
    """Yield records (and GeoUpdates, ParseErrors) from a FINESS legacy extract or daily JSON flow.

    `keep(postcode, insee_code)` filters establishments before a record is built.
    """
    head = stream.read(_HEAD_SIZE)
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"["):
        yield from _parse_json(head, stream, keep, include_closed)
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
    postcode, commune = _split_acheminement(row[_LIGNEACHEMINEMENT])
    insee = _legacy_insee(row[_DEPARTEMENT], row[_COMMUNE])
    if keep is not None and not keep(postcode, insee):
        return None
    code = row[_CATEGETAB].strip()
    number = row[_NUMVOIE].strip()
    index = row[_COMPVOIE].strip()
    # A one-letter "complément de voie" is a repetition index (B for bis…); longer text follows the street.
    if len(index) == 1:
        number, index = number + index, ""
    street = _street(number, row[_TYPVOIE], row[_VOIE] + (" " + index if index else ""))
    raw_ref = {
        "nofinessej": row[_NOFINESSEJ].strip(),
        "siret": row[_SIRET].strip(),
        "rs": _squash(row[_RS]),
        "categagretab": row[_CATEGAGRETAB].strip(),
        "line": str(line_number),
    }
    return DirectoryRecord(
        source="finess",
        external_id=nofinesset,
        kind="structure",
        name=_squash(row[_RSLONGUE]) or _squash(row[_RS]) or nofinesset,
        profession=None,
        general_practice=False,
        category=category_for_finess(code),
        category_code=code or None,
        category_label=row[_LIBCATEGETAB].strip() or finess_category_label(code),
        address=_address(street, row[_LIEUDITBP], row[_COMPLDISTRIB]),
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


# --- daily JSON flow --------------------------------------------------------------------------------------


class _JsonStream:
    """An incremental reader over a JSON text: decodes one value at a time from a sliding buffer."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        # Decoded on the first fill, so that invalid UTF-8 surfaces where errors are handled.
        self._head: bytes | None = head
        self.buffer = ""
        self.pos = 0
        self.eof = False
        # Newlines are counted once each: up to `_counted_to` in the buffer, the line there is `_counted_line`.
        # (Counting from the buffer's start for every value made a 170 MB file cost 9 of its 11 seconds.)
        self._counted_to = 0
        self._counted_line = 1
        self.value_line = 1  # line where the last decoded value started

    @property
    def line(self) -> int:
        """1-based line number of the current position."""
        self._count_newlines()
        return self._counted_line

    def _count_newlines(self) -> None:
        """Bring the line count up to the current position, counting only what was not counted yet."""
        if self.pos > self._counted_to:
            self._counted_line += self.buffer.count("\n", self._counted_to, self.pos)
            self._counted_to = self.pos

    def _fill(self) -> bool:
        if self.eof:
            return False
        if self._head is not None:
            data, self._head = self._head or self._stream.read(_CHUNK_SIZE), None
        else:
            data = self._stream.read(_CHUNK_SIZE)
        self._count_newlines()  # the part about to be dropped is counted first
        self.buffer = self.buffer[self.pos :] + self._decoder.decode(data, final=not data)
        self.pos = self._counted_to = 0
        self.eof = not data
        return True

    def peek(self) -> str:
        """Skip whitespace and return the next character, "" at the end of the text."""
        while True:
            match = _WHITESPACE.match(self.buffer, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        """Consume one structural character or fail."""
        found = self.peek()
        if found != expected:
            raise ValueError(f"expected {expected!r}, found {found[:1]!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value, reading more of the stream until it is complete."""
        self.peek()
        self.value_line = self.line
        while True:
            try:
                obj, end = _JSON.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError:
                if not self._fill():
                    raise
                continue
            # A number at the very end of the buffer may continue in the next chunk.
            if end < len(self.buffer) or not self._fill():
                self.pos = end
                return obj

    def array(self) -> Iterator[Any]:
        """Yield the elements of the array starting here, one at a time."""
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.take("]")
            return


def _parse_json(head: bytes, stream: IO[bytes], keep: Keep | None, include_closed: bool) -> Iterator[FinessItem]:
    reader = _JsonStream(head, stream)
    try:
        if reader.peek() == "[":
            # A bare array of legal entities.
            for pmej in reader.array():
                yield from _pmej_records(pmej, reader.value_line, keep, include_closed)
            return
        reader.take("{")
        if reader.peek() == "}":
            return
        while True:
            key = reader.value()
            reader.take(":")
            if isinstance(key, str) and key.lower() == "pmej" and reader.peek() == "[":
                for pmej in reader.array():
                    yield from _pmej_records(pmej, reader.value_line, keep, include_closed)
            elif reader.peek() == "[":
                for _ in reader.array():  # gcc, gco: groupings the directory does not use
                    pass
            else:
                reader.value()
            if reader.peek() == ",":
                reader.pos += 1
                continue
            reader.take("}")
            return
    except (ValueError, UnicodeDecodeError) as exc:
        # JSONDecodeError is a ValueError; past a syntax error nothing can be resynchronised.
        yield ParseError(reader.line, f"invalid JSON: {exc}", fatal=True)


def _pmej_records(pmej: Any, line: int, keep: Keep | None, include_closed: bool) -> Iterator[FinessItem]:
    """Records for the establishments (EGE) of one legal entity (PMEJ) of the JSON flow."""
    pm = _lower_keys(pmej)
    if pm is None:
        yield ParseError(line, "pmej item is not an object")
        return
    pm_info = _lower_keys(pm.get("informationsgeneralespmej")) or {}
    eges = pm.get("ege") or []
    if not isinstance(eges, list):
        yield ParseError(line, "ege is not a list")
        return
    for ege in eges:
        try:
            item = _ege_record(ege, pm_info, line, keep, include_closed)
        except (TypeError, AttributeError, ValueError) as exc:
            item = ParseError(line, f"unexpected establishment shape: {exc}")
        if item is not None:
            yield item


def _ege_record(
    ege: Any, pm_info: dict[str, Any], line: int, keep: Keep | None, include_closed: bool
) -> FinessItem | None:
    e = _lower_keys(ege)
    if e is None:
        return ParseError(line, "ege item is not an object")
    info = _lower_keys(e.get("informationsgeneralesege")) or {}
    nofinesset = _text(info.get("numfinessege"))
    if not nofinesset:
        return ParseError(line, "establishment without numFinessEge")
    state = _code(e.get("etatobjet"))
    if not include_closed and (state not in ("", "A") or _text(info.get("datefermeture"))):
        return None
    address = _pick_address(e.get("adresse"))
    postcode = _text(address.get("codepostal")) or None
    insee = _text(address.get("cogcommune")) or None
    acheminement_postcode, commune = _split_acheminement(_text(address.get("ligneacheminement")))
    postcode = postcode or acheminement_postcode
    if keep is not None and not keep(postcode, insee):
        return None
    code = _code(e.get("categorieentitegeographiqueexercice"))
    street = place_case(_squash(_text(address.get("lignequatre")))) or _street(
        _text(address.get("numerovoie")), _text(address.get("typevoie")), _text(address.get("libellevoie"))
    )
    place = _lower_keys(address.get("coordonneesgeographique")) or {}
    phone, email = _contact(e.get("contact"))
    raw_ref = {
        "nofinessej": _text(pm_info.get("numfinesspm")),
        "siret": _text(info.get("siret")) or _text(e.get("siret")),
        "rs": _squash(_text(info.get("nomegecourt"))),
        "etat": state,
        "ege_id": _text(info.get("egeid")),
        "line": str(line),
    }
    return DirectoryRecord(
        source="finess",
        external_id=nofinesset,
        kind="structure",
        name=_squash(_text(info.get("nomegelong"))) or _squash(_text(info.get("nomegecourt"))) or nofinesset,
        profession=None,
        general_practice=False,
        category=category_for_finess(code),
        category_code=code or None,
        category_label=finess_category_label(code),
        address=_address(street, _text(address.get("complementpointgeographique")), _text(address.get("lieudit"))),
        postcode=postcode,
        commune=commune,
        insee_code=insee,
        phone=phone,
        email=email,
        latitude=_coordinate(place.get("directionlatitude"), 90),
        longitude=_coordinate(place.get("directionlongitude"), 180),
        raw_ref={k: v for k, v in raw_ref.items() if v},
    )


def _lower_keys(value: Any) -> dict[str, Any] | None:
    # The published sample and the schema disagree on case ("informationsGeneralesPMEJ" vs "…Pmej",
    # "categorieentiteGeographiqueExercice"): compare keys case-insensitively.
    if not isinstance(value, dict):
        return None
    return {str(k).lower(): v for k, v in value.items()}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _code(value: Any) -> str:
    """A coded value, given either as a bare string (sample) or as {"code", "system"} (schema)."""
    if isinstance(value, dict):
        return _text(value.get("code"))
    return _text(value)


def _pick_address(addresses: Any) -> dict[str, Any]:
    """The establishment's geographic address ("03"), else its first address."""
    candidates = [a for a in (_lower_keys(x) for x in addresses or []) if a is not None]
    for address in candidates:
        if _text(address.get("usageadresse")) == "03":
            return address
    return candidates[0] if candidates else {}


def _contact(contacts: Any) -> tuple[str | None, str | None]:
    phone: str | None = None
    email: str | None = None
    for contact in contacts or []:
        telecom = _lower_keys((_lower_keys(contact) or {}).get("telecom")) or {}
        phone = phone or phone_e164(_text(telecom.get("telephone")))
        email = email or (_text(telecom.get("courriel")).lower() or None)
    return phone, email


def _coordinate(value: Any, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


# --- shared helpers ---------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(text.split())


def _street(number: str, street_type: str, street: str) -> str:
    street_type = street_type.strip()
    type_word = _STREET_TYPES.get(street_type.upper(), street_type)
    if type_word and fold(street).startswith(fold(type_word) + " "):
        type_word = ""  # "CHE" + "CHEMIN SAFER MORANGE" would read "Chemin Chemin Safer Morange"
    words = [number.strip(), type_word, street.strip()]
    return place_case(" ".join(w for w in words if w))


def _address(street: str, *complements: str) -> str | None:
    """Street then complements, leaving out a bare postal box ("BP 381") that locates nothing."""
    parts = [street] if street else []
    for complement in complements:
        folded = fold(complement).split()
        if not folded or (folded[0] in _POSTAL_BOXES and len(folded) <= 2):
            continue
        parts.append(place_case(_squash(complement)))
    return ", ".join(parts) or None


def _split_acheminement(line: str) -> tuple[str | None, str | None]:
    """("01440", "Viriat") from "01440 VIRIAT"; a CEDEX suffix is dropped from the commune name."""
    words = line.split()
    postcode = None
    if words and len(words[0]) == 5 and words[0].isdigit():
        postcode = words.pop(0)
    while words and (words[-1].upper() == "CEDEX" or words[-1].isdigit()):
        words.pop()
    return postcode, place_case(" ".join(words)) or None
