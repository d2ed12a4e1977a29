"""The columns an import writes for one directory record, and the digest that tells a changed record."""

from __future__ import annotations

import hashlib
from typing import Any

from directory.normalize import fold
from directory.records import DirectoryRecord

# Imported columns, with their maximum length where the column has one.
_IMPORTED: dict[str, int | None] = {
    "kind": 16,
    "name": 300,
    "search_key": 600,
    "profession": 64,
    "general_practice": None,
    "category": 40,
    "category_code": 16,
    "category_label": 200,
    "address": 400,
    "postcode": 5,
    "commune": 120,
    "insee_code": 5,
    "phone": 20,
    "email": 200,
    "latitude": None,
    "longitude": None,
    "source_ref": None,
}


def imported_values(record: DirectoryRecord) -> dict[str, Any]:
    """The columns an import writes for a record (never a CPTS field), cut to the columns' lengths."""
    source_ref = {k: v for k, v in (record.raw_ref or {}).items() if k != "line"} or None
    values: dict[str, Any] = {
        "kind": record.kind,
        "name": record.name,
        "search_key": fold(record.name),
        "profession": record.profession,
        "general_practice": record.general_practice,
        "category": record.category,
        "category_code": record.category_code,
        "category_label": record.category_label,
        "address": record.address,
        "postcode": record.postcode,
        "commune": record.commune,
        "insee_code": record.insee_code,
        "phone": record.phone,
        "email": record.email,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "source_ref": source_ref,
    }
    for column, length in _IMPORTED.items():
        value = values[column]
        if length is not None and isinstance(value, str) and len(value) > length:
            values[column] = value[:length]
    return values


def record_digest(record: DirectoryRecord) -> str:
    """A digest of what an import writes for the record: equal digests, nothing to update.

    Computed from the record itself, before any dict is built, because a re-import mostly finds nothing
    changed; the file's line number is left out (it moves whenever a line is added above).
    """
    ref = record.raw_ref
    key = (
        record.kind,
        record.name,
        record.profession,
        record.general_practice,
        record.category,
        record.category_code,
        record.category_label,
        record.address,
        record.postcode,
        record.commune,
        record.insee_code,
        record.phone,
        record.email,
        record.latitude,
        record.longitude,
        tuple(sorted((k, v) for k, v in ref.items() if k != "line")) if ref else (),
    )
    return hashlib.blake2b(repr(key).encode("utf-8"), digest_size=16).hexdigest()
