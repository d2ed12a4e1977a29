"""The X-Twilio-Signature check of every /twilio/* request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from twilio.request_validator import RequestValidator


def signed_url(public_base_url: str, path: str, query_string: str) -> str:
    """The URL Twilio signed: the public base URL, the path, and the query exactly as sent."""
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def is_valid_signature(tokens: Iterable[str], url: str, params: Mapping[str, object], signature: str | None) -> bool:
    """True when the signature matches one of the accepted auth tokens (two during a rotation)."""
    if not signature:
        return False
    return any(RequestValidator(token).validate(url, params, signature) for token in tokens)
