"""The rota API's input shapes: weekly patterns and their exceptions, parsed once at the edge (pydantic)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, WithJsonSchema, field_validator

from orientation.core.fields import SPACE, Day, Id, TimeOfDay, trimmed
from orientation.core.times_of_day import PatternValueError
from orientation.web.api.schemas import MotiveCode, motive_codes, not_null
from volunteers.patterns import check_validity, parse_weekdays, weekday_token_regex, weekdays_regex

_DAY = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 6},
        {"type": "string", "pattern": trimmed(weekday_token_regex())},
    ]
}
Weekdays = Annotated[
    list[StrictInt | str] | str,  # strict: true is not Tuesday
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": _DAY, "minItems": 1},
                {"type": "string", "pattern": weekdays_regex(SPACE)},
            ],
            "description": '[0..6] (0 = Monday), ["Mo", "We"], or "Mo-Fr" (English or French names, 2 letters or more)',
        }
    ),
]


def _weekdays(value: Any) -> list[int]:
    try:
        return parse_weekdays(value)
    except PatternValueError as exc:
        raise ValueError(str(exc)) from exc


class PatternIn(BaseModel):
    """POST /patterns: "every Tuesday 09:00–12:00 from 1 December to 30 June", in the territory's wall-clock time.

    ``end_time`` at or before ``start_time`` ends the next day (20:00–08:00). ``motives`` narrows the
    volunteer's motives during this shift (empty: all of theirs). ``holidays``: ``include`` (a public holiday
    is a day like any other), ``skip`` (no shift on public holidays), ``only`` (on public holidays alone).
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    volunteer_id: Id
    weekdays: Weekdays
    start_time: TimeOfDay
    end_time: TimeOfDay
    valid_from: Day
    valid_until: Day | None = None
    motives: list[MotiveCode] = Field(default_factory=list)
    holidays: Literal["include", "skip", "only"] = "include"

    _w = field_validator("weekdays")(classmethod(lambda cls, v: _weekdays(v)))
    _m = field_validator("motives")(classmethod(lambda cls, v: motive_codes(v)))

    @field_validator("valid_until")
    @classmethod
    def _until(cls, value: date | None, info: ValidationInfo) -> date | None:
        valid_from = info.data.get("valid_from")
        if value is not None and valid_from is not None:
            try:
                check_validity(valid_from, value)
            except PatternValueError as exc:
                raise ValueError(str(exc)) from exc
        return value


class PatternPatch(BaseModel):
    """PATCH /patterns/{id}: any subset of the fields (the view checks the result as a whole)."""

    # Absent or given, never null, except valid_until (null: the pattern runs on).
    model_config = ConfigDict(
        extra="ignore",
        str_strip_whitespace=True,
        json_schema_extra=not_null("weekdays", "start_time", "end_time", "valid_from", "motives", "holidays"),
    )
    weekdays: Weekdays | None = None
    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None
    motives: list[MotiveCode] | None = None
    holidays: Literal["include", "skip", "only"] | None = None

    _w = field_validator("weekdays")(classmethod(lambda cls, v: None if v is None else _weekdays(v)))
    _m = field_validator("motives")(classmethod(lambda cls, v: None if v is None else motive_codes(v)))


class ExceptionIn(BaseModel):
    """POST /patterns/{id}/exceptions: the occurrence starting on `on_date` is cancelled, or taken by another."""

    model_config = ConfigDict(extra="ignore")
    on_date: Day
    replacement_volunteer_id: Id | None = None
