"""An append-only local journal of calls the database could not take, replayed when it is back.

The fallback webhook and any webhook that fails on a database error write one JSON line per callback here,
without touching the database, so that a call that reached the line is never lost. `replay()` brings the
lines into the database later (the clock process does it every minute; `orientation journal replay` by hand),
idempotently: each line is applied once, by the key of its content.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return target


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
                    key=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
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
