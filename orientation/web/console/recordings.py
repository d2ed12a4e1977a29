"""The patient's message, fetched from Twilio for the logged-in coordinator, never linked to directly.

Twilio keeps recordings behind the account's credentials; the console fetches the MP3 and streams it
through, so the browser never holds a Twilio URL or credential, and the credentials go to Twilio's API host
alone (docs/twilio-contract.md, "Recording media").
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from orientation.core.config import Config

CHUNK = 64 * 1024
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RecordingUnavailable(Exception):
    """No message to play: no credentials (demo), no recording, or Twilio refused."""


def media_url(recording_url: str, api_base_url: str | None) -> str:
    """The MP3 of a recording, on Twilio's API host or on TWILIO_API_BASE_URL when set."""
    url = recording_url if recording_url.endswith(".mp3") else recording_url + ".mp3"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
        raise RecordingUnavailable("not a Twilio recording URL")
    if api_base_url:
        base = urlsplit(api_base_url)
        return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + parts.path, "", ""))
    return url


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: what must match for a request to go to the same server."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def next_hop(current: str, location: str | None) -> str:
    """Where a redirect points, absolute; RecordingUnavailable when it is missing, not http(s) or a downgrade."""
    if not location:
        raise RecordingUnavailable("redirect without a location")
    target = urljoin(current, location)
    scheme = urlsplit(target).scheme
    if scheme not in ("http", "https") or (urlsplit(current).scheme == "https" and scheme != "https"):
        raise RecordingUnavailable("redirect to a scheme we do not follow")
    return target


def credentials_for(url: str, api_url: str) -> bool:
    """True only when `url` is on the Twilio API host the app is configured for (same scheme, host, port)."""
    return _origin(url) == _origin(api_url)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as HTTPError: `stream` follows them itself, deciding what to send each time."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def stream(config: Config, recording_url: str | None) -> Iterator[bytes]:
    """The MP3 bytes, chunk by chunk; RecordingUnavailable before the first byte when it cannot be had.

    Twilio may answer the media request with a redirect to short-lived storage elsewhere: the redirects are
    followed by hand, and the account's credentials go only to the Twilio API host itself, never to the
    host a redirect names.
    """
    if not recording_url or not config.has_twilio_credentials:
        raise RecordingUnavailable("no recording or no Twilio account")
    api_url = media_url(recording_url, config.twilio_api_base_url)
    credentials = base64.b64encode(f"{config.twilio_account_sid}:{config.twilio_auth_token}".encode()).decode()
    url = api_url
    for _hop in range(MAX_REDIRECTS + 1):
        headers = {"Authorization": f"Basic {credentials}"} if credentials_for(url, api_url) else {}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked by media_url/next_hop
        try:
            response = _OPENER.open(request, timeout=15)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code not in REDIRECTS:
                raise RecordingUnavailable(f"HTTP {exc.code}") from None
            url = next_hop(url, exc.headers.get("Location"))
            continue
        except OSError as exc:  # URLError is an OSError
            raise RecordingUnavailable(type(exc).__name__) from None
        return _chunks(response)
    raise RecordingUnavailable("too many redirects")


def _chunks(response: Any) -> Iterator[bytes]:
    with response:
        while block := response.read(CHUNK):
            yield block
