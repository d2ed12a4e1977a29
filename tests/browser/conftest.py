"""Browser tests: the app served on 127.0.0.1 by a real server thread, driven by Debian's Chromium.

`make test` installs /usr/bin/chromium (scripts/ensure-chromium.sh); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import make_session_factory

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PARIS = ZoneInfo("Europe/Paris")
# Two cores shared with other test runs: give a page more than Playwright's default 5 s to settle.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Chromium (a plain `pytest` outside `make test`), the browser tests are skipped, not failed."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("ORIENTATION_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"{CHROMIUM} missing but browser tests are required (make test installs it)")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} missing: run scripts/ensure-chromium.sh (make test does)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL: tests use the live server's full URLs (and pytest-base-url's own fixture warns on pytest 9)."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, headless, quiet: no sandbox (containers), no GPU, no network of its own."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A French laptop screen."""
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": {"width": 1280, "height": 900},
    }


@dataclass
class LiveServer:
    """The app answering on a real port, and what a test needs to prepare its data."""

    url: str
    app: Flask
    clock: FrozenClock
    sessions: sessionmaker[Session]


class _Lazy:
    """A WSGI callable that forwards to the app, set once the server's port (hence the app's URL) is known.

    Each response is read whole and its iterable closed before the first byte goes to the socket. A browser
    may drop a connection in the middle of a response (Chromium does, for a favicon it no longer wants);
    the development server then left an open file (a static file's wrapper) to the garbage collector, and
    its ResourceWarning, an error under `filterwarnings = error`, failed whichever test ran next. Nothing the
    app opens can outlive its request here, whatever the browser does with the connection.
    """

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        assert self.app is not None
        started: list[tuple[str, list[tuple[str, str]]]] = []
        written: list[bytes] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [(status, headers)]
            return written.append  # WSGI's legacy write(): kept in order, before the iterable's parts

        body = self.app(environ, keep)
        try:
            content = b"".join([*written, *body])
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        status, headers = started[0]
        start_response(status, headers)
        return [content]


@pytest.fixture
def live_server(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 (a free port) in a server thread, on the test database, with a frozen clock."""
    lazy = _Lazy()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, lazy, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    clock = FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))
    config = Config(
        database_url=database_url,
        secret_key="browser-test-secret",
        public_base_url=url,
        environment="test",
        journal_dir=str(tmp_path / "journal"),
    )
    lazy.app = create_app(config, clock=clock)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url, lazy.app, clock, make_session_factory(engine))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        lazy.app.extensions["orientation"].engine.dispose()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under test-artifacts/screenshots/, named after the test and the database."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        database = request.node.callspec.params.get("database_url", "db") if hasattr(request.node, "callspec") else "db"
        path = SCREENSHOTS / f"{request.node.originalname}-{name}-{database}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
