"""Jobs of the clock process for the rota: shift reminders to volunteers, the daily gap summary to the coordinator.

Each job is a plain function ``job(rt, now) -> int`` (how many SMS it queued) run every few minutes. They are
idempotent: every SMS is recorded with a unique key (``sent_reminders``) in the same transaction as its
outbox row, so a restarted or duplicated clock process never sends one twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orientation.core import prompts
from orientation.core.labels import MOTIVE_PHRASES
from orientation.core.models import Territory
from orientation.core.runtime import Runtime
from orientation.services.messaging import dispatch, queue_sms
from orientation.services.territories import sms_from
from orientation.services.volunteer_controls import page_link
from volunteers.models import SentReminder, Volunteer
from volunteers.reminders import day_label, gaps_summary_entries, reminder_settings, reminders_due
from volunteers.services import coverage_gaps_by_motive, load_rota_between, territory_calendar

log = logging.getLogger(__name__)

# The coordinator's SMS lists this many gaps at most; the API gives them all.
GAPS_IN_SUMMARY = 6


def _say(territory: Territory) -> Callable[..., str]:
    return prompts.speaker(territory.settings)


def _record_once(
    session: Session,
    territory: Territory,
    *,
    key: str,
    kind: str,
    to: str,
    body: str,
    due_at: datetime,
    now: datetime,
    live: bool,
    volunteer_id: int | None = None,
) -> int | None:
    """Queue the SMS and record its key in one savepoint; None when the key was taken (sent already)."""
    try:
        with session.begin_nested():
            message = queue_sms(
                session,
                to=to,
                from_=sms_from(territory),
                body=body,
                purpose=f"rota_{kind}",
                now=now,
                territory_id=territory.id,
                live=live,
            )
            session.flush()
            session.add(
                SentReminder(
                    key=key,
                    kind=kind,
                    territory_id=territory.id,
                    volunteer_id=volunteer_id,
                    outbox_id=message.id,
                    due_at=due_at,
                    sent_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        # Another clock process recorded this key between our read and our write: it sends it, not us.
        return None
    return message.id


def _already_sent(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(SentReminder.key).where(SentReminder.key.in_(keys))))


def send_shift_reminders(rt: Runtime, now: datetime) -> int:
    """Job: text each volunteer before their shifts (by default the evening before at 18:00 and one hour before)."""
    queued: list[int] = []
    with rt.sessions() as session:
        for territory in session.scalars(select(Territory).order_by(Territory.id)).all():
            settings = reminder_settings(territory.settings)
            if not settings.enabled:
                continue
            holidays, tz = territory_calendar(territory)
            end = now + settings.lookahead
            occurrences = load_rota_between(session, territory.id, now, end).occurrences(now, end, holidays, tz)
            due = reminders_due(occurrences, settings, now, tz)
            if not due:
                continue  # most ticks: no need to read the sent keys and the volunteers
            sent = _already_sent(session, [d.key for d in due])
            volunteers = {
                v.id: v
                for v in session.scalars(
                    select(Volunteer).where(Volunteer.territory_id == territory.id, Volunteer.active.is_(True))
                )
            }
            say = _say(territory)
            today = now.astimezone(tz).date()
            for reminder in due:
                volunteer = volunteers.get(reminder.occurrence.volunteer_id)
                if reminder.key in sent or volunteer is None:
                    continue
                start = reminder.occurrence.starts_at.astimezone(tz)
                end_local = reminder.occurrence.ends_at.astimezone(tz)
                body = say(
                    "sms_shift_reminder" if territory.replies_by_sms else "sms_shift_reminder_no_reply",
                    territory=territory.name,
                    day=day_label(start, today),
                    start=f"{start:%H:%M}",
                    end=f"{end_local:%H:%M}",
                )
                # Their private page (pause, shifts, calendar): the way that works when SMS replies cannot.
                link = page_link(rt.config.public_base_url, rt.config.secret_key, volunteer.id, now)
                body = f"{body} {say('sms_volunteer_page_link', link=link)}"
                message_id = _record_once(
                    session,
                    territory,
                    key=reminder.key,
                    kind="shift",
                    to=volunteer.phone,
                    body=body,
                    due_at=reminder.due_at,
                    now=now,
                    live=rt.live_messaging,
                    volunteer_id=volunteer.id,
                )
                if message_id is not None:
                    queued.append(message_id)
        session.commit()
    return _sent(rt, queued, now, "shift reminder(s)")


def send_gaps_summary(rt: Runtime, now: datetime) -> int:
    """Job: once a day (by default from 08:00), text the coordinator the coming week's gaps, if there are any."""
    queued: list[int] = []
    with rt.sessions() as session:
        for territory in session.scalars(select(Territory).order_by(Territory.id)).all():
            settings = reminder_settings(territory.settings)
            if not settings.enabled or settings.gaps_summary_at is None or not territory.coordinator_phone:
                continue
            _, tz = territory_calendar(territory)
            local = now.astimezone(tz)
            if local.time() < settings.gaps_summary_at:
                continue
            key = f"gaps:t{territory.id}:{local.date().isoformat()}"
            if _already_sent(session, [key]):
                continue
            days = settings.gaps_summary_days
            gaps = coverage_gaps_by_motive(session, territory, now, now + timedelta(days=days), now)
            entries = gaps_summary_entries(gaps, MOTIVE_PHRASES, tz)
            if not entries:
                continue  # nothing to say; tomorrow's run looks again
            say = _say(territory)
            listed = entries[:GAPS_IN_SUMMARY]
            if len(entries) > GAPS_IN_SUMMARY:
                listed.append(say("sms_gaps_more", count=len(entries) - GAPS_IN_SUMMARY))
            body = say(
                "sms_gaps_summary", territory=territory.name, count=len(entries), days=days, gaps=" ; ".join(listed)
            )
            due_at = datetime.combine(local.date(), settings.gaps_summary_at or time(), tzinfo=tz)
            message_id = _record_once(
                session,
                territory,
                key=key,
                kind="gaps",
                to=territory.coordinator_phone,
                body=body,
                due_at=due_at,
                now=now,
                live=rt.live_messaging,
            )
            if message_id is not None:
                queued.append(message_id)
        session.commit()
    return _sent(rt, queued, now, "gap summary(ies)")


def _sent(rt: Runtime, queued: list[int], now: datetime, what: str) -> int:
    """Send what a job queued, now when possible (else the outbox job's next pass); returns how many."""
    if queued:
        log.info("rota: %d %s queued", len(queued), what)
        dispatch(rt.sessions, rt.sender, queued, now=now, base_url=rt.config.public_base_url)
    return len(queued)
