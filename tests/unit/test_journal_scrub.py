"""The local journal rewritten without a person's number: other lines, keys and later appends are kept."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

from orientation.core import journal

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CALLER = "+33611223344"


def _append(folder: Path, **params: str) -> None:
    journal.append(str(folder), "/twilio/fallback", params, "database down", AT)


def test_a_number_written_in_another_spelling_is_scrubbed_too_and_a_later_append_lands_in_the_new_file(
    tmp_path: Path,
) -> None:
    _append(tmp_path, CallSid="CA1", From="0611223344", To="+33199000001")
    _append(tmp_path, MessageSid="SM1", From=CALLER, To="+33199000001", Body="PAUSE douleur")

    assert journal.scrub(str(tmp_path), CALLER) == 2
    _append(tmp_path, CallSid="CA2", From="+33799887766", To="+33199000001")

    (file,) = tmp_path.glob("journal-*.jsonl")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert [e.params for e in journal.read(str(tmp_path))] == [
        {"CallSid": "CA1", "To": "+33199000001"},
        {"MessageSid": "SM1", "To": "+33199000001"},
        {"CallSid": "CA2", "From": "+33799887766", "To": "+33199000001"},
    ]


def test_a_recording_twilio_did_not_delete_stays_in_the_journal_for_the_replay(tmp_path: Path) -> None:
    _append(tmp_path, CallSid="CA1", From=CALLER, To="+33199000001")
    _append(tmp_path, CallSid="CA1", RecordingSid="RE1", RecordingUrl="https://api.twilio.com/r", RecordingDuration="9")
    _append(tmp_path, CallSid="CA1", RecordingSid="RE2", RecordingUrl="https://api.twilio.com/r2")

    assert journal.recordings_of(str(tmp_path), CALLER) == ["RE1", "RE2"]
    journal.scrub(str(tmp_path), CALLER, forget={"RE2"})

    assert [e.params for e in journal.read(str(tmp_path))][1:] == [
        {"CallSid": "CA1", "RecordingSid": "RE1", "RecordingDuration": "9"},
        {"CallSid": "CA1"},
    ]


def test_a_journal_without_the_number_is_left_untouched(tmp_path: Path) -> None:
    _append(tmp_path, CallSid="CA1", From="+33799887766", To="+33199000001")
    (file,) = tmp_path.glob("journal-*.jsonl")
    before = file.read_bytes(), file.stat().st_ino

    assert journal.scrub(str(tmp_path), CALLER) == 0
    assert journal.scrub(str(tmp_path / "missing"), CALLER) == 0
    assert (file.read_bytes(), file.stat().st_ino) == before
