"""The request page's story, pure: every event kind the code stores has a French label; reads fold into one line."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orientation.web.console.timeline import EVENT_FAMILIES, EVENT_LABELS, describe, fold_reads, is_technical, label

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orientation", "callflows", "volunteers", "directory")


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_event_row(node: ast.Dict) -> bool:
    """A dict literal with the keys of an event row ("kind", "payload", "at")."""
    keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return {"kind", "payload", "at"} <= keys


def emitted_kinds() -> tuple[set[str], set[str]]:
    """Literal kinds, and patterns of f-string kinds, passed to add_event, timeline_entry, note, @webhook and
    Event(kind=...), or in an event row's dict."""
    literal: set[str] = set()
    patterns: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Dict) and _is_event_row(node):
                    # An event row written by a Core statement (requests.received_events): its "kind" entry.
                    entry = dict(zip(node.keys, node.values, strict=True))
                    kind_value = next(v for k, v in entry.items() if isinstance(k, ast.Constant) and k.value == "kind")
                    if isinstance(kind_value, ast.Constant) and isinstance(kind_value.value, str):
                        literal.add(kind_value.value)
                    continue
                if not isinstance(node, ast.Call):
                    continue
                name = _name(node.func)
                kind: ast.expr | None = None
                # add_event(session, request, kind…), timeline_entry and inbound.note(session, request_id, kind…).
                if name in ("add_event", "timeline_entry", "note") and len(node.args) >= 3:
                    kind = node.args[2]
                elif name == "webhook" and node.args:
                    kind = node.args[0]
                elif name == "Event":
                    kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
                if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                    literal.add(kind.value)
                elif isinstance(kind, ast.JoinedStr):
                    parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+" for v in kind.values]
                    patterns.add("".join(parts))
    return literal, patterns


def test_every_event_kind_stored_by_the_code_has_a_french_label() -> None:
    literal, patterns = emitted_kinds()
    # The scan finds the kinds it must: the line's, the call-backs', the webhooks', the privacy jobs'.
    assert {"call.received", "callback.offered", "callback.offer", "recording.deleted", "transfer.started"} <= literal
    assert len(literal) > 40
    assert sorted(literal - EVENT_LABELS.keys()) == []
    for pattern in patterns:
        known = [kind for kind in EVENT_LABELS if re.fullmatch(pattern, kind)]
        family = [prefix for prefix in EVENT_FAMILIES if pattern.startswith(re.escape(prefix).rstrip("\\."))]
        assert known or family, pattern


def test_no_kind_is_shown_as_its_code() -> None:
    literal, _ = emitted_kinds()
    for kind in literal:
        text = describe(kind, {}, {})
        assert text != kind and "_" not in text and "." not in text.rstrip("."), (kind, text)


def test_twilios_callback_records_are_technical_and_the_call_back_story_is_not() -> None:
    for kind in ("callback.offer", "callback.status", "callback.dialed", "voice.dial", "sms.incoming", "call.status"):
        assert is_technical(kind), kind
    for kind in ("callback.offered", "callback.passed", "callback.not_reached", "transfer.started", "read"):
        assert not is_technical(kind), kind


def test_call_back_events_name_the_volunteer_and_the_counts() -> None:
    names = {5: "Dr Claire Martin"}
    assert describe("callback.offered", {"volunteer_id": 5}, names) == "Rappel proposé à Dr Claire Martin"
    assert describe("callback.passed", {"result": "no_answer"}, names) == (
        "Le bénévole ne prend pas le rappel (sans réponse)"
    )
    assert describe("callback.not_reached", {"failed_calls": 2}, names) == "Patient non joint : 2 appel(s) sans réponse"
    assert describe("transfer.started", {"neighbour": "CPTS Paris 11"}, names) == "Transfert vers CPTS Paris 11"


def test_an_unknown_kind_is_named_as_such_and_a_variable_one_by_its_family() -> None:
    assert label("something.new") == "Événement « something.new »"
    assert label("outbox.delivered") == "Message sortant"
    failed = describe("outbox.failed", {"channel": "sms"}, {})
    assert failed.startswith("SMS") and failed.endswith("en échec")


def test_reads_fold_into_a_count_the_last_reader_and_each_readers_count() -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    reads = [(start + timedelta(minutes=i), "Claire") for i in range(20)]
    reads += [(start + timedelta(minutes=5), "API (export)"), (start + timedelta(hours=2), "Marc")]
    folded = fold_reads(reads)
    assert folded.count == 22
    assert (folded.last_at, folded.last_by) == (start + timedelta(hours=2), "Marc")
    assert [(r.name, r.count) for r in folded.readers] == [("Marc", 1), ("Claire", 20), ("API (export)", 1)]
    assert folded.readers[1].last_at == start + timedelta(minutes=19)


def test_no_reads_fold_into_nothing() -> None:
    assert fold_reads([]).count == 0 and fold_reads([]).last_by is None
