"""Where flask-limiter counts: in each process by default, in one Redis for every process when configured."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy.engine import Engine

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config, from_environment
from tests.functional.console_client import csrf_token

# An hour, not a minute: flask-limiter's windows run on the wall clock, and a test must not straddle one.
LIMIT = "3 per hour"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_server() -> str | None:
    """Debian's redis-server, installed with apt when missing and allowed; None when it cannot be had."""
    found = shutil.which("redis-server")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "redis-server"]):
        if subprocess.run(step, env=env, capture_output=True, timeout=600, check=False).returncode != 0:
            return None
    return shutil.which("redis-server")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module alone on a free loopback port, with nothing saved to disk."""
    binary = _redis_server()
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be installed here")
    port = _free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        # Its own log says when it listens: no polling, no sleep.
        for line in process.stdout:
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail(f"redis-server exited with {process.wait()}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _app(config: Config, clock: FrozenClock, storage_uri: str) -> Flask:
    return create_app(config.with_overrides(rate_limit_login=LIMIT, ratelimit_storage_uri=storage_uri), clock=clock)


def _failed_login(app: Flask) -> int:
    client = app.test_client()
    data = {"email": "nobody@example.org", "password": "wrong", "csrf_token": csrf_token(client)}
    return client.post("/connexion", data=data, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code


def test_the_storage_comes_from_ratelimit_storage_uri_and_defaults_to_each_process_memory() -> None:
    assert from_environment({}).ratelimit_storage_uri == "memory://"
    url = "redis://10.0.0.7:6379/2"
    assert from_environment({"RATELIMIT_STORAGE_URI": url}).ratelimit_storage_uri == url


def test_the_setting_reaches_flask_limiter(config: Config, clock: FrozenClock, engine: Engine) -> None:
    memory = _app(config, clock, "memory://")
    redis = _app(config, clock, f"redis://127.0.0.1:{_free_port()}/0")  # never contacted: built only
    try:
        assert isinstance(memory.extensions["limiter"].storage, MemoryStorage)
        assert isinstance(redis.extensions["limiter"].storage, RedisStorage)
    finally:
        for app in (memory, redis):
            app.extensions["orientation"].engine.dispose()


def test_with_memory_storage_two_processes_each_allow_the_whole_limit(
    config: Config, clock: FrozenClock, engine: Engine
) -> None:
    first, second = _app(config, clock, "memory://"), _app(config, clock, "memory://")
    try:
        codes = [_failed_login(first) for _ in range(3)] + [_failed_login(second) for _ in range(3)]
        assert 429 not in codes  # six tries where three were meant: why several processes need Redis
        assert _failed_login(first) == 429
    finally:
        for app in (first, second):
            app.extensions["orientation"].engine.dispose()


def test_with_redis_storage_two_processes_share_one_count(
    config: Config, clock: FrozenClock, engine: Engine, redis_url: str
) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    first, second = _app(config, clock, redis_url), _app(config, clock, redis_url)
    try:
        assert [_failed_login(first), _failed_login(first), _failed_login(second)] == [401, 401, 401]
        assert _failed_login(second) == 429
        assert _failed_login(first) == 429
    finally:
        for app in (first, second):
            app.extensions["orientation"].engine.dispose()


def test_an_unreachable_redis_does_not_fail_logins_the_process_counts_alone_meanwhile(
    config: Config, clock: FrozenClock, engine: Engine
) -> None:
    app = _app(config, clock, f"redis://127.0.0.1:{_free_port()}/0")
    try:
        assert [_failed_login(app) for _ in range(3)] == [401, 401, 401]
        assert _failed_login(app) == 429
    finally:
        app.extensions["orientation"].engine.dispose()
