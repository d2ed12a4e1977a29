"""Configuration read from the environment."""

from __future__ import annotations

import pytest

from orientation.config import DEMO_AUTH_TOKEN, from_environment


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        from_environment({"ORIENTATION_ENV": "production"})


def test_development_runs_with_a_development_secret_and_the_demo_token() -> None:
    config = from_environment({})
    assert config.secret_key and config.webhook_auth_tokens == (DEMO_AUTH_TOKEN,)
    assert config.database_url.startswith("sqlite:///") and config.simulator_enabled


def test_production_without_a_twilio_token_trusts_no_webhook() -> None:
    config = from_environment({"ORIENTATION_ENV": "production", "SECRET_KEY": "s"})
    assert config.webhook_auth_tokens == ()


def test_a_secondary_token_is_accepted_during_a_rotation() -> None:
    config = from_environment(
        {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "new", "TWILIO_SECONDARY_AUTH_TOKEN": "old"}
    )
    assert config.webhook_auth_tokens == ("new", "old")
    assert not config.simulator_enabled  # real credentials switch the simulator off unless asked


def test_postgres_urls_get_the_psycopg_driver() -> None:
    assert from_environment({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql+psycopg://u@h/db"
    assert from_environment({"DATABASE_URL": "postgresql://u@h/db"}).database_url == "postgresql+psycopg://u@h/db"
