"""The patient's message, fetched from Twilio for the logged-in coordinator, never linked to directly.

Twilio keeps recordings behind the account's credentials; the console fetches the MP3 and streams it
through, so the browser never holds a Twilio URL or credential.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from orientation.config import Config

CHUNK = 64 * 1024


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


def stream(config: Config, recording_url: str | None) -> Iterator[bytes]:
    """The MP3 bytes, chunk by chunk; RecordingUnavailable before the first byte when it cannot be had."""
    if not recording_url or not config.has_twilio_credentials:
        raise RecordingUnavailable("no recording or no Twilio account")
    url = media_url(recording_url, config.twilio_api_base_url)
    credentials = base64.b64encode(f"{config.twilio_account_sid}:{config.twilio_auth_token}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {credentials}"})  # noqa: S310
    try:
        response = urllib.request.urlopen(request, timeout=15)  # noqa: S310 - scheme checked by media_url
    except (urllib.error.URLError, OSError) as exc:
        raise RecordingUnavailable(type(exc).__name__) from None

    def chunks() -> Iterator[bytes]:
        with response:
            while block := response.read(CHUNK):
                yield block

    return chunks()
