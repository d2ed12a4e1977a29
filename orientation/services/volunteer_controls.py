"""A volunteer steering their own calls — by SMS, on their private page, by the voice menu: one service.

Each way reads the same rule (`volunteers.pause_rules.decide_pause`), writes the same audit entry (actor
``volunteer:ID``, with how it came and, for an SMS, its MessageSid) and texts the coordinator the same way when
a pause leaves a motive without anyone while the line is open. The caller commits and sends what is queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core import prompts
from orientation.core.french_dates import short_day
from orientation.core.models import OutboxMessage, Territory
from orientation.services import audit, messaging, territories
from orientation.services.outcomes import TOKEN_PARAM, FormLinkError, signed_serializer
from volunteers import rota as rota_mod
from volunteers.models import Volunteer
from volunteers.pause_rules import INACTIVE, PauseDecision, decide_pause
from volunteers.services import rota_snapshot, territory_calendar, volunteer_rota

PAGE_PATH = "/benevole"
# Sent with every shift reminder, so a fresh one always arrives well before this.
PAGE_LINK_LIFETIME = timedelta(days=30)
_PAGE_SALT = "orientation.volunteer-page"

# How a command came, as the audit log and the coordinator's SMS say it.
VIA_LABELS = {"sms": "par SMS", "page": "sur sa page", "voice": "par téléphone"}


@dataclass
class Steered:
    """What a command did: the decision (None for "available"), and the SMS it queued for the coordinator."""

    applied: bool
    decision: PauseDecision | None = None
    queued: list[OutboxMessage] = field(default_factory=list)


# ---------------------------------------------------------------- the signed link to a volunteer's private page


def page_token(secret_key: str, volunteer_id: int, now: datetime) -> str:
    """A URL-safe token, signed and timestamped, naming the volunteer whose private page it opens."""
    return str(signed_serializer(secret_key, _PAGE_SALT, now).dumps([volunteer_id]))


def read_page_token(secret_key: str, token: str, now: datetime) -> int:
    """The volunteer id of a page token; FormLinkError when altered, foreign or older than PAGE_LINK_LIFETIME."""
    try:
        payload = signed_serializer(secret_key, _PAGE_SALT, now).loads(
            token, max_age=int(PAGE_LINK_LIFETIME.total_seconds())
        )
    except SignatureExpired as exc:
        raise FormLinkError(expired=True) from exc
    except BadSignature as exc:
        raise FormLinkError(expired=False) from exc
    if not (isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], int)):
        raise FormLinkError(expired=False)
    return payload[0]


def page_link(public_base_url: str, secret_key: str, volunteer_id: int, now: datetime) -> str:
    """The absolute URL of a volunteer's private page, its token in the query string (kept out of access logs)."""
    return f"{public_base_url.rstrip('/')}{PAGE_PATH}?{TOKEN_PARAM}={page_token(secret_key, volunteer_id, now)}"


# ---------------------------------------------------------------- pause and available


def actor(volunteer: Volunteer) -> str:
    """The audit log's name for a volunteer acting themselves."""
    return f"volunteer:{volunteer.id}"


def pause_decision(session: Session, volunteer: Volunteer, territory: Territory, now: datetime) -> PauseDecision:
    """What a pause asked now would do, from the database (nothing is changed)."""
    if not volunteer.active:
        return PauseDecision(refused=INACTIVE)
    holidays, tz = territory_calendar(territory)
    # The volunteer's own rota, replacements they take included: a pause during one ends with it.
    own_rota = volunteer_rota(session, volunteer)
    own = [o for o in own_rota.on_duty(now, holidays, tz) if o.volunteer_id == volunteer.id]
    own += rota_mod.next_shifts(own_rota, volunteer.id, now, 1, holidays, tz)
    snapshot = rota_snapshot(session, territory.id, now)
    rows = session.execute(
        select(Volunteer.id, Volunteer.paused, Volunteer.paused_until).where(
            Volunteer.territory_id == territory.id, Volunteer.active.is_(True)
        )
    ).all()
    available = {row.id for row in rows if not (row.paused and (row.paused_until is None or row.paused_until > now))}
    return decide_pause(
        volunteer.id,
        active=volunteer.active,
        own_shifts=own,
        on_duty=snapshot.rota.on_duty(now, holidays, tz),
        volunteer_motives=snapshot.motives,
        available=available,
        line_open=territories.line_open(territory, now),
        now=now,
    )


def pause(
    session: Session,
    volunteer: Volunteer,
    territory: Territory,
    now: datetime,
    *,
    via: str,
    live: bool,
    message_sid: str | None = None,
) -> Steered:
    """Pause the volunteer as the rule allows; audit it and queue the coordinator's SMS if motives are left bare."""
    decision = pause_decision(session, volunteer, territory, now)
    if not decision.allowed:
        return Steered(applied=False, decision=decision)
    volunteer.paused = True
    volunteer.paused_until = decision.until
    details: dict[str, object] = {"via": via, "until": decision.until.isoformat() if decision.until else None}
    if decision.uncovered:
        details["uncovered"] = list(decision.uncovered)
    if message_sid:
        details["message_sid"] = message_sid[:64]
    audit.record(session, actor(volunteer), "pause", None, now, details, territory_id=territory.id)
    queued = []
    if decision.uncovered and territory.coordinator_phone:
        queued.append(_tell_coordinator(session, volunteer, territory, decision, now, via, live))
    return Steered(applied=True, decision=decision, queued=queued)


def available(
    session: Session,
    volunteer: Volunteer,
    territory: Territory,
    now: datetime,
    *,
    via: str,
    message_sid: str | None = None,
) -> Steered:
    """Back in routing during shifts (a deactivated volunteer stays out); audited."""
    if not volunteer.active:
        return Steered(applied=False)
    volunteer.paused = False
    volunteer.paused_until = None
    details: dict[str, object] = {"via": via}
    if message_sid:
        details["message_sid"] = message_sid[:64]
    audit.record(session, actor(volunteer), "available", None, now, details, territory_id=territory.id)
    return Steered(applied=True)


def written_until(until: datetime, now: datetime, tz: ZoneInfo) -> str:
    """When a pause ends, as an SMS or a page writes it: "16:00", "demain 08:00", "lun. 7/12 16:00"."""
    local, today = until.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if (local.date() - today).days == 1:
        return f"demain {local:%H:%M}"
    return f"{short_day(local)} {local:%H:%M}"


def spoken_until(until: datetime, now: datetime, tz: ZoneInfo) -> str:
    """When a pause ends, as the voice menu says it: "16 heures", "demain à 8 heures"."""
    local, today = until.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return prompts.spoken_time(local.hour, local.minute)
    return prompts.spoken_when(local, today)


def pause_answer(steered: Steered, now: datetime, tz: ZoneInfo, *, spoken: bool) -> tuple[str, dict[str, str]]:
    """The prompt key and values answering a pause, by SMS or by voice: until when, or that nothing was paused."""
    decision = steered.decision
    if decision is None or decision.until is None:
        return ("volunteer_no_shift" if spoken else "sms_pause_no_shift"), {}
    if spoken:
        key = "volunteer_paused" if decision.current else "volunteer_paused_next"
        return key, {"until": spoken_until(decision.until, now, tz)}
    key = "sms_paused" if decision.current else "sms_paused_next"
    return key, {"until": written_until(decision.until, now, tz)}


def is_paused_now(volunteer: Volunteer, now: datetime) -> bool:
    """True while the volunteer's pause runs."""
    return volunteer.paused and (volunteer.paused_until is None or volunteer.paused_until > now)


def _tell_coordinator(
    session: Session,
    volunteer: Volunteer,
    territory: Territory,
    decision: PauseDecision,
    now: datetime,
    via: str,
    live: bool,
) -> OutboxMessage:
    overrides = prompts.overrides_in(territory.settings)
    tz = ZoneInfo(territory.timezone)
    body = prompts.text(
        "sms_pause_uncovered",
        overrides,
        territory=territory.name,
        volunteer=volunteer.name,
        via=VIA_LABELS.get(via, via),
        until=written_until(decision.until, now, tz) if decision.until else "",
        motives=", ".join(prompts.motive_label(m) for m in decision.uncovered),
    )
    assert territory.coordinator_phone is not None
    return messaging.queue_sms(
        session,
        to=territory.coordinator_phone,
        from_=territories.sms_from(territory, session),
        body=body,
        purpose="pause_alert",
        now=now,
        territory_id=territory.id,
        live=live,
    )
