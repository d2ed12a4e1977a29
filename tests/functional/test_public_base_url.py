"""Links follow PUBLIC_BASE_URL: the CLI simulator, the simulator page and the SMS links, never a fixed port."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from orientation import cli, create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import Request
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.console_client import account, login, post

_CLEAN = ("TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL", "ORIENTATION_ENV", "DATABASE_URL")


def test_simulate_call_reaches_the_app_at_public_base_url_without_being_told_where(
    config: Config, session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    factories.territory(session, clock())
    apps: list[Flask] = []

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return apps[0](environ, start_response)

    # A real HTTP server on a port nobody chose: only PUBLIC_BASE_URL says where it is.
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    apps.append(create_app(config.with_overrides(public_base_url=base), clock=clock))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        environment: dict[str, str | None] = dict.fromkeys(_CLEAN)
        environment.update(
            PUBLIC_BASE_URL=base, TWILIO_AUTH_TOKEN=AUTH_TOKEN, ORIENTATION_INSTANCE=str(tmp_path / "instance")
        )
        result = CliRunner().invoke(cli.main, ["simulate-call"], input="q\n", env=environment, catch_exceptions=False)
    finally:
        server.shutdown()
        thread.join()
        apps[0].extensions["orientation"].engine.dispose()
    assert f"through {base}" in result.output
    assert "urgence vitale" in result.output  # the line answered: the request was signed for that address
    assert "5000" not in result.output
    session.expire_all()
    assert session.scalar(select(Request.call_sid)) is not None


def test_the_simulator_page_and_the_volunteers_sms_link_use_public_base_url(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")
    _, _, page_url = post(client, "/simulateur/appel", {"territory_id": territory.id}, page="/simulateur")
    step = re.search(r'action="(/simulateur/[\w-]+)"', client.get(page_url).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    for form in (
        {"action": "press", "digit": "2"},
        {"action": "press", "digit": "", "keys": "75020"},
        {"action": "accept"},
        {"action": "end_conversation"},
    ):
        assert post(client, step, form, page=page_url)[0] == 302
    page = client.get(page_url).get_data(as_text=True)
    links = re.findall(r"https?://[^\s<\"']+", page)
    assert any(link.startswith(f"{PUBLIC_BASE_URL}/issue?t=") for link in links), links
    assert not any(":5000" in link or "localhost" in link or "127.0.0.1" in link for link in links)
