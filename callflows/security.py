"""The X-Twilio-Signature check of every /twilio/* request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict


def signed_url(public_base_url: str, path: str, query_string: str) -> str:
    """The URL Twilio signed: the public base URL, the path, and the query exactly as sent."""
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def is_valid_signature(tokens: Iterable[str], url: str, params: Mapping[str, object], signature: str | None) -> bool:
    """True when the signature matches one of the accepted auth tokens (two during a rotation)."""
    if not signature:
        return False
    return any(RequestValidator(token).validate(url, params, signature) for token in tokens)


def signed_content(url: str, params: MultiDict[str, str]) -> str:
    """The text X-Twilio-Signature is the HMAC of, as RequestValidator.compute_signature builds it.

    The URL, then each distinct parameter name in order followed by each of its distinct values in order,
    all run together without separators. Anything that gives the same text carries the same valid signature
    (a value repeated, or a name/value boundary moved: `NumMedia=0` and `NumMedia0=`), so it is the same post.
    """
    return url + "".join(name + value for name in sorted(set(params)) for value in sorted(set(params.getlist(name))))
