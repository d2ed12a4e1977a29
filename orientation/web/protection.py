"""What every response and request goes through: security headers, proxy trust, size and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from orientation.core.config import Config
from orientation.web.edge import WEBHOOK_PREFIX

# Twilio's posts are a few kilobytes; anything far larger is not a webhook, a form or an API body of ours.
MAX_CONTENT_LENGTH = 256 * 1024
# The Twilio endpoints limit_blueprints gives a rate limit.
LIMITED_WEBHOOKS = frozenset({"twilio.sms"})

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "media-src 'self' https://api.twilio.com; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def _api_key() -> str:
    header = request.headers.get("Authorization", "")
    return "token:" + header[-16:] if header.lower().startswith("bearer ") else "ip:" + get_remote_address()


def _sms_sender_key() -> str:
    # Texts all come from Twilio's addresses: the sender's number is what tells one person from another.
    return "sms:" + (request.form.get("From") or get_remote_address())


def install(app: Flask, config: Config) -> Limiter:
    """Attach headers, ProxyFix (when behind a TLS proxy), the body size limit and the rate limits."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    if config.proxy_hops > 0:
        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    https = config.public_base_url.startswith("https://")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = https

    security_headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ]
    if https:
        security_headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def _headers(response: Response) -> Response:
        # Those a view did not set itself: one pass over its headers, not one `setdefault` scan per header.
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend([pair for pair in security_headers if pair[0].lower() not in present])
        return response

    app.session_interface = _NoCookieSessionForWebhooks()

    # One limiter per app: tests build many apps, and counters must not leak between them. With "memory://"
    # each worker process counts alone (the effective limit multiplies by the workers); RATELIMIT_STORAGE_URI
    # pointing at Redis makes every process share one count. A Redis outage must not fail texts to the line or
    # logins: errors are swallowed and each process counts in memory until Redis is back.
    shared = not config.ratelimit_storage_uri.startswith("memory://")
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=config.ratelimit_storage_uri,
        headers_enabled=True,
        swallow_errors=shared,
        in_memory_fallback_enabled=shared,
    )
    app.extensions["limiter"] = limiter
    _scope_to_limited_paths(app, limiter)
    return limiter


class _NoCookieSessionForWebhooks(SecureCookieSessionInterface):
    """The signed-cookie session of the console, and none for Twilio's posts (they carry no cookie and are
    authenticated by their signature): no serializer built and no session saved on every call webhook."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        """A null session (read-only, empty) for a webhook, the cookie's session otherwise."""
        if request.path.startswith(WEBHOOK_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def is_limited(blueprint: str | None, endpoint: str | None) -> bool:
    """False for the Twilio webhooks without a rate limit (every one but texts), True for everything else."""
    return blueprint != "twilio" or endpoint in LIMITED_WEBHOOKS


def _scope_to_limited_paths(app: Flask, limiter: Limiter) -> None:
    """Run the limiter's request hooks only where a limit may apply: not on the calls' webhooks.

    flask-limiter hooks every request (looking for limits, then its response headers, then its context). A
    request filter only skips the middle of the first: on the calls' webhooks, the most frequent requests,
    the rest was still as much work as their signature check. Its three hooks, found on the app by identity,
    are wrapped to skip those webhooks; a hook not found (another flask-limiter) is left as it is.
    """

    def skip_webhooks(hook: Callable[..., Any], answer: Callable[..., Any]) -> Callable[..., Any]:
        def scoped(*args: Any) -> Any:
            if is_limited(request.blueprint, request.endpoint):
                return hook(*args)
            return answer(*args)

        return scoped

    def first_arg(*args: Any) -> Any:
        return args[0]

    def nothing(*_args: Any) -> None:
        return None

    for hooks, answer in (
        (app.before_request_funcs.get(None, []), nothing),
        (app.after_request_funcs.get(None, []), first_arg),
        (app.teardown_request_funcs.get(None, []), nothing),
    ):
        for index, hook in enumerate(hooks):
            owner = getattr(hook, "__self__", None) or next(iter(getattr(hook, "args", ())), None)
            if owner is limiter:
                hooks[index] = skip_webhooks(hook, answer)


def limit_blueprints(app: Flask, limiter: Limiter, config: Config) -> None:
    """Rate limits on the API (per token), console logins (per address) and texts to the line (per sender)."""
    from orientation.web.api import bp as api

    limiter.limit(config.rate_limit_api, key_func=_api_key)(api)
    login_view = app.view_functions.get("console.login")
    if login_view is not None:
        # Besides the per-account lockout: bounds how fast one address can try passwords at all.
        app.view_functions["console.login"] = limiter.limit(  # type: ignore[assignment]
            config.rate_limit_login, methods=["POST"]
        )(login_view)
    sms_view = app.view_functions.get("twilio.sms")
    if sms_view is not None:
        app.view_functions["twilio.sms"] = limiter.limit(config.rate_limit_sms, key_func=_sms_sender_key)(sms_view)  # type: ignore[assignment]
