"""`orientation simulate-call` plays several callers and the volunteers' phones from one prompt."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import OutboxMessage, Request
from orientation.simulator.console import Desk, outbox_reader
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.factories import LINE_NUMBER
from tests.functional.twilio_client import transport


def test_one_prompt_plays_two_callers_and_the_volunteer_who_takes_the_one_waiting(
    app: Flask, session: Session, clock: FrozenClock, config: Config
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    desk = Desk(lambda: transport(app), PUBLIC_BASE_URL, LINE_NUMBER, outbox_reader(config))
    said: list[str] = []

    desk.ring("+33611111111")
    for line in ("4", "75020", "a", "1"):  # the first caller is put through to the only volunteer
        desk.command(line, said.append)
    desk.command("+33622222222", said.append)
    for line in ("4", "75020"):  # the second one waits in line
        desk.command(line, said.append)
    assert any("Vous êtes la première personne en attente" in line for line in said)
    desk.command(":1", said.append)
    desk.command("", said.append)  # the first conversation ends: the line phones the volunteer
    desk.command("o", said.append)  # the offer call, read from the outbox (no Twilio credentials here)
    assert any("un patient attend depuis" in line for line in said)
    session.expire_all()
    assert session.scalars(select(OutboxMessage.status).where(OutboxMessage.purpose == "queue_offer")).all() == ["sent"]
    desk.command("1", said.append)

    assert [call.state for _, call in desk.calls] == ["ended", "queue_bridged", "bridged"]
    session.expire_all()
    waiting = session.scalars(select(Request).where(Request.caller == "+33622222222")).one()
    assert waiting.wait_end == "answered" and waiting.volunteer_id == volunteer.id
    desk.command("l", said.append)
    assert said[-3:] == ["  1: caller +33611111111 (ended)", "  2: caller +33622222222 (queue_bridged)",
                         f"* 3: volunteer {volunteer.phone} (bridged)"]  # fmt: skip
