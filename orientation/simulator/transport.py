"""How the simulated Twilio reaches the app: signed, form-encoded POSTs, like the real one."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


class TransportError(Exception):
    """The request could not reach the app at all (Twilio would report error 11200)."""


class SignedTransport(Protocol):
    """Posts a webhook the way Twilio does and answers (status, body)."""

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """POST form params to the public URL, signed, and return the HTTP status and body."""
        ...


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Compute the X-Twilio-Signature Twilio would send for this public URL and form."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def _split_public_url(public_base_url: str, url: str) -> str:
    """Return what follows the public base URL (path and query), or fail when the URL is elsewhere."""
    base = public_base_url.rstrip("/")
    if url == base:
        return "/"
    if not url.startswith(base + "/") and not url.startswith(base + "?"):
        raise TransportError("URL outside the public base URL of the app")
    rest = url[len(base) :]
    return rest if rest.startswith("/") else "/" + rest


class FlaskClientTransport:
    """Posts through a Flask test client, signed against the app's PUBLIC_BASE_URL."""

    def __init__(self, client: FlaskClient, auth_token: str, public_base_url: str) -> None:
        self._client = client
        self._auth_token = auth_token
        self._public_base_url = public_base_url.rstrip("/")

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """POST to the app in-process; the signature is computed on the full public URL."""
        path = _split_public_url(self._public_base_url, url)
        response = self._client.post(
            path,
            data=params,
            headers={SIGNATURE_HEADER: sign(self._auth_token, url, params)},
            # A base_url with a path makes the app see it as its script root, like a prefixed deployment.
            base_url=self._public_base_url,
        )
        # Closing the response is what a WSGI server does once it is sent: work the app defers to then runs.
        with response:
            return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """Posts over HTTP to a running app while signing as if the request hit PUBLIC_BASE_URL."""

    def __init__(self, auth_token: str, public_base_url: str, target_base_url: str, timeout: float = 15.0) -> None:
        if urllib.parse.urlsplit(target_base_url).scheme not in ("http", "https"):
            raise ValueError("target_base_url must be an http(s) URL")
        self._auth_token = auth_token
        self._public_base_url = public_base_url.rstrip("/")
        self._target_base_url = target_base_url.rstrip("/")
        self._timeout = timeout

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """POST to the target server; HTTP errors are answers, unreachable servers raise TransportError."""
        target = self._target_base_url + _split_public_url(self._public_base_url, url)
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            target,
            data=urllib.parse.urlencode(params).encode("utf-8"),
            headers={
                SIGNATURE_HEADER: sign(self._auth_token, url, params),
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "TwilioProxy/1.1 (orientation simulator)",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return int(response.status), response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
            # HTTPException: a garbled answer, or a path with spaces or control characters (InvalidURL);
            # ValueError: non-ASCII in the path. A malformed URL in the TwiML is a failed fetch.
            raise TransportError(f"app unreachable: {error.__class__.__name__}") from None
