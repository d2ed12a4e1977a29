"""Configuration: every environment variable the product reads is read here, once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEMO_AUTH_TOKEN = "demo-auth-token-not-secret"  # noqa: S105 - signs simulator webhooks when no Twilio account is set
DEV_SECRET_KEY = "dev-secret-key-not-for-production"  # noqa: S105
# Where the development server listens when PUBLIC_BASE_URL is not set; every link follows PUBLIC_BASE_URL.
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def serve_address(public_base_url: str) -> tuple[str, int]:
    """Host and port for the development server: those of PUBLIC_BASE_URL when it is this machine."""
    parsed = urlsplit(public_base_url)
    if parsed.scheme == "http" and parsed.hostname in _LOCAL_HOSTS:
        return parsed.hostname, parsed.port or 80
    # A public address (a tunnel, a proxy) says nothing of the local port: the default one.
    default = urlsplit(DEFAULT_PUBLIC_BASE_URL)
    return default.hostname or "127.0.0.1", default.port or 80


def _instance_dir() -> Path:
    return Path(os.environ.get("ORIENTATION_INSTANCE", Path.cwd() / "instance"))


@dataclass(frozen=True)
class Config:
    """Settings of one app instance; built from the environment, overridable in tests."""

    database_url: str
    secret_key: str
    public_base_url: str
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_secondary_auth_token: str | None = None
    twilio_api_base_url: str | None = None
    environment: str = "development"
    simulator_enabled: bool = True
    journal_dir: str = "instance/journal"
    proxy_hops: int = 0
    rate_limit_api: str = "600 per minute"
    rate_limit_sms: str = "20 per minute"
    rate_limit_login: str = "10 per minute"
    log_format: str = "text"
    log_level: str = "INFO"
    # Where flask-limiter counts: "memory://" counts in each process; "redis://host:6379" shares the counts.
    ratelimit_storage_uri: str = "memory://"
    session_idle_minutes: int = 30
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_twilio_credentials(self) -> bool:
        """True when real Twilio credentials are configured (outgoing messages leave the outbox)."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def webhook_auth_tokens(self) -> tuple[str, ...]:
        """Tokens accepted for X-Twilio-Signature: the primary, a secondary during rotation, or the demo token."""
        if self.twilio_auth_token:
            tokens = [self.twilio_auth_token]
            if self.twilio_secondary_auth_token:
                tokens.append(self.twilio_secondary_auth_token)
            return tuple(tokens)
        if self.environment == "production":
            # The demo token is public: in production without a Twilio token, no webhook is trusted.
            return ()
        return (DEMO_AUTH_TOKEN,)

    @property
    def signing_auth_token(self) -> str:
        """The token the simulator signs its webhooks with."""
        return self.twilio_auth_token or DEMO_AUTH_TOKEN

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with some settings changed (tests, CLI)."""
        return replace(self, **changes)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


LOG_FORMATS = ("text", "json", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise RuntimeError(f"{name} must be one of {', '.join(choices)} (got {value!r})")


def _minutes(value: str | None, default: int, name: str) -> int:
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 12 * 60:
        raise RuntimeError(f"{name} must be a number of minutes from 1 to 720, not {value!r}")
    return int(text)


def from_environment(env: dict[str, str] | None = None) -> Config:
    """Read the configuration from environment variables (PRODUCT.md §6)."""
    env = dict(os.environ if env is None else env)
    instance = Path(env.get("ORIENTATION_INSTANCE", str(_instance_dir())))
    environment = env.get("ORIENTATION_ENV", "development")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'orientation.sqlite3'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 spelled out.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    secret_key = env.get("SECRET_KEY") or ""
    if not secret_key:
        if environment == "production":
            raise RuntimeError("SECRET_KEY must be set when ORIENTATION_ENV=production")
        secret_key = DEV_SECRET_KEY
    account_sid = env.get("TWILIO_ACCOUNT_SID") or None
    auth_token = env.get("TWILIO_AUTH_TOKEN") or None
    has_twilio = bool(account_sid and auth_token)
    return Config(
        database_url=database_url,
        secret_key=secret_key,
        public_base_url=(env.get("PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL).rstrip("/"),
        twilio_account_sid=account_sid,
        twilio_auth_token=auth_token,
        twilio_secondary_auth_token=env.get("TWILIO_SECONDARY_AUTH_TOKEN") or None,
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
        environment=environment,
        simulator_enabled=_flag(env.get("ORIENTATION_SIMULATOR"), default=not has_twilio),
        journal_dir=env.get("ORIENTATION_JOURNAL_DIR") or str(instance / "journal"),
        proxy_hops=int(env.get("ORIENTATION_PROXY_HOPS") or 0),
        rate_limit_api=env.get("ORIENTATION_RATE_LIMIT_API") or "600 per minute",
        rate_limit_sms=env.get("ORIENTATION_RATE_LIMIT_SMS") or "20 per minute",
        rate_limit_login=env.get("ORIENTATION_RATE_LIMIT_LOGIN") or "10 per minute",
        log_format=_choice(env, "ORIENTATION_LOG_FORMAT", LOG_FORMATS, "text"),
        log_level=_choice(env, "ORIENTATION_LOG_LEVEL", LOG_LEVELS, "INFO"),
        ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or "memory://",
        session_idle_minutes=_minutes(
            env.get("ORIENTATION_SESSION_IDLE_MINUTES"), 30, "ORIENTATION_SESSION_IDLE_MINUTES"
        ),
    )
