"""API: the territory directory — search, one entry, entries added by hand, the fields the CPTS maintains."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, WithJsonSchema, field_validator

from directory.categories import CATEGORIES, CATEGORY_LABELS_FR
from directory.models import DirectoryEntry
from directory.search import Query
from directory.services import EDITABLE_ON_IMPORTED, create_entry, search_entries, update_entry
from orientation.core.fields import SPACE, Day, is_language_code, is_postcode, trimmed
from orientation.core.models import Territory
from orientation.core.phones import InvalidPhone, to_e164
from orientation.core.runtime import db, now
from orientation.web.api import answers, bp, json_body, not_found, scope, unprocessable, valid_id, visible
from orientation.web.api.answers import Category
from orientation.web.api.queries import DirectoryQuery
from orientation.web.api.schemas import Id, LanguageCode, not_null, parse
from orientation.web.api.spec import operation, parse_query

SEARCH_TEXT = (
    "Every word of q must match a word of the entry's name, of its profession in French (médecin, infirmière, "
    "kiné, sage-femme, pharmacie…), of its category or FINESS label (EHPAD, centre de santé), of its commune, "
    "its postcode or arrondissement (Paris 20): exactly (a plural matches its singular), as its beginning, or "
    "within one typing error (two from 7 letters; none in numbers); accents and case do not matter. Best "
    "matches first, then alphabetical. Entries flagged gone are left out unless include_gone=true."
)
_INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
_EMAIL_CORE = f"[^@{SPACE[1:-1]}]+@[^@{SPACE[1:-1]}]+\\.[^@{SPACE[1:-1]}]+"
_EMAIL = re.compile(f"^{_EMAIL_CORE}$")

Text = Annotated[str, Field(min_length=1, max_length=300)]
# Fields that may be absent but never null.
_NOT_NULL = ("kind", "name", "category", "general_practice", "cpts_member", "languages")
# The document states each code's form; the validators below give the message when a value does not fit.
InseeCode = Annotated[str, WithJsonSchema({"type": "string", "pattern": trimmed("([0-9][0-9AaBb][0-9]{3})?")})]
Email = Annotated[
    str,
    Field(max_length=200),
    WithJsonSchema({"type": "string", "maxLength": 200, "pattern": trimmed(f"({_EMAIL_CORE})?")}),
]


class EntryFields(BaseModel):
    """The fields of an entry a client may send; POST requires a territory and a name."""

    # Fields that may be absent but never null (the document has no null for them; the views refuse one).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=not_null(*_NOT_NULL))
    kind: Literal["professional", "structure"] | None = None
    name: Text | None = None
    category: Category | None = None
    category_label: Annotated[str, Field(max_length=200)] | None = None
    profession: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    general_practice: bool | None = None
    address: Annotated[str, Field(max_length=400)] | None = None
    postcode: Annotated[str, WithJsonSchema({"type": "string", "pattern": trimmed("([0-9]{5})?")})] | None = None
    commune: Annotated[str, Field(max_length=120)] | None = None
    insee_code: InseeCode | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    email: Email | None = None
    # Strict: a JSON number, not true/false or "12.5" (which the document does not allow either).
    latitude: Annotated[StrictFloat, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[StrictFloat, Field(ge=-180, le=180)] | None = None
    accepting_new_patients: bool | None = None
    accepting_since: Day | None = None
    cpts_member: bool | None = None
    languages: list[LanguageCode] | None = None
    notes: Annotated[str, Field(max_length=4000)] | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; known: {', '.join(CATEGORIES)}")
        return value

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        if value and not is_postcode(value):
            raise ValueError("a postcode is 5 digits")
        return value or None

    @field_validator("insee_code")
    @classmethod
    def _insee(cls, value: str | None) -> str | None:
        if value and not _INSEE.match(value.upper()):
            raise ValueError("an INSEE commune code is 5 characters (01053, 2A004)")
        return value.upper() if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return to_e164(value)
        except InvalidPhone as exc:
            raise ValueError(f"not a valid phone number: {value!r}") from exc

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower() if value else None

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        codes = [code.strip().lower() for code in value]
        for code in codes:
            if not is_language_code(code):
                raise ValueError(f"language codes are ISO 639 (fr, en, ar…): {code!r}")
        return list(dict.fromkeys(codes))


class EntryIn(EntryFields):
    """POST /directory: an entry added by hand (an association, a social service…)."""

    territory_id: Id
    name: Text


def entry_json(entry: DirectoryEntry) -> dict[str, Any]:
    """A directory entry as the API shows it."""
    return {
        "id": entry.id,
        "territory_id": entry.territory_id,
        "source": entry.source,
        "external_id": entry.external_id,
        "kind": entry.kind,
        "name": entry.name,
        "profession": entry.profession,
        "general_practice": entry.general_practice,
        "category": entry.category,
        "category_label": entry.category_label or CATEGORY_LABELS_FR.get(entry.category),
        "category_code": entry.category_code,
        "address": entry.address,
        "postcode": entry.postcode,
        "commune": entry.commune,
        "insee_code": entry.insee_code,
        "phone": entry.phone,
        "email": entry.email,
        "latitude": entry.latitude,
        "longitude": entry.longitude,
        "accepting_new_patients": entry.accepting_new_patients,
        "accepting_since": entry.accepting_since.isoformat() if entry.accepting_since else None,
        "cpts_member": entry.cpts_member,
        "languages": list(entry.languages or []),
        "notes": entry.notes,
        "gone": entry.gone,
        "source_ref": dict(entry.source_ref or {}),
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
    }


def _territory(territory_id: int | None) -> Territory:
    if territory_id is None:
        territory_id = scope()
    if territory_id is None:
        raise unprocessable({"territory_id": "required (this token may see every territory)"})
    territory = db().get(Territory, territory_id)
    if territory is None or not visible(territory.id):
        raise not_found("territory not found")
    return territory


def _today(territory: Territory) -> date:
    """Today on the territory's wall clock: the date a coordinator would write down."""
    return now().astimezone(ZoneInfo(territory.timezone or "Europe/Paris")).date()


def get_entry(entry_id: int) -> DirectoryEntry:
    """The entry, or 404 when unknown or outside the token's scope."""
    entry = db().get(DirectoryEntry, entry_id) if valid_id(entry_id) else None
    if entry is None or not visible(entry.territory_id):
        raise not_found("directory entry not found")
    return entry


@bp.get("/directory")
@operation(
    "Search a territory's directory",
    description=SEARCH_TEXT,
    query=DirectoryQuery,
    answers={200: answers.DirectorySearch},
)
def search_directory() -> Response:
    """Search a territory's directory by name (accents and typos forgiven) and filters."""
    args = parse_query(DirectoryQuery, request)
    territory = _territory(args.territory_id)
    query = Query(
        text=(args.q or "").strip(),
        profession=(args.profession or "").strip() or None,
        general_practice=args.general_practice,
        postcode=args.postcode,
        commune=(args.commune or "").strip() or None,
        accepting=args.accepting,
        category=args.category,
        include_gone=args.include_gone,
        limit=args.limit,
        offset=args.offset,
    )
    entries, total = search_entries(db(), territory.id, query)
    return jsonify({"items": [entry_json(e) for e in entries], "total": total})


@bp.get("/directory/<int:entry_id>")
@operation("A directory entry", answers={200: answers.DirectoryEntry})
def show_directory_entry(entry_id: int) -> Response:
    """One directory entry."""
    return jsonify(entry_json(get_entry(entry_id)))


@bp.post("/directory")
@operation(
    "Add an entry by hand (an association, a social service…)", body=EntryIn, answers={201: answers.DirectoryEntry}
)
def create_directory_entry() -> tuple[Response, int]:
    """Add an entry by hand: an association, a social service, a professional not in the national files."""
    body = json_body()
    data = parse(EntryIn, body)
    session = db()
    territory = session.get(Territory, data.territory_id)
    if territory is None or not visible(territory.id):
        raise unprocessable({"territory_id": "unknown territory"})
    for key in _NOT_NULL:
        if key in body and body[key] is None:
            raise unprocessable({key: "cannot be null"})
    entry = create_entry(session, territory, data.model_dump(exclude={"territory_id"}), _today(territory), now())
    session.commit()
    return jsonify(entry_json(entry)), 201


@bp.patch("/directory/<int:entry_id>")
@operation(
    "Change what the CPTS maintains (any field of a manual entry)",
    description="accepting_new_patients, accepting_since, cpts_member, languages and notes on every entry; the "
    "other fields only on manual entries (imported ones come from the national files). Setting "
    "accepting_new_patients dates it today unless accepting_since is given.",
    body=EntryFields,
    answers={200: answers.DirectoryEntry},
)
def patch_directory_entry(entry_id: int) -> Response:
    """Change what the CPTS maintains (accepting new patients, member, languages, notes); any field of a
    manual entry. Saying whether the entry accepts new patients dates it today unless accepting_since is given.
    """
    entry = get_entry(entry_id)
    body = json_body()
    data = parse(EntryFields, body)
    changes = {k: v for k, v in data.model_dump().items() if k in body}
    for key in _NOT_NULL:
        if key in changes and changes[key] is None:
            raise unprocessable({key: "cannot be null"})
    if entry.source != "manual":
        refused = sorted(set(changes) - EDITABLE_ON_IMPORTED)
        if refused:
            source = entry.source.upper()
            raise unprocessable(
                {key: f"comes from the {source} file and would come back with the next import" for key in refused}
            )
    session = db()
    territory = session.get(Territory, entry.territory_id)
    assert territory is not None  # the foreign key cascades: an entry always has its territory
    update_entry(session, entry, changes, _today(territory), now())
    session.commit()
    return jsonify(entry_json(entry))
