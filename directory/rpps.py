"""Streaming parser of the RPPS "Annuaire Santé" extract PS_LibreAcces_Personne_activite (pure).

The file is `|`-separated UTF-8 (sometimes with a BOM), one header line, a trailing `|` on every line, one row
per professional × activity site (and, in older layouts, × savoir-faire). Columns are found by header name,
so the 52-column (2021) and 56-column layouts both read. Rows of one professional are consecutive in the
national file: the parser buffers only the current professional's rows, merges those that describe the same
(professional, structure) pair, and yields when the next professional starts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from directory.categories import category_for_rpps
from directory.normalize import fold, person_case, phone_e164, place_case
from directory.records import DirectoryRecord, Keep, ParseError

# TRE_G15 ProfessionSante (and TRE_R95 UsagerTitre for the titles the extract also carries) -> slug.
PROFESSIONS: dict[str, str] = {
    "10": "medecin",
    "21": "pharmacien",
    "26": "audioprothesiste",
    "28": "opticien_lunetier",
    "31": "assistant_dentaire",
    "32": "physicien_medical",
    "40": "chirurgien_dentiste",
    "50": "sage_femme",
    "60": "infirmier",
    "69": "infirmier_psychiatrique",
    "70": "masseur_kinesitherapeute",
    "71": "osteopathe",
    "72": "psychotherapeute",
    "73": "chiropracteur",
    "80": "pedicure_podologue",
    "81": "orthoprothesiste",
    "82": "podo_orthesiste",
    "83": "orthopediste_orthesiste",
    "84": "oculariste",
    "85": "epithesiste",
    "86": "technicien_labo",
    "91": "orthophoniste",
    "92": "orthoptiste",
    "93": "psychologue",
    "94": "ergotherapeute",
    "95": "dieteticien",
    "96": "psychomotricien",
    "98": "manipulateur_erm",
}

# Savoir-faire codes of general practice: qualified in (SM26), specialist in (SM53) and DES of (SM54)
# médecine générale.
GENERAL_PRACTICE_CODES = frozenset({"SM26", "SM53", "SM54"})

_TITLES = {"DR": "Dr", "PR": "Pr"}
_ADDRESS_KEY_COLUMNS = ("street_number", "street_repeat", "street", "postcode", "insee", "commune")
# A postal box or sorting office does not help anyone find the place.
_POSTAL_ONLY = ("bp ", "cs ", "tsa ", "cedex")

# Attribute -> header name. Only `pp` is required; any other column missing from a layout reads as empty.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "pp": ("Identification nationale PP",),
    "title_code": ("Code civilité d'exercice",),
    "title_label": ("Libellé civilité d'exercice",),
    "last_name": ("Nom d'exercice",),
    "first_name": ("Prénom d'exercice",),
    "profession_code": ("Code profession",),
    "profession_label": ("Libellé profession",),
    "skill_code": ("Code savoir-faire",),
    "mode_code": ("Code mode exercice",),
    "siret": ("Numéro SIRET site",),
    "siren": ("Numéro SIREN site",),
    "finess_site": ("Numéro FINESS site",),
    "structure_id": ("Identifiant technique de la structure",),
    "company_name": ("Raison sociale site",),
    "trade_name": ("Enseigne commerciale site",),
    "geo_complement": ("Complément point géographique (coord. structure)",),
    "street_number": ("Numéro Voie (coord. structure)",),
    "street_repeat": ("Indice répétition voie (coord. structure)",),
    "street_type_code": ("Code type de voie (coord. structure)",),
    "street_type": ("Libellé type de voie (coord. structure)",),
    "street": ("Libellé Voie (coord. structure)",),
    "distribution": ("Mention distribution (coord. structure)",),
    "cedex_office": ("Bureau cedex (coord. structure)",),
    "postcode": ("Code postal (coord. structure)",),
    "insee": ("Code commune (coord. structure)",),
    "commune": ("Libellé commune (coord. structure)",),
    "phone": ("Téléphone (coord. structure)",),
    "phone2": ("Téléphone 2 (coord. structure)",),
    "email": ("Adresse e-mail (coord. structure)",),
    "sector_code": ("Code secteur d'activité",),
    "sector_label": ("Libellé secteur d'activité",),
    # 56-column layout only; the published header says "genre activité", some documents "genre d'activité".
    "activity_kind": ("Code genre activité", "Code genre d'activité"),
}


class _Columns:
    """Column indexes resolved once from the header; -1 for a column the layout does not have."""

    def __init__(self, header: list[str]) -> None:
        by_name = {fold(name): i for i, name in enumerate(header) if name}
        self.width = len(header)
        self.index: dict[str, int] = {}
        for attribute, names in _COLUMNS.items():
            self.index[attribute] = next((by_name[fold(n)] for n in names if fold(n) in by_name), -1)


@dataclass
class _Pending:
    """The first row seen for one (professional, structure) pair, and what later rows add to it."""

    line_number: int
    fields: list[str]
    skills: list[str] = field(default_factory=list)


def parse_rpps(stream: IO[bytes], keep: Keep | None = None) -> Iterator[DirectoryRecord | ParseError]:
    """Yield one record per (professional, structure) of an RPPS extract, or a ParseError per bad line.

    `keep(postcode, insee_code)` is called on every well-formed row before any record is built, so a
    territory filter makes the national file cheap to scan.
    """
    lines = iter(stream)
    header_bytes = next(lines, None)
    if header_bytes is None:
        return
    try:
        header_text = header_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield ParseError(1, f"header is not valid UTF-8 (byte {exc.start})", fatal=True)
        return
    columns = _Columns(header_text.rstrip("\r\n").split("|"))
    if columns.index["pp"] < 0:
        yield ParseError(1, "header has no 'Identification nationale PP' column", fatal=True)
        return

    idx = columns.index
    width = columns.width
    i_pp, i_postcode, i_insee = idx["pp"], idx["postcode"], idx["insee"]
    i_skill = idx["skill_code"]
    current_pp = ""
    pending: dict[str, _Pending] = {}
    # General practice is a qualification of the person, so any row of the professional sets it, even a
    # row at a site outside the territory.
    general = False

    for line_number, raw in enumerate(lines, start=2):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ParseError(line_number, f"invalid UTF-8 (byte {exc.start})")
            continue
        text = text.rstrip("\r\n")
        if not text:
            continue
        fields = text.split("|")
        if len(fields) != width:
            yield ParseError(line_number, f"expected {width} fields, found {len(fields)}")
            continue
        pp = fields[i_pp].strip()
        if not pp:
            yield ParseError(line_number, "missing 'Identification nationale PP'")
            continue
        if pp != current_pp:
            if pending:
                yield from _flush(current_pp, pending, idx, general)
                pending = {}
            current_pp = pp
            general = False
        skill = fields[i_skill] if i_skill >= 0 else ""
        if skill in GENERAL_PRACTICE_CODES:
            general = True
        if keep is not None:
            postcode = fields[i_postcode] if i_postcode >= 0 else ""
            insee = fields[i_insee] if i_insee >= 0 else ""
            if not keep(postcode or None, insee or None):
                continue
        key = _structure_key(fields, idx)
        entry = pending.get(key)
        if entry is None:
            entry = pending[key] = _Pending(line_number, fields)
        if skill:
            entry.skills.append(skill)
    if pending:
        yield from _flush(current_pp, pending, idx, general)


def _get(fields: list[str], idx: dict[str, int], attribute: str) -> str:
    i = idx[attribute]
    return fields[i].strip() if i >= 0 else ""


def _structure_key(fields: list[str], idx: dict[str, int]) -> str:
    """Identify the activity site: SIRET, else SIREN, FINESS site, technical id, else an address hash."""
    for attribute in ("siret", "siren", "finess_site", "structure_id"):
        value = _get(fields, idx, attribute)
        if value:
            return value
    address = "|".join(_get(fields, idx, a) for a in _ADDRESS_KEY_COLUMNS)
    # Not a security use: a short, stable digest of the address names a site without identifier.
    return "adr-" + hashlib.sha1(address.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def _flush(pp: str, pending: dict[str, _Pending], idx: dict[str, int], general: bool) -> Iterator[DirectoryRecord]:
    for key, entry in pending.items():
        yield _build(pp, key, entry, idx, general)


def _build(pp: str, key: str, entry: _Pending, idx: dict[str, int], general: bool) -> DirectoryRecord:
    """Turn the rows of one (professional, structure) pair into a record."""
    f = entry.fields

    def get(attribute: str) -> str:
        return _get(f, idx, attribute)

    profession_code = get("profession_code")
    profession_label = get("profession_label")
    mode_code = get("mode_code")
    sector_code = get("sector_code")
    postcode = get("postcode")
    raw_ref = {
        "line": str(entry.line_number),
        "profession_code": profession_code,
        "profession_label": profession_label,
        "mode_exercice": mode_code,
        "savoir_faire": ",".join(dict.fromkeys(entry.skills)),
        "siret": get("siret"),
        "finess_site": get("finess_site"),
        "structure_id": get("structure_id"),
        "raison_sociale": get("company_name") or get("trade_name"),
        "genre_activite": get("activity_kind"),
    }
    return DirectoryRecord(
        source="rpps",
        external_id=f"{pp}/{key}",
        kind="professional",
        name=_display_name(get("title_code"), get("title_label"), get("first_name"), get("last_name")),
        profession=_profession_slug(profession_code, profession_label),
        general_practice=general,
        category=category_for_rpps(mode_code or None, sector_code or None),
        category_code=sector_code or None,
        category_label=get("sector_label") or None,
        address=_address(get) or None,
        postcode=postcode or None,
        commune=_commune(get("commune"), get("cedex_office"), postcode) or None,
        insee_code=get("insee") or None,
        phone=phone_e164(get("phone")) or phone_e164(get("phone2")),
        email=get("email").lower() or None,
        raw_ref={k: v for k, v in raw_ref.items() if v},
    )


def _display_name(title_code: str, title_label: str, first_name: str, last_name: str) -> str:
    """ "Dr Jeanne Martin": exercise title, first name, last name, capitalised as people write them."""
    title = _TITLES.get(title_code.upper(), title_label)
    person = person_case(" ".join(p for p in (first_name, last_name) if p))
    return " ".join(p for p in (title, person) if p)


def _profession_slug(code: str, label: str) -> str | None:
    """Known profession codes map to the slugs the API uses; others become a slug of their label."""
    if code in PROFESSIONS:
        return PROFESSIONS[code]
    slug = fold(label).replace(" ", "_")
    return slug or None


def _address(get: Callable[[str], str]) -> str:
    """One readable line: street, then the complements that help find the place."""
    number = get("street_number") + get("street_repeat")
    street = " ".join(p for p in (number, get("street_type") or get("street_type_code"), get("street")) if p)
    parts = [street, get("geo_complement")]
    distribution = get("distribution")
    if distribution and not fold(distribution + " ").startswith(_POSTAL_ONLY):
        parts.append(distribution)
    return ", ".join(place_case(p) for p in parts if p)


def _commune(label: str, cedex_office: str, postcode: str) -> str:
    """The commune's name, else the town of the "bureau cedex" line without its postcode and CEDEX."""
    if label:
        return label
    town = cedex_office
    if postcode and town.startswith(postcode):
        town = town[len(postcode) :]
    words = town.split()
    while words and (words[-1].upper() == "CEDEX" or words[-1].isdigit()):
        words.pop()
    return place_case(" ".join(words))
