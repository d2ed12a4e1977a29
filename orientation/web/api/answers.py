"""The JSON API's answers as pydantic models: the document describes them, schemathesis checks every answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from directory.categories import CATEGORIES
from orientation.core import lifecycle
from orientation.core.stats import MATCH_RATE_DEFINITION_EN


def _member_of(values: Sequence[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in values:
            raise PydanticCustomError("enum", "one of {known}", {"known": ", ".join(values)})
        return value

    return check


Motive = Annotated[
    str,
    AfterValidator(_member_of(lifecycle.MOTIVES)),
    WithJsonSchema({"type": "string", "enum": list(lifecycle.MOTIVES)}),
]
Status = Annotated[
    str,
    AfterValidator(_member_of(lifecycle.STATUSES)),
    WithJsonSchema({"type": "string", "enum": list(lifecycle.STATUSES)}),
]
Outcome = Annotated[
    str,
    AfterValidator(_member_of(lifecycle.OUTCOMES)),
    WithJsonSchema({"type": "string", "enum": list(lifecycle.OUTCOMES)}),
]
AttemptResult = Annotated[
    str,
    AfterValidator(_member_of(lifecycle.ATTEMPT_RESULTS)),
    WithJsonSchema({"type": "string", "enum": list(lifecycle.ATTEMPT_RESULTS)}),
]
Category = Annotated[
    str, AfterValidator(_member_of(CATEGORIES)), WithJsonSchema({"type": "string", "enum": list(CATEGORIES)})
]
LocalInstant = Annotated[datetime, Field(description="the territory's wall clock, with its offset")]


def items_of(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A list answer: ``{"items": [...]}``."""
    from pydantic import create_model

    created: type[BaseModel] = create_model(name, items=(list[model], ...))  # type: ignore[valid-type]
    return created


class Neighbour(BaseModel):
    """A neighbouring CPTS, to which out-of-territory callers are transferred."""

    name: str
    phone: str
    postcodes: list[str]


class Crisis(BaseModel):
    """A territory's crisis mode: on or off, volunteers offered one waiting caller at once, the announcement."""

    enabled: bool
    offers: int
    announcement: str | None


class Territory(BaseModel):
    """A territory and its settings."""

    id: int
    name: str
    reference_prefix: str | None
    phone_numbers: list[str]
    postcodes: list[str]
    opening_hours: str
    holiday_subdivision: str | None
    languages: list[str]
    coordinator_phone: str | None
    ring_seconds: int
    max_wait_seconds: int
    queue_wait_limit_seconds: int = Field(description="past it, a caller in the waiting line goes to the message step")
    crisis: Crisis
    callback_after_hang_up: bool = Field(description="a caller who hangs up while waiting is called back (mobiles)")
    sms_sender: str | None = Field(
        description="null: the line's number; else an E.164 number, an alphanumeric ID or an MG sid"
    )
    sms_replies: bool = Field(description="whether the line's SMS ask for SMS answers")
    neighbours: list[Neighbour]
    created_at: datetime | None


class Volunteer(BaseModel):
    """A volunteer (their own phone in full: the API is for the coordinator who manages them)."""

    id: int
    territory_id: int
    name: str
    phone: str = Field(description="E.164")
    profession: str
    motives: list[Motive]
    languages: list[str]
    directory_entry_id: int | None
    active: bool
    paused: bool
    last_offered_at: datetime | None
    created_at: datetime | None


class Shift(BaseModel):
    """A one-off shift."""

    id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    motives: list[Motive]


class RequestSummary(BaseModel):
    """A request as listed: the caller's number masked."""

    reference: str
    call_sid: str | None
    territory_id: int
    motive: Motive | None
    postcode: str | None
    in_territory: bool | None
    status: Status
    outcome: Outcome | None
    outcome_entry_id: int | None
    volunteer_id: int | None
    caller: str = Field(description="masked")
    had_message: bool
    created_at: datetime
    connected_at: datetime | None
    closed_at: datetime | None


class Attempt(BaseModel):
    """One ring of a volunteer."""

    volunteer_id: int | None
    kind: str
    result: AttemptResult | None
    at: datetime
    ended_at: datetime | None


class Event(BaseModel):
    """One timeline entry."""

    kind: str
    at: datetime
    actor: str | None
    data: dict[str, Any]


class RequestDetail(RequestSummary):
    """A request with its timeline and attempts."""

    outcome_note: str | None
    events: list[Event]
    attempts: list[Attempt]


class RequestPage(BaseModel):
    """A page of the request log, newest first."""

    items: list[RequestSummary]
    next_cursor: str | None = Field(description="give it as `cursor` for the next page; null on the last page")


class WaitingLine(BaseModel):
    """The waiting line's figures of one motive: who joined it, how they left it, how long they waited."""

    waited: int
    waiting: int
    answered_from_line: int
    left_hung_up: int
    left_chose_message: int
    left_wait_limit: int
    median_wait_seconds: float | None
    p90_wait_seconds: float | None


class Figures(BaseModel):
    """The figures of one motive (or `all`, or `unknown`: no motive chosen)."""

    requests: int
    connected: int
    answer_rate: float | None
    median_seconds_to_answer: float | None
    p90_seconds_to_answer: float | None
    abandoned: int
    abandon_rate: float | None
    callbacks_pending: int
    median_callback_delay_seconds: float | None
    with_outcome: int
    matched: int
    oriented: int
    no_solution: int
    match_rate: float | None = Field(description=MATCH_RATE_DEFINITION_EN)
    waiting_line: WaitingLine


class Stats(BaseModel):
    """Figures per motive over a period."""

    territory_id: int | None
    since: str | None
    until: str | None
    match_rate_definition: str
    motives: dict[str, Figures]


class CallbackTriggered(BaseModel):
    """A call-back round started now."""

    reference: str
    status: Status
    offered_to: int | None = Field(description="the volunteer phoned now")
    in_progress: bool = Field(description="a call-back was already under way")
    failed_calls: int = Field(description="calls to the patient that did not reach them")
    next_callback_at: datetime | None
    request: RequestDetail


class AuditEntry(BaseModel):
    """Who read or changed which request."""

    id: int
    at: datetime
    actor: str = Field(description="token:NAME, user:EMAIL, cli:USER or retention")
    action: str = Field(description="read, outcome, edit, callback, export, erase, pseudonymise")
    territory_id: int | None
    reference: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEntry]
    next_cursor: str | None = Field(description="give it as `cursor` for the next page; null on the last page")


class ShiftException(BaseModel):
    """A cancellation (no replacement) or a replacement of one occurrence."""

    pattern_id: int
    on_date: date
    replacement_volunteer_id: int | None
    kind: Literal["cancellation", "replacement"]


class Pattern(BaseModel):
    """A weekly pattern and its exceptions."""

    id: int
    volunteer_id: int
    weekdays: list[Annotated[int, Field(ge=0, le=6)]]
    start_time: str
    end_time: str
    valid_from: date
    valid_until: date | None
    motives: list[Motive]
    holidays: Literal["include", "skip", "only"]
    exceptions: list[ShiftException]


class Occurrence(BaseModel):
    """One concrete shift, in the territory's wall clock, with the motives it really covers."""

    volunteer_id: int
    volunteer_name: str | None
    starts_at: LocalInstant
    ends_at: LocalInstant
    hours: float = Field(description="real hours (11 or 13 for a night across a DST change)")
    motives: list[Motive] = Field(description="motives really covered")
    pattern_id: int | None
    shift_id: int | None
    replaced_volunteer_id: int | None


class Rota(BaseModel):
    """Every occurrence of a territory's shifts over a period."""

    territory_id: int
    timezone: str
    from_: LocalInstant = Field(alias="from")
    to: LocalInstant
    items: list[Occurrence]


class OnDutyVolunteer(BaseModel):
    """A volunteer routing would consider."""

    volunteer_id: int
    name: str
    paused: bool
    motives: list[Motive]


class OnDuty(BaseModel):
    """Who is on duty at an instant."""

    territory_id: int
    at: LocalInstant
    motive: Motive | None
    items: list[OnDutyVolunteer]


class Interval(BaseModel):
    """A stretch of opening hours."""

    starts_at: LocalInstant
    ends_at: LocalInstant
    hours: float


class Gaps(BaseModel):
    """Opening hours that no available volunteer covers, per motive."""

    territory_id: int
    timezone: str
    from_: LocalInstant = Field(alias="from")
    to: LocalInstant
    days: int
    motives: dict[str, list[Interval]]
    hours_uncovered: dict[str, float]


class LoadItem(BaseModel):
    """One volunteer's load over the period."""

    volunteer_id: int
    name: str
    offered: int
    accepted: int
    acceptance_rate: float | None
    share_of_offered: float | None
    shift_hours: float
    offered_per_shift_hour: float | None


class Load(BaseModel):
    """Fairness: offered and accepted requests per volunteer."""

    territory_id: int
    since: LocalInstant
    until: LocalInstant
    definition: str
    items: list[LoadItem]


class VolunteerLoad(LoadItem):
    """Fairness of one volunteer."""

    territory_id: int
    since: LocalInstant
    until: LocalInstant
    definition: str


class Feed(BaseModel):
    """The address of a volunteer's private iCalendar feed."""

    volunteer_id: int
    url: str


class DirectoryEntry(BaseModel):
    """A directory entry."""

    id: int
    territory_id: int
    source: Literal["rpps", "finess", "manual"]
    external_id: str | None = Field(description="RPPS: '<national PP id>/<site>'; FINESS: nofinesset")
    kind: Literal["professional", "structure"]
    name: str
    profession: str | None
    general_practice: bool
    category: Category
    category_label: str | None
    category_code: str | None
    address: str | None
    postcode: str | None
    commune: str | None
    insee_code: str | None
    phone: str | None = Field(description="E.164")
    email: str | None
    latitude: float | None
    longitude: float | None
    accepting_new_patients: bool | None = Field(description="null: not known")
    accepting_since: date | None = Field(description="when it was said")
    cpts_member: bool
    languages: list[str]
    notes: str | None
    gone: bool = Field(description="no longer in the national file (kept, not deleted)")
    source_ref: dict[str, str]
    created_at: datetime
    updated_at: datetime


class DirectorySearch(BaseModel):
    """A page of search results."""

    items: list[DirectoryEntry]
    total: int = Field(description="entries matching, all pages together")


Territories = items_of(Territory, "Territories")
Volunteers = items_of(Volunteer, "Volunteers")
Shifts = items_of(Shift, "Shifts")
Patterns = items_of(Pattern, "Patterns")
