"""A local stand-in for Twilio's 2010-04-01 REST API: the few resources the app uses, nothing more."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DATE = "Mon, 02 Mar 2026 10:00:00 +0000"  # fixed: the fake never reads the wall clock
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# Twilio's alphanumeric sender ID: up to 11 ASCII letters, digits and spaces, not digits only.
_ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
DROPPED = 0  # handle()'s status for "close the connection without answering"
_ACCOUNT_PATH = re.compile(r"/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})(?P<rest>/.*)$")


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the tests inspect it."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    account: str | None  # the basic-auth user, None when absent


@dataclass
class _Failure:
    status: int
    code: int
    message: str


@dataclass(frozen=True)
class Raw:
    """A non-JSON answer (a recording's audio, a redirect)."""

    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class _State:
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    recordings: set[str] = field(default_factory=set)
    deleted_recordings: set[str] = field(default_factory=set)
    deleted_queues: set[str] = field(default_factory=set)
    status_callbacks: dict[str, str | None] = field(default_factory=dict)


def _snake(name: str) -> str:
    """VoiceFallbackUrl -> voice_fallback_url, as Twilio's JSON names its fields."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class FakeTwilioRest:
    """A threaded HTTP server on 127.0.0.1 answering like Twilio for messages, calls, numbers, recordings."""

    def __init__(self, account_sid: str = "AC" + "1" * 32, auth_token: str = "fake-auth-token") -> None:  # noqa: S107
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[RecordedRequest] = []
        self.state = _State()
        self._failures: list[_Failure] = []
        # When set, a recording's media is a redirect to this base + the same path (short-lived storage).
        self.media_location: str | None = None
        self.media = b"ID3-fake-mp3"
        self._failing_numbers: dict[str, _Failure] = {}
        self._drops: list[bool] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FakeTwilioRest:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: shutdown() waits for the next poll, and every test pays it.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def base_url(self) -> str:
        """Where the fake listens, e.g. http://127.0.0.1:54321."""
        assert self._server is not None, "use FakeTwilioRest as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------------ test controls

    def add_number(self, phone_number: str, sid: str | None = None) -> str:
        """Put a phone number in the fake account and return its PN sid."""
        sid = sid or self._sid("PN")
        with self._lock:
            self.state.numbers[sid] = {
                "sid": sid,
                "account_sid": self.account_sid,
                "phone_number": phone_number,
                "friendly_name": phone_number,
                "voice_url": None,
                "voice_method": "POST",
                "voice_fallback_url": None,
                "voice_fallback_method": "POST",
                "status_callback": None,
                "status_callback_method": "POST",
                "sms_url": None,
                "sms_method": "POST",
                "sms_fallback_url": None,
                "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
                "date_created": DATE,
                "date_updated": DATE,
                "api_version": "2010-04-01",
                "uri": self._uri(f"IncomingPhoneNumbers/{sid}.json"),
            }
        return sid

    def add_recording(self, sid: str | None = None) -> str:
        """Keep a recording in the fake account (as a <Record> would) and return its RE sid."""
        sid = sid or self._sid("RE")
        with self._lock:
            self.state.recordings.add(sid)
        return sid

    def fail_next(self, status: int = 500, code: int = 20500, message: str = "Internal Server Error") -> None:
        """Answer the next request with this Twilio-shaped error, whatever it asks."""
        with self._lock:
            self._failures.append(_Failure(status, code, message))

    def fail_for(self, to: str, code: int, status: int = 400, message: str = "") -> None:
        """Refuse every message or call created to ``to`` with this Twilio error, as Twilio refuses a bad number."""
        with self._lock:
            self._failing_numbers[to] = _Failure(status, code, message or f"Error {code}")

    def drop_next(self, carried_out: bool = True) -> None:
        """Close the next request's connection without answering: after doing its work, or before (both happen)."""
        with self._lock:
            self._drops.append(carried_out)

    def status_report(self, sid: str, status: str, error_code: int | None = None) -> tuple[str, dict[str, str]]:
        """The status callback Twilio posts for a message it created: (its StatusCallback URL, the form)."""
        with self._lock:
            message = self.state.messages[sid]
            message["status"] = status
            message["error_code"] = error_code
        url = self.state.status_callbacks.get(sid)
        assert url, "the message was created without a StatusCallback"
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message["to"],
        }
        if message.get("from"):
            form["From"] = message["from"]
        if message.get("messaging_service_sid"):
            form["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return url, form

    def requests_to(self, suffix: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path ends with ``suffix`` (and with that method, if given)."""
        return [r for r in self.requests if r.path.endswith(suffix) and method in (None, r.method)]

    # ------------------------------------------------------------------ the API

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):032x}"

    def _uri(self, rest: str) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/{rest}"

    def handle(self, method: str, raw_path: str, form: dict[str, str], auth: str | None) -> tuple[int, Any]:
        """Route one request; return (status, JSON body or None)."""
        split = urlsplit(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        user, password = _basic_auth(auth)
        with self._lock:
            self.requests.append(RecordedRequest(method, split.path, query, dict(form), user))
            failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                return failure.status, _error(failure.status, failure.code, failure.message)
            if (user, password) != (self.account_sid, self.auth_token):
                return 401, _error(401, 20003, "Authenticate")
            match = _ACCOUNT_PATH.match(split.path)
            if match is None or match["account"] != self.account_sid:
                return _not_found(split.path)
            drop = self._drops.pop(0) if self._drops else None
            if drop is False:
                return DROPPED, None
            answer = self._route(method, match["rest"], split.path, query, form)
            # Dropped after the work: Twilio may have created the call before the client stopped waiting.
            return (DROPPED, None) if drop else answer

    def _route(self, method: str, rest: str, path: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any]:
        if (method, rest) == ("POST", "/Messages.json"):
            return self._create_message(form)
        if (method, rest) == ("POST", "/Calls.json"):
            return self._create_call(form)
        if (method, rest) == ("GET", "/IncomingPhoneNumbers.json"):
            return self._list_numbers(query)
        if found := re.fullmatch(r"/Calls/(CA[0-9a-f]{32})\.json", rest):
            call = self.state.calls.get(found[1])
            if call is None or method not in ("POST", "GET"):
                return _not_found(path)
            if method == "POST":
                call.update({_snake(key): value for key, value in form.items()})
            return 200, call
        if found := re.fullmatch(r"/IncomingPhoneNumbers/(PN[0-9a-f]{32})\.json", rest):
            number = self.state.numbers.get(found[1])
            if number is None or method not in ("POST", "GET"):
                return _not_found(path)
            if method == "POST":
                number.update({_snake(key): value for key, value in form.items()})
                number["date_updated"] = DATE
            return 200, number
        if found := re.fullmatch(r"/Recordings/(RE[0-9a-fA-F]{32})\.mp3", rest):
            if method != "GET" or found[1] not in self.state.recordings:
                return _not_found(path)
            if self.media_location is not None:
                # Twilio may send the media from short-lived storage on another host (docs/twilio-contract.md).
                return 302, Raw(headers=(("Location", self.media_location + path),))
            return 200, Raw(self.media, "audio/mpeg")
        if found := re.fullmatch(r"/Queues/(QU[0-9a-fA-F]{32})\.json", rest):
            # Twilio's Queue resource: DELETE removes an empty queue (204); the fake keeps no queues of its own
            # (the simulator's switchboard plays them), so any well-formed sid is taken as an empty queue.
            if method != "DELETE":
                return _not_found(path)
            self.state.deleted_queues.add(found[1])
            return 204, None
        if found := re.fullmatch(r"/Recordings/(RE[0-9a-fA-F]{32})\.json", rest):
            # Twilio's Recording resource: DELETE answers 204 with no body; a sid the account does not hold
            # (never made, or deleted already) is a 404 like any unknown resource (docs/twilio-contract.md).
            if method != "DELETE" or found[1] not in self.state.recordings:
                return _not_found(path)
            self.state.recordings.discard(found[1])
            self.state.deleted_recordings.add(found[1])
            return 204, None
        return _not_found(path)

    def _create_message(self, form: dict[str, str]) -> tuple[int, Any]:
        to = form.get("To", "")
        if not to:
            return 400, _error(400, 21604, "A 'To' phone number is required.")
        if not _E164.fullmatch(to):
            # Twilio's message repeats the number: the client must not pass it on.
            return 400, _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 400, _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
        service = form.get("MessagingServiceSid")
        if service is not None and not _MESSAGING_SERVICE.fullmatch(service):
            return 400, _error(400, 21705, "The Messaging Service is invalid")
        sender = form.get("From")
        if sender is not None and not (_E164.fullmatch(sender) or _ALPHANUMERIC.fullmatch(sender)):
            return 400, _error(400, 21606, "The 'From' phone number provided is not a valid message-capable number")
        if not form.get("Body") and not form.get("MediaUrl"):
            return 400, _error(400, 21602, "Message body is required.")
        if to in self._failing_numbers:
            failure = self._failing_numbers[to]
            return failure.status, _error(failure.status, failure.code, failure.message)
        sid = self._sid("SM")
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "price": None,
            "error_code": None,
            "error_message": None,
            "date_created": DATE,
            "date_updated": DATE,
            "date_sent": None,
            "api_version": "2010-04-01",
            "uri": self._uri(f"Messages/{sid}.json"),
        }
        self.state.messages[sid] = message
        # Not a property of Twilio's resource: kept aside, where Twilio keeps it.
        self.state.status_callbacks[sid] = form.get("StatusCallback")
        return 201, message

    def _create_call(self, form: dict[str, str]) -> tuple[int, Any]:
        to = form.get("To", "")
        if not _E164.fullmatch(to):
            return 400, _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not form.get("From"):
            return 400, _error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Url") and not form.get("Twiml") and not form.get("ApplicationSid"):
            return 400, _error(400, 21205, "Url parameter is required.")
        if to in self._failing_numbers:
            failure = self._failing_numbers[to]
            return failure.status, _error(failure.status, failure.code, failure.message)
        sid = self._sid("CA")
        call = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form["From"],
            "status": "queued",
            "direction": "outbound-api",
            "parent_call_sid": None,
            "duration": None,
            "start_time": None,
            "end_time": None,
            "date_created": DATE,
            "date_updated": DATE,
            "api_version": "2010-04-01",
            "uri": self._uri(f"Calls/{sid}.json"),
        }
        self.state.calls[sid] = call
        self.state.status_callbacks[sid] = form.get("StatusCallback")
        return 201, call

    def _list_numbers(self, query: dict[str, str]) -> tuple[int, Any]:
        wanted = query.get("PhoneNumber")
        numbers = [n for n in self.state.numbers.values() if wanted in (None, n["phone_number"])]
        page_size = int(query.get("PageSize", "50"))
        uri = self._uri("IncomingPhoneNumbers.json")
        return 200, {
            "incoming_phone_numbers": numbers[:page_size],
            "page": 0,
            "page_size": page_size,
            "start": 0,
            "end": max(len(numbers[:page_size]) - 1, 0),
            "uri": f"{uri}?PageSize={page_size}&Page=0",
            "first_page_uri": f"{uri}?PageSize={page_size}&Page=0",
            "next_page_uri": None,
            "previous_page_uri": None,
        }


def _basic_auth(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.startswith("Basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _not_found(path: str) -> tuple[int, Any]:
    return 404, _error(404, 20404, f"The requested resource {path} was not found")


class _Handler(BaseHTTPRequestHandler):
    owner: FakeTwilioRest
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        form = dict(parse_qsl(body, keep_blank_values=True))
        status, payload = self.owner.handle(self.command, self.path, form, self.headers.get("Authorization"))
        if status == DROPPED:
            self.close_connection = True
            return
        raw = payload if isinstance(payload, Raw) else None
        if raw is not None:
            data, content_type = raw.body, raw.content_type
        else:
            data = b"" if payload is None else json.dumps(payload).encode("utf-8")
            content_type = None if payload is None else "application/json"
        self.send_response(status)
        for name, value in raw.headers if raw is not None else ():
            self.send_header(name, value)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: request lines would clutter the test output."""
