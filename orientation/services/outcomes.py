"""Outcome services: a volunteer's SMS reply or form sets the outcome; the signed link to that form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.models import Request
from orientation.services import audit
from orientation.services import requests as svc
from volunteers.models import Volunteer
from volunteers.sms_replies import (
    OUTCOME_FOR_CODE,
    Ambiguous,
    NoOpenRequest,
    OutcomeReply,
    UnknownReference,
    pick_request,
)

# The outcomes a volunteer may give (SMS codes 1, 2, 3 and the form); the coordinator may set any outcome.
VOLUNTEER_OUTCOMES = tuple(OUTCOME_FOR_CODE[code] for code in sorted(OUTCOME_FOR_CODE))
FORM_LINK_LIFETIME = timedelta(days=7)
# A form page must be sent back within this time: the nonce it carries expires with it.
FORM_NONCE_LIFETIME = timedelta(hours=12)
# The token travels in the query string: access logs (gunicorn, nginx) keep paths, not query strings.
FORM_PATH = "/issue"
TOKEN_PARAM = "t"  # noqa: S105 - the name of a query parameter
_TOKEN_SALT = "orientation.outcome-form"  # noqa: S105 - a salt, public by design
_NONCE_SALT = "orientation.outcome-form.nonce"


def directory_entry_exists(session: Session, entry_id: int, territory_id: int) -> bool:
    """True when the entry is in the request's territory directory."""
    entry = session.get(DirectoryEntry, entry_id)
    return entry is not None and entry.territory_id == territory_id


def awaiting_outcome(session: Session, volunteer: Volunteer) -> list[Request]:
    """The requests this volunteer took and has not yet said what became of."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.volunteer_id == volunteer.id, Request.status == "connected", Request.outcome.is_(None))
            .order_by(Request.id)
            # A coordinator may set the same outcome at the same moment: the second writer sees the first.
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def apply_sms_reply(
    session: Session, volunteer: Volunteer, reply: OutcomeReply, now: datetime, message_sid: str | None = None
) -> tuple[str, dict[str, str]]:
    """Set the outcome a volunteer texted (audited with the SMS's SID); returns the answer's prompt key and values."""
    open_requests = awaiting_outcome(session, volunteer)
    chosen = pick_request(reply, [r.reference for r in open_requests])
    if isinstance(chosen, NoOpenRequest):
        return "sms_outcome_none", {}
    if isinstance(chosen, UnknownReference):
        return "sms_outcome_unknown_reference", {"reference": chosen.reference}
    if isinstance(chosen, Ambiguous):
        references = list(chosen.references)
        return "sms_outcome_which", {"references": ", ".join(references), "example": references[0]}
    request = next(r for r in open_requests if r.reference == chosen)
    outcome = OUTCOME_FOR_CODE[reply.code]
    actor = f"volunteer:{volunteer.id}"
    svc.close_with_outcome(session, request, outcome, now, actor=actor)
    details = {"via": "sms", "outcome": outcome, "message_sid": message_sid}
    audit.record(session, actor, "outcome", request, now, details)
    return "sms_outcome_saved", {"reference": request.reference, "outcome": outcome}


# ---------------------------------------------------------------- the signed link to the outcome form


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer reading the app's clock instead of the wall clock."""

    def __init__(self, *args: Any, now: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        """Seconds since the epoch, from the injected clock."""
        return int(self._now().timestamp())


def signed_serializer(secret_key: str, salt: str, now: datetime) -> URLSafeTimedSerializer:
    """A URL-safe, timestamped serializer signed with the app's secret, its time read from `now`."""
    return URLSafeTimedSerializer(secret_key, salt=salt, signer=_ClockSigner, signer_kwargs={"now": lambda: now})


_serializer = signed_serializer


@dataclass(frozen=True)
class FormGrant:
    """What a valid form link allows: one volunteer to tell the outcome of one request."""

    request_id: int
    volunteer_id: int


class FormLinkError(Exception):
    """A form link that is not ours, was altered, or has expired (`expired` tells which)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def form_token(secret_key: str, request_id: int, volunteer_id: int, now: datetime) -> str:
    """A URL-safe token, signed with the app's secret and timestamped, naming the request and the volunteer."""
    return str(_serializer(secret_key, _TOKEN_SALT, now).dumps([request_id, volunteer_id]))


def read_form_token(secret_key: str, token: str, now: datetime) -> FormGrant:
    """The grant of a form token; FormLinkError when it is altered, foreign or older than FORM_LINK_LIFETIME."""
    max_age = int(FORM_LINK_LIFETIME.total_seconds())
    try:
        payload = _serializer(secret_key, _TOKEN_SALT, now).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise FormLinkError(expired=True) from exc
    except BadSignature as exc:
        raise FormLinkError(expired=False) from exc
    if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(x, int) for x in payload)):
        raise FormLinkError(expired=False)
    return FormGrant(request_id=payload[0], volunteer_id=payload[1])


def form_link(public_base_url: str, secret_key: str, request_id: int, volunteer_id: int, now: datetime) -> str:
    """The absolute URL of the outcome form of one request for one volunteer (no login: the link is the key)."""
    token = form_token(secret_key, request_id, volunteer_id, now)
    return f"{public_base_url.rstrip('/')}{FORM_PATH}?{TOKEN_PARAM}={token}"


def form_nonce(secret_key: str, token: str, now: datetime) -> str:
    """A per-page value the form posts back: ties a submission to a page served for this very link, recently."""
    return str(_serializer(secret_key, _NONCE_SALT, now).dumps(_token_digest(token)))


def nonce_is_valid(secret_key: str, token: str, nonce: str, now: datetime) -> bool:
    """True when the nonce was issued by form_nonce for this token less than FORM_NONCE_LIFETIME ago."""
    try:
        digest = _serializer(secret_key, _NONCE_SALT, now).loads(
            nonce, max_age=int(FORM_NONCE_LIFETIME.total_seconds())
        )
    except BadSignature:
        return False
    return bool(digest == _token_digest(token))


def _token_digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()[:32]


def granted_request(session: Session, grant: FormGrant) -> Request | None:
    """The request of a grant, while it is still this volunteer's and past the call (connected or closed)."""
    request = session.get(Request, grant.request_id)
    if request is None or request.volunteer_id != grant.volunteer_id:
        return None
    if request.status not in ("connected", "closed"):
        return None
    return request


def granted_volunteer(session: Session, grant: FormGrant) -> Volunteer | None:
    """The volunteer a link was sent to, while they are active: a deactivated volunteer's links stop."""
    volunteer = session.get(Volunteer, grant.volunteer_id)
    return volunteer if volunteer is not None and volunteer.active else None


def volunteer_actor(volunteer_id: int) -> str:
    """The audit and timeline name of a volunteer acting through their link or their SMS."""
    return f"volunteer:{volunteer_id}"


def outcome_is_theirs(outcome: str | None, outcome_by: str | None, volunteer_id: int) -> bool:
    """True when the volunteer may still set the outcome: none yet, or the one they set themselves (pure)."""
    return outcome is None or outcome_by == volunteer_actor(volunteer_id)


def note_is_theirs(note: str | None, note_by: str | None, volunteer_id: int) -> bool:
    """True when the volunteer may see and change the note: none yet, or the one they wrote (pure)."""
    return not note or note_by == volunteer_actor(volunteer_id)


# ---------------------------------------------------------------- the directory, as the form searches it


def find_directory_entries(session: Session, territory_id: int, query: str, limit: int = 8) -> list[DirectoryEntry]:
    """Directory entries of a territory matching the query, best first: the directory's own search
    (accent-insensitive, typo-tolerant), so the form finds what the coordinator's search finds."""
    from directory.search import Query
    from directory.services import search_entries

    if not query.strip():
        return []
    entries, _total = search_entries(session, territory_id, Query(text=query[:200], limit=limit))
    return entries


# ---------------------------------------------------------------- setting the outcome


def set_outcome(
    session: Session,
    request: Request,
    now: datetime,
    actor: str,
    *,
    outcome: str | None = None,
    entry_id: int | None = None,
    change_entry: bool = False,
    note: str | None = None,
) -> list[str]:
    """Set the outcome and/or the directory entry and note of a request, each change kept in the timeline.

    Returns what changed ("outcome", "directory_entry", "note"); an unchanged value records nothing.
    """
    changed: list[str] = []
    if outcome is not None and outcome != request.outcome:
        svc.close_with_outcome(session, request, outcome, now, actor=actor)
        changed.append("outcome")
    if change_entry and entry_id != request.outcome_entry_id:
        previous = request.outcome_entry_id
        request.outcome_entry_id = entry_id
        payload = {"from": previous, "directory_entry_id": entry_id}
        svc.add_event(session, request, "outcome.details", now, payload, actor)
        changed.append("directory_entry")
    if note is not None and note != (request.outcome_note or ""):
        request.outcome_note = note or None
        request.outcome_note_by = actor
        # The note itself may hold health data: the timeline says that it changed, not what it says.
        svc.add_event(session, request, "outcome.note", now, {"length": len(note)}, actor)
        changed.append("note")
    if changed:
        request.updated_at = now
    return changed
