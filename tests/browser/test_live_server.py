"""The browser tests' server closes what the app opens, even when the browser has already gone (issue 18 item 8)."""

from __future__ import annotations

import gc
import warnings
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from tests.browser.conftest import _Lazy


def _gone(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    """A server whose client dropped the connection: sending the status line fails."""
    raise ConnectionResetError("the browser closed the connection")


def test_a_static_file_is_closed_even_when_the_browser_dropped_the_connection(app: Flask) -> None:
    served = _Lazy()
    served.app = app
    environ = EnvironBuilder(path="/console-assets/favicon.svg", input_stream=BytesIO()).get_environ()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ConnectionResetError):
            served(environ, _gone)
        gc.collect()  # an open file left behind would warn here, at its collection
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_the_server_sends_the_whole_file_it_read(app: Flask) -> None:
    served = _Lazy()
    served.app = app
    environ = EnvironBuilder(path="/console-assets/favicon.svg").get_environ()
    started: list[str] = []
    body = b"".join(served(environ, lambda status, headers, exc_info=None: started.append(status)))
    assert started == ["200 OK"] and body.startswith(b"<svg") and body.rstrip().endswith(b"</svg>")
