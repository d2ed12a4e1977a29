"""Erasure and retention delete the patient's voice message at Twilio (a local fake of its REST API) before
forgetting where it was, retry what Twilio refused, and scrub the number from the local journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from callflows.telephony import TwilioTelephony
from orientation import cli
from orientation.core import journal
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import make_session_factory
from orientation.core.models import AuditEntry, Event, Request
from orientation.core.runtime import Runtime
from orientation.services import privacy
from orientation.services import requests as svc
from orientation.services.journal_replay import replay
from tests import factories
from tests.fakes.twilio_rest import FakeTwilioRest

OTHER = "+33799887766"


def _runtime(config: Config, engine: Engine, clock: FrozenClock, fake: FakeTwilioRest | None) -> Runtime:
    sender = TwilioTelephony(fake.account_sid, fake.auth_token, fake.base_url) if fake is not None else None
    return factories.runtime(config, engine, clock, sender)


def _expired_call(session: Session, now: datetime) -> Request:
    """A call of a new territory, closed thirteen months ago: past the default retention of twelve."""
    territory = factories.territory(session, now)
    return factories.closed_call(session, territory, now - relativedelta(months=13))


def _with_recording(session: Session, request: Request, fake: FakeTwilioRest | None) -> str:
    """Give the request a recording of its own, held by the fake account when there is one."""
    sid = fake.add_recording() if fake is not None else f"RE{request.id:032x}"
    request.recording_sid = sid
    request.recording_url = f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}"
    session.commit()
    return sid


def _deletions(session: Session) -> list[Event]:
    session.expire_all()
    return list(session.scalars(select(Event).where(Event.kind == "recording.deleted").order_by(Event.id)))


def _fresh(session: Session, request: Request) -> Request:
    session.expire_all()
    found = session.get(Request, request.id)
    assert found is not None
    return found


def test_retention_deletes_the_voice_message_at_twilio_before_forgetting_it(
    session: Session, config: Config, engine: Engine, clock: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = clock()
    old = _expired_call(session, now)
    sid = _with_recording(session, old, fake)

    assert privacy.pseudonymise_expired(_runtime(config, engine, clock, fake), now) == 1

    deletes = fake.requests_to(f"/Accounts/{fake.account_sid}/Recordings/{sid}.json", "DELETE")
    assert len(deletes) == 1 and deletes[0].account == fake.account_sid
    assert fake.state.deleted_recordings == {sid} and fake.state.recordings == set()
    assert _fresh(session, old).recording_sid is None and _fresh(session, old).recording_url is None
    (event,) = _deletions(session)
    assert (event.actor, event.payload) == ("retention", {"reason": "retention", "at_twilio": "deleted"})


def test_a_deletion_twilio_refuses_keeps_the_sid_and_the_next_run_deletes_it(
    session: Session, config: Config, engine: Engine, clock: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = clock()
    old = _expired_call(session, now)
    sid = _with_recording(session, old, fake)
    fake.fail_next(status=503, code=20503, message="Service Unavailable")
    rt = _runtime(config, engine, clock, fake)

    assert privacy.pseudonymise_expired(rt, now) == 1

    refused = _fresh(session, old)
    # Everything else about the caller is gone at once; only the sid waits for Twilio.
    assert refused.caller is None and refused.outcome_note is None and refused.recording_url is None
    assert refused.recording_sid == sid
    assert _deletions(session) == [] and fake.state.recordings == {sid}

    clock.advance(days=1)
    assert privacy.pseudonymise_expired(rt, clock()) == 0

    assert _fresh(session, old).recording_sid is None
    assert fake.state.deleted_recordings == {sid}
    (event,) = _deletions(session)
    assert event.payload == {"reason": "retry", "at_twilio": "deleted"}


def test_a_run_stops_asking_twilio_after_three_refusals_in_a_row_and_the_next_run_deletes_them_all(
    session: Session, config: Config, engine: Engine, clock: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    sids = {_with_recording(session, factories.closed_call(session, territory, now - relativedelta(months=13)), fake)
            for _ in range(5)}  # fmt: skip
    for _ in range(privacy.GIVE_UP_AFTER):
        fake.fail_next(status=503, code=20503, message="Service Unavailable")
    rt = _runtime(config, engine, clock, fake)

    assert privacy.pseudonymise_expired(rt, now) == 5
    assert len(fake.requests_to(".json", "DELETE")) == privacy.GIVE_UP_AFTER
    assert fake.state.recordings == sids

    privacy.pseudonymise_expired(rt, now + timedelta(days=1))
    assert fake.state.recordings == set() and fake.state.deleted_recordings == sids


def test_a_recording_twilio_no_longer_has_counts_as_deleted(
    session: Session, config: Config, engine: Engine, clock: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = clock()
    old = _expired_call(session, now)
    _with_recording(session, old, None)  # a sid the fake account does not hold: 404

    assert privacy.pseudonymise_expired(_runtime(config, engine, clock, fake), now) == 1

    assert _fresh(session, old).recording_sid is None
    (event,) = _deletions(session)
    assert event.payload == {"reason": "retention", "at_twilio": "already_gone"}


def test_without_a_twilio_account_the_event_says_nothing_was_stored_there(
    session: Session, config: Config, engine: Engine, clock: FrozenClock
) -> None:
    now = clock()
    old = _expired_call(session, now)

    assert privacy.pseudonymise_expired(_runtime(config, engine, clock, None), now) == 1

    assert _fresh(session, old).recording_sid is None
    (event,) = _deletions(session)
    assert event.payload["at_twilio"] == "no_account"
    assert "nothing was stored at Twilio" in event.payload["detail"]


def test_a_message_left_without_a_number_and_never_called_back_is_erased_after_the_retention(
    session: Session, config: Config, engine: Engine, clock: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    left_at = now - relativedelta(months=12, days=1)
    withheld, _ = svc.open_request(session, territory, "CA-withheld", None, left_at)
    svc.to_callback(session, withheld, left_at)
    session.commit()
    sid = _with_recording(session, withheld, fake)
    recent, _ = svc.open_request(session, territory, "CA-recent", None, now - relativedelta(months=11))
    svc.to_callback(session, recent, now - relativedelta(months=11))
    session.commit()
    kept = _with_recording(session, recent, fake)

    assert privacy.pseudonymise_expired(_runtime(config, engine, clock, fake), now) == 1

    gone = _fresh(session, withheld)
    assert gone.status == "callback_pending" and gone.pseudonymised_at == now and gone.recording_sid is None
    assert fake.state.deleted_recordings == {sid} and fake.state.recordings == {kept}
    assert _fresh(session, recent).recording_sid == kept


def _journal_line(directory: Path, call_sid: str, **params: str) -> None:
    journal.append(str(directory), "/twilio/fallback", {"CallSid": call_sid, **params}, "database down", _AT)


_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # the database was down four days before the tests' "now"


def _erase(tmp_path: Path, database_url: str, fake: FakeTwilioRest, number: str = factories.CALLER) -> Result:
    env: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "ORIENTATION_INSTANCE": str(tmp_path / "instance"),
        "ORIENTATION_JOURNAL_DIR": str(tmp_path / "journal"),
        "ORIENTATION_ENV": None,
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE_URL": fake.base_url,
        "USER": "dpo",
        "LOGNAME": "dpo",
    }
    return CliRunner().invoke(cli.main, ["privacy", "erase", number, "--yes"], env=env, catch_exceptions=False)


def test_erase_deletes_the_messages_at_twilio_and_scrubs_the_number_from_the_journal(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    request = factories.closed_call(session, territory, now - timedelta(days=2))
    in_database = _with_recording(session, request, fake)
    only_journaled = fake.add_recording()
    folder = tmp_path / "journal"
    _journal_line(folder, "CA" + "a" * 32, From=factories.CALLER, To=factories.LINE_NUMBER, CallStatus="in-progress")
    _journal_line(folder, "CA" + "a" * 32, RecordingSid=only_journaled, RecordingUrl="https://api.twilio.com/r")
    _journal_line(folder, "CA" + "b" * 32, From=OTHER, To=factories.LINE_NUMBER, CallStatus="in-progress")
    keys_before = [entry.key for entry in journal.read(str(folder))]

    result = _erase(tmp_path, database_url, fake)

    assert result.exit_code == 0, result.output
    assert "voice messages deleted at Twilio: 2" in result.output
    assert "journal: 2 lines rewritten" in result.output
    assert fake.state.deleted_recordings == {in_database, only_journaled}
    assert _fresh(session, request).recording_sid is None
    (event,) = _deletions(session)
    assert (event.actor, event.payload) == ("cli:dpo", {"reason": "erasure", "at_twilio": "deleted"})
    text = "".join(f.read_text() for f in folder.glob("journal-*.jsonl"))
    assert factories.CALLER not in text and factories.CALLER[1:] not in text and only_journaled not in text
    assert OTHER in text  # another caller's line is left as it was
    entries = list(journal.read(str(folder)))
    # Same lines, same keys: a line replayed before the erasure is not replayed again after it.
    assert [e.key for e in entries] == keys_before
    assert entries[0].params == {"CallSid": "CA" + "a" * 32, "To": factories.LINE_NUMBER, "CallStatus": "in-progress"}
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).one()
    assert audit.details["recordings_deleted"] == 2 and audit.details["journal_lines"] == 2


def test_a_journaled_call_erased_before_its_replay_comes_back_without_a_number(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock, fake: FakeTwilioRest
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    folder = tmp_path / "journal"
    _journal_line(folder, "CA" + "c" * 32, From=factories.CALLER, To=factories.LINE_NUMBER, CallStatus="in-progress")

    assert _erase(tmp_path, database_url, fake).exit_code == 0
    report = replay(make_session_factory(session.get_bind()), str(folder), now)  # type: ignore[arg-type]

    assert report.applied == 1
    replayed = session.scalars(select(Request).where(Request.call_sid == "CA" + "c" * 32)).one()
    assert replayed.caller is None and replayed.territory_id == territory.id


def test_erase_says_what_twilio_refused_and_the_retention_job_deletes_it_later(
    session: Session,
    database_url: str,
    config: Config,
    engine: Engine,
    tmp_path: Path,
    frozen_cli: FrozenClock,
    fake: FakeTwilioRest,
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    request = factories.closed_call(session, territory, now - timedelta(days=2))
    sid = _with_recording(session, request, fake)
    fake.fail_next(status=500)

    result = _erase(tmp_path, database_url, fake)

    assert result.exit_code == 0
    assert "Twilio did not delete 1 voice messages now" in result.output
    erased = _fresh(session, request)
    assert erased.caller is None and erased.recording_sid == sid and erased.recording_url is None

    privacy.pseudonymise_expired(_runtime(config, engine, frozen_cli, fake), now + timedelta(days=1))

    assert _fresh(session, request).recording_sid is None and fake.state.deleted_recordings == {sid}
