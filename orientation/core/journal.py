"""An append-only local journal of calls the database could not take, replayed when it is back.

The fallback webhook and any webhook that fails on a database error write one JSON line per callback here,
without touching the database, so that a call that reached the line is never lost. `replay()` brings the
lines into the database later (the clock process does it every minute; `orientation journal replay` by hand),
idempotently: each line is applied once, by the key of its content.

A person's erasure rewrites the lines of their calls without their number (`scrub`); a rewritten line keeps
the key of the line it was, so that it is not applied a second time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orientation.core.phones import try_e164

# Only what the replay needs: who called which line, and what Twilio said of the call.
JOURNALED_PARAMS = (
    "CallSid",
    "ParentCallSid",
    "From",
    "To",
    "CallStatus",
    "ErrorCode",
    "RecordingUrl",
    "RecordingSid",
    "RecordingDuration",
    "MessageSid",
    "Body",
)


@dataclass(frozen=True)
class Entry:
    """One journaled callback."""

    key: str
    at: datetime
    path: str
    reason: str
    params: dict[str, str]
    file: str = ""


def append(directory: str, path: str, params: dict[str, str], reason: str, at: datetime) -> Path:
    """Write one line, flushed to disk before returning (the caller's answer depends on it being kept)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    kept = {k: str(v)[:2000] for k, v in params.items() if k in JOURNALED_PARAMS}
    line = json.dumps(
        {"at": at.astimezone(UTC).isoformat(), "path": path, "reason": reason, "params": kept},
        ensure_ascii=False,
        sort_keys=True,
    )
    target = folder / f"journal-{at.astimezone(UTC):%Y%m%d}.jsonl"
    with _locked_for_append(target) as descriptor:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    return target


@contextmanager
def _locked_for_append(target: Path) -> Iterator[int]:
    """The file open for appending under an exclusive lock, the file now at that path (scrub may replace it)."""
    while True:
        descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            current = os.stat(target).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            current = False  # discarded meanwhile: open it again (created anew)
        if current:
            break
        # Scrub swapped a rewritten file in while this one waited for the lock: append to the new one.
        os.close(descriptor)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def read(directory: str) -> Iterator[Entry]:
    """Every readable line of every journal file, oldest file first; a torn last line is skipped."""
    folder = Path(directory)
    if not folder.is_dir():
        return
    for file in sorted(folder.glob("journal-*.jsonl")):
        with open(file, encoding="utf-8", errors="replace") as handle:
            for raw in handle:
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    data: dict[str, Any] = json.loads(raw)
                    at = datetime.fromisoformat(data["at"])
                    params = {str(k): str(v) for k, v in dict(data.get("params") or {}).items()}
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut by a crash mid-write: nothing to replay from it
                yield Entry(
                    key=str(data.get("key") or _key(raw)),
                    at=at,
                    path=str(data.get("path", "")),
                    reason=str(data.get("reason", "")),
                    params=params,
                    file=str(file),
                )


def discard(file: str, now: datetime) -> bool:
    """Remove a journal file once it is all in the database, unless it is today's (still appended to)."""
    path = Path(file)
    if path.name == f"journal-{now.astimezone(UTC):%Y%m%d}.jsonl" or not path.exists():
        return False
    path.unlink()
    return True


def _key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- a person's erasure


def _names(value: str | None, e164: str) -> bool:
    return bool(value) and (value == e164 or try_e164(value) == e164)


def _calls_of(folder: Path, e164: str) -> set[str]:
    """The call sids of every journaled callback whose caller or called number is `e164`."""
    calls: set[str] = set()
    for entry in read(str(folder)):
        if _names(entry.params.get("From"), e164) or _names(entry.params.get("To"), e164):
            calls.update(v for v in (entry.params.get("CallSid"), entry.params.get("ParentCallSid")) if v)
    return calls


def _concerned(params: dict[str, str], e164: str, calls: set[str]) -> bool:
    linked = params.get("CallSid") in calls or params.get("ParentCallSid") in calls
    return linked or _names(params.get("From"), e164) or _names(params.get("To"), e164)


def recordings_of(directory: str, e164: str) -> list[str]:
    """The sids of the voice messages journaled during calls of `e164` (to delete them at Twilio)."""
    folder = Path(directory)
    calls = _calls_of(folder, e164)
    sids = [
        e.params["RecordingSid"]
        for e in read(directory)
        if _concerned(e.params, e164, calls) and e.params.get("RecordingSid")
    ]
    return list(dict.fromkeys(sids))


def scrub(directory: str, e164: str, forget: Collection[str] = ()) -> int:
    """Rewrite the journal without `e164` (number, SMS text, recording link); returns how many lines changed.

    Recording sids in `forget` (deleted at Twilio) go too; any other stays, so that the replay still brings
    the message to a request where retention will delete it. The call and its times stay: a call that
    reached the line is still replayed, as a request without a number.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return 0
    calls = _calls_of(folder, e164)
    changed = 0
    for file in sorted(folder.glob("journal-*.jsonl")):
        changed += _scrub_file(file, e164, calls, set(forget))
    return changed


def _scrub_line(raw: str, e164: str, calls: set[str], forget: set[str]) -> str | None:
    """The line without the person's data, or None when it holds none."""
    try:
        data: dict[str, Any] = json.loads(raw)
        params = {str(k): str(v) for k, v in dict(data.get("params") or {}).items()}
    except (ValueError, TypeError):
        return None
    if not _concerned(params, e164, calls):
        return None
    kept = {k: v for k, v in params.items() if not (k in ("From", "To") and _names(v, e164))}
    if _names(params.get("From"), e164):
        kept.pop("Body", None)  # what the person texted
    kept.pop("RecordingUrl", None)
    if kept.get("RecordingSid") in forget:
        kept.pop("RecordingSid")
        kept.pop("RecordingDuration", None)
    if kept == params:
        return None
    # The rewritten line keeps the key of the original one: a line replayed before is not replayed again.
    rewritten = {**data, "params": kept, "key": data.get("key") or _key(raw)}
    return json.dumps(rewritten, ensure_ascii=False, sort_keys=True)


def _scrub_file(file: Path, e164: str, calls: set[str], forget: set[str]) -> int:
    """Rewrite one file under its lock, replacing it whole (a crash leaves the old file or the new, never half)."""
    while True:
        try:
            current = open(file, "rb")  # noqa: SIM115 - closed below, after the lock is checked
        except FileNotFoundError:
            return 0  # discarded once replayed: nothing left to scrub
        fcntl.flock(current.fileno(), fcntl.LOCK_EX)
        try:
            still_there = os.stat(file).st_ino == os.fstat(current.fileno()).st_ino
        except FileNotFoundError:
            still_there = False
        if still_there:
            break
        current.close()  # another erasure replaced it while this one waited: read the new file
    with current:
        lines = current.read().decode("utf-8", errors="replace").splitlines()
        changed = 0
        out: list[str] = []
        for raw in lines:
            rewritten = _scrub_line(raw.strip(), e164, calls, forget) if raw.strip() else None
            changed += rewritten is not None
            out.append(raw if rewritten is None else rewritten)
        if not changed:
            return 0
        temporary = file.with_name(file.name + ".scrub")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, "".join(line + "\n" for line in out).encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, file)
        # Appenders waiting on the old file's lock see the new inode and append there (_locked_for_append).
    return changed
