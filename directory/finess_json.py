"""The FINESS daily JSON flow (schema structures v1), read incrementally (pure).

One JSON document `{"gcc": [...], "gco": [...], "pmej": [...]}` where each `pmej` (legal entity) holds its
`ege` (establishments, one FINESS number each). See `directory.finess` for why it is read one array element
at a time.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator
from typing import IO, Any

from directory.categories import category_for_finess, finess_category_label
from directory.finess_fields import FinessItem, address_line, split_acheminement, squash, street_line
from directory.normalize import phone_e164, place_case
from directory.records import DirectoryRecord, Keep, ParseError

_CHUNK_SIZE = 1024 * 1024
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_JSON = json.JSONDecoder()


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


def parse_json(head: bytes, stream: IO[bytes], keep: Keep | None, include_closed: bool) -> Iterator[FinessItem]:
    """Yield records and ParseErrors from the JSON flow; `head` is what `parse_finess` already read."""
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
    address = _pickaddress_line(e.get("adresse"))
    postcode = _text(address.get("codepostal")) or None
    insee = _text(address.get("cogcommune")) or None
    acheminement_postcode, commune = split_acheminement(_text(address.get("ligneacheminement")))
    postcode = postcode or acheminement_postcode
    if keep is not None and not keep(postcode, insee):
        return None
    code = _code(e.get("categorieentitegeographiqueexercice"))
    street = place_case(squash(_text(address.get("lignequatre")))) or street_line(
        _text(address.get("numerovoie")), _text(address.get("typevoie")), _text(address.get("libellevoie"))
    )
    place = _lower_keys(address.get("coordonneesgeographique")) or {}
    phone, email = _contact(e.get("contact"))
    raw_ref = {
        "nofinessej": _text(pm_info.get("numfinesspm")),
        "siret": _text(info.get("siret")) or _text(e.get("siret")),
        "rs": squash(_text(info.get("nomegecourt"))),
        "etat": state,
        "ege_id": _text(info.get("egeid")),
        "line": str(line),
    }
    return DirectoryRecord(
        source="finess",
        external_id=nofinesset,
        kind="structure",
        name=squash(_text(info.get("nomegelong"))) or squash(_text(info.get("nomegecourt"))) or nofinesset,
        profession=None,
        general_practice=False,
        category=category_for_finess(code),
        category_code=code or None,
        category_label=finess_category_label(code),
        address=address_line(street, _text(address.get("complementpointgeographique")), _text(address.get("lieudit"))),
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


def _pickaddress_line(addresses: Any) -> dict[str, Any]:
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
