"""Retention: closed requests past their territory's period lose the caller's data and keep their figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import AuditEntry, Event, OutboxMessage, Request, Territory
from orientation.services import privacy
from orientation.services import requests as svc
from orientation.services.stats import figures_for
from tests import factories


def _figures(session: Session) -> dict[str, Any]:
    session.expire_all()
    return figures_for(session, None, None, None)


def test_a_request_closed_thirteen_months_ago_keeps_nothing_of_its_caller(
    session: Session, config: Config, engine: Engine, clock: FrozenClock
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    old = factories.closed_call(session, territory, now - relativedelta(months=13))

    done = privacy.pseudonymise_expired(factories.runtime(config, engine, clock), now)

    assert done == 1
    session.expire_all()
    request = session.get(Request, old.id)
    assert request is not None
    assert request.caller is None
    assert request.caller_pseudonym == privacy.pseudonym(config.secret_key, factories.CALLER)
    assert request.pseudonymised_at == now
    assert request.outcome_note is None
    assert request.recording_sid is None and request.recording_url is None
    # What the figures read is still there.
    assert (request.motive, request.postcode, request.outcome, request.status) == (
        "medecin_traitant",
        "75020",
        "matched",
        "closed",
    )
    assert request.had_message and request.recording_seconds == 42
    menu = session.scalars(select(Event).where(Event.request_id == old.id, Event.kind == "voice.menu")).one()
    assert menu.payload == {"Confidence": "0.9"}
    assert menu.response is None
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.request_id == old.id)).all()
    assert len(messages) == 2
    assert all(m.body is None for m in messages)
    assert sorted(m.to_number for m in messages) == ["", "+33600000999"]
    # The patient's SMS was never sent: without its text it must not leave any more.
    assert {m.purpose: m.status for m in messages} == {"patient_callback": "expired", "callback_alert": "stored"}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.request_id == old.id)).one()
    assert (entry.actor, entry.action, entry.reference) == ("retention", "pseudonymise", old.reference)
    assert "611223344" not in str(entry.details)


def test_a_request_closed_eleven_months_ago_and_one_still_open_are_left_alone(
    session: Session, config: Config, engine: Engine, clock: FrozenClock
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    recent = factories.closed_call(session, territory, now - relativedelta(months=11))
    pending, _ = svc.open_request(session, territory, "CA-pending", factories.CALLER, now - relativedelta(months=2))
    svc.to_callback(session, pending, now - relativedelta(months=2))
    session.commit()

    assert privacy.pseudonymise_expired(factories.runtime(config, engine, clock), now) == 0

    session.expire_all()
    assert session.get(Request, recent.id).caller == factories.CALLER  # type: ignore[union-attr]
    assert session.get(Request, recent.id).outcome_note is not None  # type: ignore[union-attr]
    assert session.get(Request, pending.id).caller == factories.CALLER  # type: ignore[union-attr]


def test_each_territory_keeps_data_for_its_own_number_of_months(
    session: Session, config: Config, engine: Engine, clock: FrozenClock
) -> None:
    now = clock()
    short = factories.territory(session, now, settings={"retention_months": 3})
    default = factories.territory(
        session, now, name="CPTS Lyon 8", reference_prefix="L8", phone_numbers=["+33199000002"], postcodes=["69008"]
    )
    in_short = factories.closed_call(session, short, now - relativedelta(months=4))
    in_default = factories.closed_call(session, default, now - relativedelta(months=4))

    assert privacy.pseudonymise_expired(factories.runtime(config, engine, clock), now) == 1

    session.expire_all()
    assert session.get(Request, in_short.id).caller is None  # type: ignore[union-attr]
    assert session.get(Request, in_default.id).caller == factories.CALLER  # type: ignore[union-attr]


def test_a_callback_left_pending_and_untouched_for_the_whole_period_is_pseudonymised_too(
    session: Session, config: Config, engine: Engine, clock: FrozenClock
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    stale, _ = svc.open_request(session, territory, "CA-stale", factories.CALLER, now - relativedelta(months=14))
    svc.to_callback(session, stale, now - relativedelta(months=14))
    session.commit()

    assert privacy.pseudonymise_expired(factories.runtime(config, engine, clock), now) == 1
    session.expire_all()
    assert session.get(Request, stale.id).caller is None  # type: ignore[union-attr]


def test_the_figures_are_the_same_before_and_after_pseudonymisation(
    session: Session, config: Config, engine: Engine, clock: FrozenClock
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    start = now - relativedelta(months=15)
    for day, (caller, outcome) in enumerate(
        [
            (factories.CALLER, "matched"),
            (factories.OTHER_CALLER, "oriented"),
            (None, "no_solution"),
            (factories.CALLER, "matched"),
        ]
    ):
        factories.closed_call(session, territory, start + timedelta(days=day), caller=caller, outcome=outcome)
    abandoned, _ = svc.open_request(session, territory, "CA-abandoned", factories.OTHER_CALLER, start)
    svc.choose_motive(session, abandoned, "visite_domicile", start, defaulted=False)
    svc.call_ended(session, abandoned, "completed", start + timedelta(seconds=50))
    factories.closed_call(session, territory, now - timedelta(days=3))  # recent: stays as it is
    session.commit()
    before = _figures(session)

    done = privacy.pseudonymise_expired(factories.runtime(config, engine, clock), now)

    assert done == 5
    assert _figures(session) == before
    assert before["motives"]["all"]["requests"] == 6
    # Returning callers can still be told apart: one pseudonym per number.
    pseudonyms = session.scalars(select(Request.caller_pseudonym).where(Request.pseudonymised_at.is_not(None))).all()
    assert sorted(p is not None for p in pseudonyms).count(True) == 4
    assert len({p for p in pseudonyms if p is not None}) == 2


def test_running_the_job_again_changes_nothing_and_large_backlogs_go_in_batches(
    session: Session, config: Config, engine: Engine, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    for day in range(5):
        factories.closed_call(session, territory, now - relativedelta(months=13) + timedelta(days=day))
    monkeypatch.setattr(privacy, "BATCH", 2)
    rt = factories.runtime(config, engine, clock)

    assert privacy.pseudonymise_expired(rt, now) == 5
    assert privacy.pseudonymise_expired(rt, now) == 0
    assert session.scalar(select(Request.id).where(Request.caller.is_not(None))) is None
    assert len(session.scalars(select(AuditEntry)).all()) == 5


@pytest.mark.parametrize(
    ("setting", "months"),
    [(None, 12), (3, 3), ("6", 6), (0, 12), (-5, 12), ("douze", 12), (True, 12), (2.5, 12), (36, 36)],
)
def test_a_retention_setting_typed_wrong_falls_back_to_twelve_months(setting: Any, months: int) -> None:
    territory = Territory(settings={} if setting is None else {"retention_months": setting})
    assert privacy.retention_months(territory) == months


def test_the_retention_job_is_scheduled_in_the_clock_process() -> None:
    from orientation.cli.scheduler import JOBS

    paths = {job.path for job in JOBS}
    assert "orientation.services.privacy:pseudonymise_expired" in paths
