"""The clock process's rota jobs on both databases: reminders sent once, the coordinator's gap summary, one clock."""

from __future__ import annotations

import importlib
from datetime import date, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation.cli.scheduler import JOBS, run_clock, single_instance
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import make_session_factory
from orientation.core.models import OutboxMessage, Territory
from orientation.services.volunteer_reminders import _record_once, send_gaps_summary, send_shift_reminders
from tests import factories
from tests.conftest import PARIS
from volunteers.models import SentReminder, ShiftException, ShiftPattern, Volunteer


def _wednesday_morning(session: Session, volunteer: Volunteer, now: datetime) -> ShiftPattern:
    return factories.pattern(session, volunteer, now, [2])


def _texts(session: Session, purpose: str = "rota_shift") -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose).order_by(OutboxMessage.id))
    return [(m.to_number, m.body or "") for m in rows]


def _at(clock: FrozenClock, day: int, hour: int, minute: int = 0) -> datetime:
    clock.set(datetime(2026, 11, day, hour, minute, tzinfo=PARIS))
    return clock()


def test_a_volunteer_is_reminded_the_evening_before_and_an_hour_before_each_once_across_restarts(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    _wednesday_morning(session, volunteer, clock())

    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 24, 17, 55)) == 0
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 24, 18, 0)) == 1
    for minute in (0, 5, 10):  # the same process again, then restarted twice
        assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 24, 18, minute)) == 0
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 25, 7, 55)) == 0
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 25, 8, 0)) == 1
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 25, 8, 30)) == 0
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 25, 10, 0)) == 0

    texts = _texts(session)
    assert [to for to, _ in texts] == [volunteer.phone, volunteer.phone]
    assert "demain de 09:00 à 12:00" in texts[0][1] and "CPTS Paris 20" in texts[0][1]
    assert "aujourd'hui de 09:00 à 12:00" in texts[1][1]
    keys = session.scalars(select(SentReminder.key).order_by(SentReminder.id)).all()
    assert [key.rsplit(":", 1)[-1] for key in keys] == ["day_before", "60min"]


def test_a_clock_stopped_all_evening_sends_only_the_latest_reminder_when_it_comes_back(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    _wednesday_morning(session, volunteer, clock())
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 25, 8, 10)) == 1
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 25, 8, 15)) == 0
    assert len(_texts(session)) == 1


def test_a_territory_chooses_its_reminder_times_or_turns_them_off(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    custom = factories.territory(session, clock(), settings={"reminders": {"day_before_at": "20:30",
                                                                            "minutes_before": [30]}})  # fmt: skip
    volunteer = factories.volunteer(session, custom, clock(), on_shift=False)
    _wednesday_morning(session, volunteer, clock())
    silent = factories.territory(
        session, clock(), name="CPTS Silence", reference_prefix="SIL", phone_numbers=["+33199000055"],
        postcodes=["69001"], settings={"reminders": {"enabled": False}},
    )  # fmt: skip
    quiet = factories.volunteer(session, silent, clock(), on_shift=False)
    _wednesday_morning(session, quiet, clock())

    sent = [
        send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, *when))
        for when in ((24, 18, 0), (24, 20, 30), (25, 8, 0), (25, 8, 30))
    ]
    assert sent == [0, 1, 0, 1]
    assert {to for to, _ in _texts(session)} == {volunteer.phone}


def test_the_replacement_is_reminded_and_not_the_volunteer_they_replace_nor_an_inactive_one(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False)
    durand = factories.volunteer(session, territory, clock(), on_shift=False)
    retired = factories.volunteer(session, territory, clock(), on_shift=False, active=False)
    pattern = _wednesday_morning(session, martin, clock())
    _wednesday_morning(session, retired, clock())
    session.add(ShiftException(pattern_id=pattern.id, on_date=date(2026, 11, 25), replacement_volunteer_id=durand.id,
                               created_at=clock()))  # fmt: skip
    session.commit()
    assert send_shift_reminders(factories.runtime(config, engine, clock), _at(clock, 24, 18, 0)) == 1
    assert [to for to, _ in _texts(session)] == [durand.phone]


def test_a_key_recorded_by_another_clock_process_is_not_sent_again(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factory = make_session_factory(engine)
    results = []
    for _ in range(2):
        with factory() as other:
            found = other.get(Territory, territory.id)
            assert found is not None
            recorded = _record_once(other, found, key="shift:x:v1:60min", kind="shift", to="+33611111111",
                                    body="rappel", due_at=clock(), now=clock(), live=False)  # fmt: skip
            results.append(recorded)
            other.commit()
    assert results[0] is not None and results[1] is None
    assert len(_texts(session)) == 1


def test_the_coordinator_gets_the_coming_weeks_gaps_once_a_day_from_eight(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone="+33655555555",
                                    opening_hours="Mo-Fr 08:00-20:00")  # fmt: skip
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    _wednesday_morning(session, volunteer, clock())
    assert send_gaps_summary(factories.runtime(config, engine, clock), _at(clock, 26, 7, 59)) == 0
    assert send_gaps_summary(factories.runtime(config, engine, clock), _at(clock, 26, 8, 0)) == 1
    assert send_gaps_summary(factories.runtime(config, engine, clock), _at(clock, 26, 12, 0)) == 0
    assert send_gaps_summary(factories.runtime(config, engine, clock), _at(clock, 27, 8, 15)) == 1
    texts = _texts(session, "rota_gaps")
    assert [to for to, _ in texts] == ["+33655555555", "+33655555555"]
    first = texts[0][1]
    # Thursday 26 from 08:00: Thu, Fri, Mon, Tue all day; Wednesday 2 December all but the morning shift.
    assert "jeu. 26/11 08:00–20:00 (tous motifs)" in first
    assert "mer. 2/12 12:00–20:00 (tous motifs)" in first
    assert "sam." not in first and "dim." not in first
    assert first.startswith("CPTS Paris 20 : 6 créneau(x) sans volontaire dans les 7 jours")


def test_no_gap_summary_without_a_coordinator_number_or_without_gaps(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    uncovered = factories.territory(session, clock(), coordinator_phone="+33655555555")
    factories.territory(session, clock(), name="CPTS Sans Coordination", reference_prefix="SC",
                        phone_numbers=["+33199000066"], postcodes=["69003"])  # fmt: skip
    covered = factories.territory(
        session, clock(), name="CPTS Couverte", reference_prefix="COV", phone_numbers=["+33199000077"],
        postcodes=["69002"], coordinator_phone="+33644444444",
    )  # fmt: skip
    always = factories.volunteer(session, covered, clock(), on_shift=False)
    # Every day, 24 hours from midnight, every motive of theirs: the line is never without someone.
    factories.pattern(session, always, clock(), list(range(7)), "00:00", "00:00", valid_from=date(2026, 1, 1))
    assert send_gaps_summary(factories.runtime(config, engine, clock), _at(clock, 26, 9, 0)) == 1
    session.expire_all()
    assert session.scalars(select(SentReminder.territory_id)).all() == [uncovered.id]
    assert [to for to, _ in _texts(session, "rota_gaps")] == ["+33655555555"]


# ---------------------------------------------------------------- the one clock process


def test_the_rota_jobs_are_scheduled_with_valid_triggers_and_importable_functions() -> None:
    specs = {spec.id: spec for spec in JOBS}
    assert {"rota_reminders", "rota_gaps_summary"} <= specs.keys()
    for spec in JOBS:
        module, _, name = spec.path.partition(":")
        assert callable(getattr(importlib.import_module(module), name))
        kwargs = dict(spec.trigger)
        kind = kwargs.pop("trigger")
        trigger = CronTrigger(timezone="Europe/Paris", **kwargs) if kind == "cron" else IntervalTrigger(**kwargs)
        assert trigger.get_next_fire_time(None, datetime(2026, 11, 24, 18, 1, tzinfo=PARIS)) is not None
    reminders = CronTrigger(timezone="Europe/Paris", **{k: v for k, v in specs["rota_reminders"].trigger.items()
                                                          if k != "trigger"})  # fmt: skip
    fire = reminders.get_next_fire_time(None, datetime(2026, 11, 24, 17, 57, tzinfo=PARIS))
    assert fire == datetime(2026, 11, 24, 18, 0, tzinfo=PARIS)


def test_a_second_holder_of_the_clock_lock_is_refused(engine: Engine, config: Config) -> None:
    lock_dir = config.journal_dir
    with single_instance(engine, lock_dir) as first, single_instance(engine, lock_dir) as second:
        assert (first, second) == (True, False)
    # Released when the first process stops: the stand-by can take over.
    with single_instance(engine, lock_dir) as again:
        assert again


def test_a_second_clock_process_on_postgresql_gives_up_without_starting_a_scheduler(
    engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite uses a file lock, tested above")
    import apscheduler.schedulers.blocking as blocking

    from orientation.cli import scheduler

    started: list[bool] = []
    monkeypatch.setattr(blocking.BlockingScheduler, "start", lambda self, *a, **k: started.append(True))
    # The clock's own engine, kept to be closed here: a process that gives up simply exits.
    engines: list[Engine] = []
    real_make_engine = scheduler.make_engine
    monkeypatch.setattr(scheduler, "make_engine", lambda url: engines.append(real_make_engine(url)) or engines[-1])
    try:
        with single_instance(engine, config.journal_dir) as first:
            assert first
            assert run_clock(config, stop_after=-1) == 1
    finally:
        for made in engines:
            made.dispose()
    assert started == [] and len(engines) == 1
