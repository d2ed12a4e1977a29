"""A volunteer calling the line from their registered mobile: a short menu before the patient's path.

1 pause, 2 available again, 3 next shifts read aloud, 9 (or silence) continue as a patient would. The same
rule and service as the SMS commands (`orientation.services.volunteer_controls`): a deactivated volunteer
hears the patient's line, a pause ends with the current or next shift, the coordinator is texted when it
leaves a motive without anyone, and every change is audited. Caller ID can be forged like an SMS sender: the
menu never says the volunteer's name, and what a forged call can do is what a forged SMS can (bounded).
Its routes join the Twilio blueprint (`callflows.views.register` imports this module).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from callflows import twiml
from callflows.webhooks import Ctx, bp, webhook
from orientation.core import prompts
from orientation.core.models import Territory
from orientation.core.phones import try_e164
from orientation.services import requests as svc
from orientation.services import volunteer_controls as controls
from volunteers.models import Volunteer
from volunteers.sms import next_shifts

MENU_PATH = "/twilio/voice/volunteer"
# The inbound voice URL with this query goes straight to the patient's path (key 9, silence, a second miss).
AS_PATIENT = "as_patient"
SHIFTS_READ_ALOUD = 3
KEYS = {"1": "pause", "2": "available", "3": "shifts", "9": "patient"}


def choice(digits: str | None) -> str | None:
    """The menu entry a key press means, None for anything else (pure)."""
    return KEYS.get((digits or "").strip())


def calling_volunteer(session: Session, territory: Territory, caller: str | None) -> Volunteer | None:
    """The active volunteer of this territory whose registered mobile is the caller's number, if any."""
    number = try_e164(caller, territory.region)
    if number is None:
        return None
    return session.scalar(
        select(Volunteer).where(
            Volunteer.territory_id == territory.id, Volunteer.phone == number, Volunteer.active.is_(True)
        )
    )


# Built once: every inbound call asks whether the caller is one of the line's volunteers (nearly never).
_VOLUNTEER_CALLING = select(Volunteer.id).where(
    Volunteer.territory_id == bindparam("territory"), Volunteer.phone == bindparam("phone"), Volunteer.active.is_(True)
)


class LineSettings(Protocol):
    """What the hook of the volunteer's menu reads of the line (a Territory, or the inbound call's Line)."""

    @property
    def id(self) -> int: ...

    @property
    def region(self) -> str: ...

    @property
    def settings(self) -> dict[str, Any] | None: ...


def is_volunteer_calling(session: Session, territory: LineSettings, caller: str | None) -> bool:
    """True when the caller's number is the registered mobile of an active volunteer of this territory."""
    number = try_e164(caller, territory.region)
    if number is None:
        return False
    return session.execute(_VOLUNTEER_CALLING, {"territory": territory.id, "phone": number}).first() is not None


def _say(territory: LineSettings) -> Callable[..., str]:
    return prompts.speaker(territory.settings)


# ---------------------------------------------------------------- TwiML of the menu (pure)


def menu_twiml(urls: twiml.Urls, intro: list[str], prompt: str, tries: int) -> VoiceResponse:
    """Say the menu once and wait for one key; silence goes on to the patient's path."""
    response = VoiceResponse()
    for words in intro:
        twiml.say(response, words)
    gather = response.gather(input="dtmf", num_digits=1, action=urls(MENU_PATH, tries=tries), method="POST", timeout=6)
    twiml.say(gather, prompt)
    response.redirect(as_patient_url(urls), method="POST")
    return response


def as_patient_url(urls: twiml.Urls) -> str:
    """The inbound voice URL that skips the volunteer's menu."""
    return urls("/twilio/voice", **{AS_PATIENT: 1})


def to_patient_path(urls: twiml.Urls) -> VoiceResponse:
    """Continue the call as a patient's: Twilio fetches the inbound voice URL again, menu skipped."""
    response = VoiceResponse()
    response.redirect(as_patient_url(urls), method="POST")
    return response


# ---------------------------------------------------------------- the hook and the menu's answer


def offer_menu(ctx: Ctx, territory: LineSettings, calling: bool | None = None) -> str | None:
    """The volunteer's menu when an active volunteer of this territory calls; None for anyone else.

    `calling`: whether they do, when already known (None: asked here)."""
    if AS_PATIENT in ctx.args:
        return None
    if calling is None:
        calling = is_volunteer_calling(ctx.session, territory, ctx.form.get("From"))
    if not calling:
        return None
    return str(menu_twiml(ctx.urls, [], _say(territory)("volunteer_menu"), 1))


@bp.post("/voice/volunteer")
@webhook("voice.volunteer")
def volunteer_menu(ctx: Ctx) -> str:
    """The volunteer's key: pause, available, shifts read aloud, or on to the patient's path."""
    territory = svc.territory_for_number(ctx.session, ctx.form.get("To"))
    if territory is None:
        return str(twiml.speak_and_hang_up([prompts.text("unknown_line")]))
    volunteer = calling_volunteer(ctx.session, territory, ctx.form.get("From"))
    if volunteer is None:
        return str(to_patient_path(ctx.urls))
    say = _say(territory)
    tz = ZoneInfo(territory.timezone)
    picked = choice(ctx.form.get("Digits"))
    if picked is None:
        tries = ctx.arg_int("tries", 1)
        if tries >= 2:
            return str(to_patient_path(ctx.urls))
        return str(menu_twiml(ctx.urls, [say("volunteer_menu_not_understood")], say("volunteer_menu"), tries + 1))
    if picked == "patient":
        return str(to_patient_path(ctx.urls))
    if picked == "pause":
        steered = controls.pause(ctx.session, volunteer, territory, ctx.now, via="voice", live=ctx.rt.live_messaging)
        ctx.queued.extend(steered.queued)
        key, values = controls.pause_answer(steered, ctx.now, tz, spoken=True)
        words = say(key, **values)
    elif picked == "available":
        controls.available(ctx.session, volunteer, territory, ctx.now, via="voice")
        words = say("volunteer_available")
    else:
        words = shifts_spoken(say, volunteer, territory, ctx.now)
    return str(twiml.speak_and_hang_up([words, say("volunteer_goodbye")]))


# ---------------------------------------------------------------- shifts read aloud


def shifts_spoken(say: Callable[..., str], volunteer: Volunteer, territory: Territory, now: datetime) -> str:
    """The volunteer's next shifts as said aloud: "lundi 7 décembre de 8 heures à 12 heures, …"."""
    tz = ZoneInfo(territory.timezone)
    shifts = next_shifts(volunteer, territory, now, SHIFTS_READ_ALOUD)
    if not shifts:
        return say("volunteer_no_shifts")
    today = now.astimezone(tz).date()
    parts = []
    for shift in shifts:
        start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
        day = prompts.spoken_when(start, today).rsplit(" à ", 1)[0]
        parts.append(
            f"{day} de {prompts.spoken_time(start.hour, start.minute)} à {prompts.spoken_time(end.hour, end.minute)}"
        )
    return say("volunteer_shifts", shifts=", ".join(parts))
