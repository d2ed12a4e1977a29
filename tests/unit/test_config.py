"""Configuration read from the environment."""

from __future__ import annotations

import pytest

from orientation.core.config import DEMO_AUTH_TOKEN, from_environment


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


def test_the_development_server_listens_where_a_local_public_base_url_points() -> None:
    from orientation.core.config import serve_address

    assert serve_address("http://127.0.0.1:8123") == ("127.0.0.1", 8123)
    assert serve_address("http://localhost:9000/") == ("localhost", 9000)
    assert serve_address("http://127.0.0.1") == ("127.0.0.1", 80)


def test_a_public_address_leaves_the_development_server_on_its_default_port() -> None:
    from orientation.core.config import DEFAULT_PUBLIC_BASE_URL, serve_address

    assert DEFAULT_PUBLIC_BASE_URL == "http://127.0.0.1:5000"
    assert serve_address("https://ligne.cpts-paris20.fr") == ("127.0.0.1", 5000)
