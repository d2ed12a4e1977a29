"""Application logs an administrator can read: one line per event, with what it belongs to, and no numbers.

Every line carries its time (UTC), level, logger and, where known, the request id (the same on every line of
one web request), the territory, the CallSid, or the clock job. That context lives in a context variable:
web requests set it on arrival (`install`), services add the territory once they know it (`bind`), the clock
sets it around each job (`scope`). Lines are plain text, or JSON objects one a line
(`ORIENTATION_LOG_FORMAT=json`); both pass through `redact`, which masks anything shaped like a phone number
so that a caller's number cannot reach the logs even through an exception's text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from flask import Flask

# The loggers of the product's packages: INFO and above reach the handler; other libraries stay at WARNING.
PACKAGES = ("orientation", "callflows", "volunteers", "directory")
# The context fields, in the order the text format shows them.
FIELDS = ("request_id", "territory_id", "call_sid", "job")
# A proxy's request id is kept only when it looks like one (nginx's $request_id is 32 hex digits): anything
# else could forge log lines or carry data, and is replaced by one of ours.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# E.164 (+33612345678) and French national numbers written with or without separators (06 12 34 56 78).
_PHONE = re.compile(r"\+\d{7,15}\b|(?<![\w.])0[1-9](?:[ .-]?\d{2}){4}(?!\w|\.\d)")

_context: ContextVar[dict[str, Any] | None] = ContextVar("orientation_log_context", default=None)


def redact(text: str) -> str:
    """The text with every phone-number-shaped part masked."""
    return _PHONE.sub("[number]", text)


def context() -> dict[str, Any]:
    """The fields the current log lines carry (request id, territory, CallSid, job)."""
    return dict(_context.get() or {})


def bind(**fields: Any) -> None:
    """Add fields to the current web request's context (e.g. the territory, once a webhook has found it)."""
    current = _context.get()
    if current is None or "request_id" not in current:
        # Outside a web request (a clock job going through territories, a CLI command): the field would stick
        # to lines that do not belong to it.
        return
    current.update({k: v for k, v in fields.items() if v is not None})


@contextmanager
def scope(**fields: Any) -> Iterator[None]:
    """A fresh context for the lines logged inside (a clock job run, a CLI command)."""
    token = _context.set({k: v for k, v in fields.items() if v is not None})
    try:
        yield
    finally:
        _context.reset(token)


def request_id_from(header: str | None) -> str:
    """The proxy's request id when it is sane, else a new random one."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Copies the current context onto each record (a missing field is None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the context fields; never drops a record."""
        current = _context.get() or {}
        for name in FIELDS:
            setattr(record, name, current.get(name))
        return True


class TextFormatter(logging.Formatter):
    """`2026-11-24T09:00:00.123Z INFO callflows.webhooks [request_id=… territory_id=3 call_sid=CA…] message`."""

    def format(self, record: logging.LogRecord) -> str:
        """One line (a traceback follows on the next lines), numbers masked."""
        fields = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None))
        context = f" [{fields}]" if fields else ""
        line = f"{_timestamp(record)} {record.levelname} {record.name}{context} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context fields present, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """A JSON line, numbers masked."""
        entry: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname, "logger": record.name}
        entry.update({name: getattr(record, name) for name in FIELDS if getattr(record, name, None) is not None})
        entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False))


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn, systemd and test captures swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(log_format: str = "text", level: str = "INFO") -> None:
    """Send the product's log lines to stderr in `log_format`; "off" leaves logging to the host (gunicorn's
    --log-config, say). Idempotent: calling it again replaces the handler it installed."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    for package in PACKAGES:
        logging.getLogger(package).setLevel(level)
    if log_format == "off":
        return
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root.addHandler(handler)


def install(app: Flask) -> None:
    """Give every web request its id (echoed in `X-Request-Id`) and its CallSid in the log context, and log one
    line per Twilio webhook with its status and duration."""
    from flask import Response, request

    log = logging.getLogger("orientation.web")

    @app.before_request
    def _open_context() -> None:
        # Set, not scoped: the SMS and calls a webhook sends after its answer (response.call_on_close) still
        # log under its id; the context is emptied once the response is closed (below).
        fields: dict[str, Any] = {
            "request_id": request_id_from(request.headers.get("X-Request-Id")),
            "started": time.perf_counter(),
        }
        if request.blueprint == "twilio" and request.mimetype == "application/x-www-form-urlencoded":
            fields["call_sid"] = request.form.get("CallSid") or None
        _context.set(fields)

    @app.after_request
    def _close_context(response: Response) -> Response:
        current = _context.get() or {}
        if "request_id" in current:
            response.headers.setdefault("X-Request-Id", str(current["request_id"]))
        if request.blueprint == "twilio":
            elapsed = (time.perf_counter() - current.get("started", time.perf_counter())) * 1000
            # The path only: query strings of our own URLs carry ids, and signed links carry tokens.
            log.info("%s %s %d in %.1f ms", request.method, request.path, response.status_code, elapsed)
        response.call_on_close(lambda: _context.set(None))
        return response
