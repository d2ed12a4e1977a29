"""The JSON API's input shapes, parsed once at the edge (pydantic), with French-agnostic field errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from orientation.core import lifecycle
from orientation.core.calendar import validate_subdivision
from orientation.core.fields import (
    MAX_ID,
    Id,
    Instant,
    is_language_code,
    is_postcode,
    trimmed,
)
from orientation.core.opening_hours import OpeningHoursError, parse_opening_hours
from orientation.core.phones import InvalidPhone, to_e164
from orientation.core.sms_sender import InvalidSender, parse_sender
from volunteers.professions import PROFESSIONS

__all__ = ["MAX_ID", "Id"]  # re-exported: the API's modules import them from here

Name = Annotated[str, Field(min_length=1, max_length=200)]
# The document states each code's form; the validators below give the message when a value does not fit.
Postcode = Annotated[str, WithJsonSchema({"type": "string", "pattern": trimmed("[0-9]{5}")})]
LanguageCode = Annotated[str, WithJsonSchema({"type": "string", "pattern": trimmed("[a-zA-Z]{2,3}")})]
PrefixCode = Annotated[str, WithJsonSchema({"type": "string", "pattern": trimmed("[a-zA-Z0-9]{1,6}")})]
MotiveCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(lifecycle.MOTIVES)})]
OutcomeCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(lifecycle.OUTCOMES)})]
ProfessionCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(PROFESSIONS)})]
_PREFIX = re.compile(r"^[A-Z0-9]{1,6}$")


def not_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """A json_schema_extra that takes null out of these optional fields: absent or given, never null."""

    def edit(schema: dict[str, Any]) -> None:
        for name in names:
            prop = schema["properties"][name]
            branches = [b for b in prop.pop("anyOf", []) if b != {"type": "null"}]
            if len(branches) == 1:
                prop.update(branches[0])
            elif branches:
                prop["anyOf"] = branches
            if prop.get("default", 0) is None:
                del prop["default"]

    return edit


def field_errors(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {field: message}, the API's 422 shape."""
    errors: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "body"
        message = str(item["msg"]).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def _e164(value: str) -> str:
    try:
        return to_e164(value)
    except InvalidPhone as exc:
        raise ValueError(f"not a valid phone number: {value!r}") from exc


class NeighbourIn(BaseModel):
    """A neighbouring CPTS, to which out-of-territory callers are transferred."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    phone: str
    postcodes: list[Postcode] = Field(default_factory=list)

    _phone = field_validator("phone")(classmethod(lambda cls, v: _e164(v)))

    @field_validator("postcodes")
    @classmethod
    def _postcodes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not is_postcode(code):
                raise ValueError(f"postcodes are 5 digits: {code!r}")
        return value


# The bounds of the waiting line and crisis settings, defined here once: the API, the console form and the
# command line all validate through CrisisIn and TerritoryIn, and the console words its errors with these.
CRISIS_OFFERS_MIN, CRISIS_OFFERS_MAX = 1, 10
ANNOUNCEMENT_MAX = 500
WAIT_LIMIT_MIN, WAIT_LIMIT_MAX = 60, 1800


class CrisisIn(BaseModel):
    """A territory's crisis mode: on or off, how many volunteers are offered a caller at once, the announcement.

    Every field is optional in a PATCH: only those given change.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    enabled: StrictBool = Field(default=False, description="Crisis mode on: several offers at once, the announcement")
    offers: int = Field(
        default=3,
        ge=CRISIS_OFFERS_MIN,
        le=CRISIS_OFFERS_MAX,
        description="Volunteers offered one waiting caller at once in crisis mode; the first to press 1 takes it",
    )
    announcement: Annotated[str, Field(max_length=ANNOUNCEMENT_MAX)] | None = Field(
        default=None,
        description="Said (fr-FR) after the welcome of every call while crisis mode is on; null or empty: nothing",
    )

    @field_validator("announcement", mode="before")
    @classmethod
    def _announcement(cls, value: object) -> object:
        # Said aloud: line breaks and runs of spaces mean nothing to the voice, and blank means no announcement.
        # Before the length check, so a form's CRLF line breaks do not count twice.
        if not isinstance(value, str):
            return value  # None, or a wrong type that pydantic refuses by name
        if "\x00" in value:
            raise ValueError("the announcement cannot hold a NUL character")
        return " ".join(value.split()) or None


class TerritoryIn(BaseModel):
    """POST /territories."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    name: Name
    phone_numbers: list[str] = Field(min_length=1)
    postcodes: list[Postcode] = Field(default_factory=list)
    opening_hours: Annotated[str, Field(max_length=500)] = "24/7"
    reference_prefix: PrefixCode | None = None
    holiday_subdivision: str | None = None
    languages: list[LanguageCode] = Field(default_factory=lambda: ["fr"])
    coordinator_phone: str | None = None
    ring_seconds: int = Field(default=20, ge=5, le=60)
    max_wait_seconds: int = Field(default=240, ge=30, le=1800)
    queue_wait_limit_seconds: int = Field(
        default=300,
        ge=WAIT_LIMIT_MIN,
        le=WAIT_LIMIT_MAX,
        description="Past this wait in the waiting line, a caller goes to the message step",
    )
    crisis: CrisisIn | None = None
    callback_after_hang_up: StrictBool = Field(
        default=False,
        description="A caller who hangs up while waiting in line is called back like a message (mobiles only)",
    )
    neighbours: list[NeighbourIn] = Field(default_factory=list)
    sms_sender: str | None = Field(
        default=None,
        description=(
            "Who the line's SMS come from: null (the line's own number), an E.164 number, an alphanumeric sender "
            "ID (3-11 letters, digits, spaces, at least one letter) or a Messaging Service SID (MG + 32 hex)"
        ),
    )
    sms_replies: bool | None = Field(
        default=None,
        description="Whether SMS may ask volunteers to answer by SMS; null: true for a number, false otherwise",
    )

    @field_validator("sms_sender")
    @classmethod
    def _sms_sender(cls, value: str | None) -> str | None:
        try:
            return parse_sender(value)
        except InvalidSender as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("phone_numbers")
    @classmethod
    def _numbers(cls, value: list[str] | None) -> list[str] | None:
        if value is None:  # only TerritoryPatch allows it; its view refuses the null
            return None
        numbers = [_e164(v) for v in value]
        if len(set(numbers)) != len(numbers):
            raise ValueError("the same number is given twice")
        return numbers

    @field_validator("postcodes")
    @classmethod
    def _postcodes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not is_postcode(code):
                raise ValueError(f"postcodes are 5 digits: {code!r}")
        return sorted(set(value))

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            parse_opening_hours(value)
        except OpeningHoursError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("reference_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        # Prefixes are unique whatever their case, so "b" is taken as "B" (and refused if "B" is used).
        if value is not None and not _PREFIX.match(value.upper()):
            raise ValueError("1 to 6 capital letters or digits")
        return None if value is None else value.upper()

    @field_validator("holiday_subdivision")
    @classmethod
    def _subdivision(cls, value: str | None) -> str | None:
        return validate_subdivision(value) if value else None

    @field_validator("coordinator_phone")
    @classmethod
    def _coordinator(cls, value: str | None) -> str | None:
        return None if not value else _e164(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return _language_codes(value)


class TerritoryPatch(TerritoryIn):
    """PATCH /territories/{id}: any subset of the fields."""

    # Absent or given, never null: the document says so (no null in their schemas), the view refuses a null.
    model_config = ConfigDict(
        json_schema_extra=not_null("name", "phone_numbers", "reference_prefix", "crisis", "callback_after_hang_up")
    )
    name: Name | None = None  # type: ignore[assignment]
    phone_numbers: list[str] | None = Field(default=None, min_length=1)  # type: ignore[assignment]


def _language_codes(value: list[str]) -> list[str]:
    codes = []
    for code in value:
        code = code.strip().lower()
        if not is_language_code(code):
            raise ValueError(f"language codes are ISO 639 (fr, en, ar…): {code!r}")
        codes.append(code)
    return codes or ["fr"]


def motive_codes(value: list[str]) -> list[str]:
    """The motive codes, each known, without repeats (a 422 names the first unknown one)."""
    unknown = [m for m in value if m not in lifecycle.MOTIVES]
    if unknown:
        raise ValueError(f"unknown motive {unknown[0]!r}; known: {', '.join(lifecycle.MOTIVES)}")
    return list(dict.fromkeys(value))


class VolunteerIn(BaseModel):
    """POST /volunteers (the phone is parsed with the territory's region by the view)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    territory_id: Id
    name: Name
    phone: Annotated[str, Field(min_length=1, max_length=40)]
    profession: ProfessionCode
    motives: list[MotiveCode] = Field(min_length=1)
    languages: list[LanguageCode] = Field(default_factory=lambda: ["fr"])
    directory_entry_id: Id | None = None
    active: bool = True

    @field_validator("profession")
    @classmethod
    def _profession(cls, value: str) -> str:
        if value not in PROFESSIONS:
            raise ValueError(f"unknown profession {value!r}; known: {', '.join(PROFESSIONS)}")
        return value

    _m = field_validator("motives")(classmethod(lambda cls, v: motive_codes(v)))
    _l = field_validator("languages")(classmethod(lambda cls, v: _language_codes(v)))


class VolunteerPatch(BaseModel):
    """PATCH /volunteers/{id}."""

    # Absent or given, never null, except directory_entry_id (null: no entry).
    model_config = ConfigDict(
        extra="ignore",
        str_strip_whitespace=True,
        json_schema_extra=not_null("name", "phone", "profession", "motives", "languages", "active", "paused"),
    )
    name: Name | None = None
    phone: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    profession: ProfessionCode | None = None
    motives: list[MotiveCode] | None = Field(default=None, min_length=1)
    languages: list[LanguageCode] | None = None
    directory_entry_id: Id | None = None
    active: bool | None = None
    paused: bool | None = None

    @field_validator("profession")
    @classmethod
    def _profession(cls, value: str | None) -> str | None:
        if value is not None and value not in PROFESSIONS:
            raise ValueError(f"unknown profession {value!r}")
        return value

    @field_validator("motives")
    @classmethod
    def _mv(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else motive_codes(value)

    @field_validator("languages")
    @classmethod
    def _lv(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _language_codes(value)


class ShiftIn(BaseModel):
    """POST /shifts: a one-off shift between two instants with a UTC offset."""

    model_config = ConfigDict(extra="ignore")
    volunteer_id: Id
    starts_at: Instant
    ends_at: Instant
    motives: list[MotiveCode] = Field(default_factory=list)

    _m = field_validator("motives")(classmethod(lambda cls, v: motive_codes(v)))

    @field_validator("ends_at")
    @classmethod
    def _order(cls, value: datetime, info: ValidationInfo) -> datetime:
        # A field validator, not a model one, so that the 422 names ends_at rather than the whole body.
        starts_at = info.data.get("starts_at")
        if starts_at is None:  # starts_at was refused already
            return value
        if value <= starts_at:
            raise ValueError("ends_at must come after starts_at")
        if (value - starts_at).total_seconds() > 7 * 24 * 3600:
            raise ValueError("a shift lasts at most 7 days")
        return value


class OutcomePatch(BaseModel):
    """PATCH /requests/{reference}: set or correct the outcome."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=not_null("outcome"))
    outcome: OutcomeCode | None = Field(default=None, description="absent: unchanged; it cannot be cleared")
    directory_entry_id: Id | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str | None) -> str | None:
        if value is not None and value not in lifecycle.OUTCOMES:
            raise ValueError(f"unknown outcome {value!r}; known: {', '.join(lifecycle.OUTCOMES)}")
        return value


def parse(model: type[BaseModel], body: Any) -> Any:
    """Validate a JSON body; raises ValidationError (turned into a 422 by the API)."""
    if not isinstance(body, dict):
        raise ValidationError.from_exception_data(
            model.__name__, [{"type": "dict_type", "loc": ("body",), "input": body}]
        )
    # Strict: JSON types as the document states them (0 is not false, "5" is not 5); dates and times are read
    # from their strings by their own types (orientation.core.fields).
    return model.model_validate(_integral(body), strict=True)


def _integral(value: Any) -> Any:
    """JSON Schema counts 2.0 as an integer: so does the API (strict pydantic would not)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value
