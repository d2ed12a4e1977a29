"""Outgoing SMS and calls through the official Twilio client: the only module importing twilio.rest.

Errors become ``TelephonyError`` carrying the operation, HTTP status and Twilio error code, never
Twilio's own message: it often repeats the phone number, and numbers and SMS bodies are health data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from orientation.core.sms_sender import message_sender_params


class TelephonyError(Exception):
    """Twilio refused or could not be reached; the message is safe to log (no number, no body).

    ``maybe_created``: no answer came after the request was sent (a read timeout, a dropped connection), so
    Twilio may have created the message or call anyway. False when Twilio answered, or was never reached.
    """

    def __init__(
        self, message: str, status: int | None = None, code: int | None = None, maybe_created: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.maybe_created = maybe_created


class Telephony(Protocol):
    """What the app needs from a phone provider; an outbox can play it in demos."""

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send an SMS and return its sid."""
        ...

    def place_call(self, to: str, from_: str, url: str, status_callback: str | None = None, timeout: int = 20) -> str:
        """Place an outgoing call whose TwiML comes from ``url`` and return its sid."""
        ...

    def configure_number(
        self, phone_number: str, voice_url: str, status_callback: str, sms_url: str, fallback_url: str
    ) -> str:
        """Point one of the account's numbers at the app's webhooks and return its PN sid."""
        ...

    def delete_recording(self, sid: str) -> None:
        """Delete a recording from the provider."""
        ...


def rebase_url(url: str, api_base_url: str | None) -> str:
    """Send a request meant for ``https://*.twilio.com`` to ``api_base_url`` instead, same path and query."""
    if not api_base_url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    base = urlsplit(api_base_url)
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, ""))


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type information
    """The official HTTP client, with Twilio's hosts swapped for a configurable base (staging, tests)."""

    def __init__(self, api_base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_base_url = api_base_url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Make the request against the rebased URL."""
        return super().request(
            method,
            rebase_url(url, self.api_base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def _last_digits(phone_number: str) -> str:
    """Enough of the number to recognise it in an error, not enough to call it."""
    return "…" + phone_number[-2:] if len(phone_number) > 2 else "…"


class TwilioTelephony:
    """Telephony through Twilio's REST API."""

    def __init__(
        self, account_sid: str, auth_token: str, api_base_url: str | None = None, fallback_url: str | None = None
    ) -> None:
        http_client = RebasedHttpClient(api_base_url, timeout=15) if api_base_url else TwilioHttpClient(timeout=15)
        self._client = Client(account_sid, auth_token, http_client=http_client)
        # Where Twilio asks for TwiML when a placed call's own URL fails (see docs/twilio-contract.md, Fallback).
        self.fallback_url = fallback_url

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send an SMS from a number or alphanumeric ID, or from a Messaging Service when ``from_`` is an MG sid."""
        sender = message_sender_params(from_)
        callback: dict[str, str] = {"status_callback": status_callback} if status_callback else {}
        with _translated("send an SMS"):
            message = self._client.messages.create(to=to, body=body, **sender, **callback)
        return str(message.sid)

    def place_call(self, to: str, from_: str, url: str, status_callback: str | None = None, timeout: int = 20) -> str:
        """Place a call that fetches its TwiML from ``url`` (POST), ringing ``timeout`` seconds."""
        callback: dict[str, str] = (
            {"status_callback": status_callback, "status_callback_method": "POST"} if status_callback else {}
        )
        if self.fallback_url:
            # Without it, a volunteer whose call-back offer fails hears Twilio's English "application error".
            callback.update(fallback_url=self.fallback_url, fallback_method="POST")
        with _translated("place a call"):
            call = self._client.calls.create(to=to, from_=from_, url=url, method="POST", timeout=timeout, **callback)
        return str(call.sid)

    def configure_number(
        self, phone_number: str, voice_url: str, status_callback: str, sms_url: str, fallback_url: str
    ) -> str:
        """Find the number in the account and point its voice, fallback, status and SMS URLs at the app."""
        with _translated("find the phone number"):
            found = self._client.incoming_phone_numbers.list(phone_number=phone_number, limit=2)
        if not found:
            raise TelephonyError(
                f"The number ending in {_last_digits(phone_number)} is not in this Twilio account: "
                "buy or port it there first, or check TWILIO_ACCOUNT_SID."
            )
        sid = str(found[0].sid)
        with _translated("configure the phone number"):
            self._client.incoming_phone_numbers(sid).update(
                voice_url=voice_url,
                voice_method="POST",
                voice_fallback_url=fallback_url,
                voice_fallback_method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                sms_url=sms_url,
                sms_method="POST",
            )
        return sid

    def update_call(self, sid: str, status: str | None = None, url: str | None = None) -> None:
        """End a call (status "canceled" while it rings, "completed" once answered) or send it new TwiML (url)."""
        params: dict[str, str] = {"status": status} if status else {}
        if url:
            params.update(url=url, method="POST")
        with _translated("update a call"):
            self._client.calls(sid).update(**params)

    def delete_queue(self, sid: str) -> None:
        """Delete an empty call queue (Twilio: "Queues persist … inactive Queues should be deleted")."""
        with _translated("delete a call queue"):
            self._client.queues(sid).delete()

    def delete_recording(self, sid: str) -> None:
        """Delete a recording (retention policy, or once its message is handled)."""
        with _translated("delete a recording"):
            self._client.recordings(sid).delete()


@contextmanager
def _translated(operation: str) -> Iterator[None]:
    """Turn Twilio's and the network's exceptions into TelephonyError, leaving their messages out."""
    try:
        yield
    except TwilioRestException as error:
        code = error.code if isinstance(error.code, int) else None
        message = f"Twilio refused to {operation} (HTTP {error.status}, error {code})"
        # "from None": the original exception's text would reach logs through the traceback.
        raise TelephonyError(message, status=error.status, code=code) from None
    except TwilioException as error:
        # A list page that is not 200 raises a bare TwilioException holding the response.
        response = error.args[1] if len(error.args) > 1 else None
        status = getattr(response, "status_code", None)
        raise TelephonyError(f"Twilio refused to {operation} (HTTP {status})", status=status) from None
    except OSError as error:  # requests' exceptions derive from OSError
        reason = error.__class__.__name__
        maybe = not _never_sent(error)
        detail = "no answer" if maybe else "not reached"
        raise TelephonyError(
            f"Twilio could not be reached to {operation} ({reason}, {detail})", maybe_created=maybe
        ) from None


def _never_sent(error: OSError) -> bool:
    """True when the request cannot have reached Twilio: the connection itself was never made."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    # requests wraps urllib3's MaxRetryError, whose reason says whether the connection was ever made.
    cause = error.args[0] if error.args else None
    return isinstance(cause, NewConnectionError) or isinstance(getattr(cause, "reason", None), NewConnectionError)
