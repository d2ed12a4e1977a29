"""The X-Twilio-Signature check of every /twilio/* request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, compare, remove_port
from werkzeug.datastructures import MultiDict


def signed_url(public_base_url: str, path: str, query_string: str) -> str:
    """The URL Twilio signed: the public base URL, the path, and the query exactly as sent."""
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def other_port_form(url: str) -> str:
    """The URL with the scheme's port written when it has none, without its port when it has one."""
    parsed = urlparse(url)
    return str(remove_port(parsed) if parsed.port else add_port(parsed))


def is_valid_signature(tokens: Iterable[str], url: str, params: Mapping[str, object], signature: str | None) -> bool:
    """True when the signature matches one of the accepted auth tokens (two during a rotation).

    Accepts what twilio's RequestValidator.validate accepts for a form post, the URL with or without its
    port, but computes the HMAC of the URL as rebuilt first and of its other port form only when that one
    fails: validate computes both every time, so a genuine post costs one HMAC here instead of two.
    """
    if not signature:
        return False
    validators = [RequestValidator(token) for token in tokens]
    for form in (url, other_port_form(url)):
        for validator in validators:
            if compare(validator.compute_signature(form, params), signature):
                return True
    return False


def signed_content(url: str, params: MultiDict[str, str]) -> str:
    """The text X-Twilio-Signature is the HMAC of, as RequestValidator.compute_signature builds it.

    The URL, then each distinct parameter name in order followed by each of its distinct values in order,
    all run together without separators. Anything that gives the same text carries the same valid signature
    (a value repeated, or a name/value boundary moved: `NumMedia=0` and `NumMedia0=`), so it is the same post.
    """
    return url + "".join(name + value for name in sorted(set(params)) for value in sorted(set(params.getlist(name))))
