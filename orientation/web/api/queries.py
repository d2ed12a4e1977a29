"""The JSON API's query strings as pydantic models: parsed once, described once, refused with the 422 shape.

An empty value is not an absent one: ``until=`` is not a date-time and is refused, as the document says.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from directory.search import MAX_LIMIT
from orientation.core.fields import DayOrInstant, Id, Instant
from orientation.web.api.answers import Category, Motive, Outcome, Status
from orientation.web.api.spec import RequiredInDocument

MAX_OFFSET = 100_000
Postcode = Annotated[str, Field(pattern=r"^[0-9]{5}$", description="5 digits")]
SearchText = Annotated[str, Field(max_length=200)]


# A cursor is the last id of a page, in decimal: the document can say exactly which strings are cursors (an
# opaque base64 one could not: schema-valid strings were refused). Ids above the 32-bit range match nothing.
Cursor = Annotated[
    str,
    Field(pattern=r"^[1-9][0-9]{0,9}$", description="next_cursor of the previous page (give it back as it came)"),
]


class _Query(BaseModel):
    # An unknown parameter is refused, not ignored: ?territory=3 (for territory_id) would list every territory.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TerritoryQuery(_Query):
    """Optionally one territory."""

    territory_id: Id | None = None


class ShiftQuery(_Query):
    """By territory or volunteer."""

    territory_id: Id | None = None
    volunteer_id: Id | None = None


class PeriodQuery(_Query):
    """A period of calls."""

    territory_id: Id | None = None
    since: Instant | None = Field(default=None, description="ISO 8601 with its offset, inclusive")
    until: Instant | None = Field(default=None, description="ISO 8601 with its offset, exclusive")


class RequestsQuery(PeriodQuery):
    """The request log's filters and page."""

    motive: Motive | None = None
    status: Status | None = None
    outcome: Outcome | None = None
    postcode: Postcode | None = None
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class AuditQuery(PeriodQuery):
    """The audit log's filters and page."""

    reference: str | None = Field(default=None, description="one request's entries (an unknown one: none)")
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


_TERRITORY_NOTE = "required; a token limited to one territory may leave it out (its own territory is meant)"
TerritoryOfToken = Annotated[Id | None, RequiredInDocument(), Field(description=_TERRITORY_NOTE)]


class RotaQuery(_Query):
    """A territory's rota over a period (default: the next 7 days)."""

    territory_id: TerritoryOfToken = None
    from_: DayOrInstant | None = Field(default=None, alias="from")
    to: DayOrInstant | None = Field(default=None, description="after `from`, 93 days at most")
    volunteer_id: Id | None = None


class OnDutyQuery(_Query):
    """Who is on duty at an instant (default now)."""

    territory_id: TerritoryOfToken = None
    at: DayOrInstant | None = None
    motive: Motive | None = None


class GapsQuery(_Query):
    """The next days' uncovered hours."""

    territory_id: TerritoryOfToken = None
    days: Annotated[int, Field(ge=1, le=62)] = 14


class LoadQuery(_Query):
    """A period of load (default: the last 30 days)."""

    since: DayOrInstant | None = None
    until: DayOrInstant | None = Field(default=None, description="after `since`, 366 days at most")


class TerritoryLoadQuery(LoadQuery):
    """A territory's load over a period."""

    territory_id: TerritoryOfToken = None


class DirectoryQuery(_Query):
    """Search a territory's directory."""

    territory_id: TerritoryOfToken = None
    q: SearchText | None = Field(default=None, description="words of the name, profession, category or place")
    profession: SearchText | None = Field(default=None, description="a profession slug: medecin, infirmier…")
    general_practice: bool | None = None
    postcode: Postcode | None = None
    commune: SearchText | None = Field(default=None, description="the commune's name, accents and hyphens optional")
    accepting: bool | None = Field(default=None, description="accepting new patients (true) or said not to (false)")
    category: Category | None = None
    include_gone: bool = False
    limit: Annotated[int, Field(ge=0, le=MAX_LIMIT)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0
