"""The wheel is the product (issue 18 item 1): built, installed with the locked dependencies into a fresh
virtual environment, it migrates SQLite and PostgreSQL and serves /healthz with gunicorn, outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text

from orientation.core import migrate
from orientation.core.db import make_engine
from tests.deploy.conftest import ROOT, listening_socket, stop

pytestmark = pytest.mark.wheel
TOP_LEVEL = {"callflows", "directory", "orientation", "volunteers"}
# What a copy of the source leaves out: none of it may be needed to build the wheel.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "build",
    "dist",
    "*.egg-info",
    "instance",
    "test-artifacts",
    "journal",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
)


@dataclass
class Installed:
    """A fresh virtual environment holding the locked runtime dependencies and the wheel, nothing else."""

    wheel: Path
    venv: Path
    workdir: Path

    def run(self, *command: str, env: dict[str, str] | None = None) -> str:
        """Run one of the environment's commands away from the checkout, failing with its output."""
        done = subprocess.run(
            [str(self.venv / "bin" / command[0]), *command[1:]],
            cwd=self.workdir,
            env={**_clean_environment(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def _clean_environment() -> dict[str, str]:
    # Nothing that would let the checkout or the test's own environment stand in for what was installed.
    dropped = {"PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "PYTHONHOME"}
    return {key: value for key, value in os.environ.items() if key not in dropped}


def _run(*command: str | Path) -> None:
    done = subprocess.run(
        [str(part) for part in command], env=_clean_environment(), capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel from a copy of the source, install it with requirements/runtime.txt into a new venv."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    lock = ROOT / "requirements" / "runtime.txt"
    # No byte-compiling of every module installed (slow on a busy machine): Python compiles what it imports.
    _run(pip, "install", "--quiet", "--no-compile", "--require-hashes", "--no-deps", "-r", lock)
    # Built by the locked setuptools: the same wheel whatever setuptools PyPI offers today.
    _run(pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", work / "dist", source)
    (wheel,) = (work / "dist").glob("orientation-*.whl")
    _run(pip, "install", "--quiet", "--no-deps", wheel)
    # Every dependency the wheel declares is in the lock: `make lock` was not forgotten.
    _run(pip, "check")
    workdir = work / "elsewhere"
    workdir.mkdir()
    return Installed(wheel, venv, workdir)


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())


def test_the_wheel_declares_its_licence_and_ships_the_four_packages_and_every_migration(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        metadata = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: AGPL-3.0-or-later" in metadata.splitlines()
    assert {name.split("/")[0] for name in names if not name.startswith("orientation-")} == TOP_LEVEL
    shipped = {n for n in names if n.startswith("orientation/migrations/")}
    in_checkout = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "orientation" / "migrations").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert in_checkout and in_checkout <= shipped
    location = installed.run("python", "-c", "import orientation; print(orientation.__file__)")
    assert location.startswith(str(installed.venv)) and "site-packages" in location


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no table at all, on SQLite and on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        if os.environ.get("ORIENTATION_REQUIRE_POSTGRES"):
            pytest.fail("TEST_DATABASE_URL is not set but PostgreSQL tests are required")
        pytest.skip("TEST_DATABASE_URL not set: run `make test` to start a PostgreSQL server")
    name = f"orientation_wheel_{os.getpid()}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_installed_command_migrates_an_empty_database_to_every_head(
    installed: Installed, empty_database: str
) -> None:
    installed.run("orientation", "db", "upgrade", env={"DATABASE_URL": empty_database})

    engine = make_engine(empty_database)
    with engine.connect() as connection:
        versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()
    assert versions == _heads()


def test_the_installed_wheel_loads_the_demo_and_serves_healthz_with_gunicorn(
    installed: Installed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database_url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = {"DATABASE_URL": database_url, "ORIENTATION_INSTANCE": str(tmp_path / "instance")}
    installed.run("orientation", "db", "upgrade", env=env)
    # What `make run` does next, with the runtime dependencies only: nothing of the development lock is needed.
    assert "CPTS Démo" in installed.run("orientation", "demo", "load", env=env)
    sock = listening_socket()
    process = subprocess.Popen(
        [
            str(installed.venv / "bin" / "gunicorn"),
            "-c",
            "python:orientation.web.gunicorn_config",
            "--bind",
            f"fd://{sock.fileno()}",
            "orientation:create_app()",
        ],
        cwd=installed.workdir,
        env={**_clean_environment(), **env},
        pass_fds=[sock.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    request.addfinalizer(lambda: stop(process))
    port = sock.getsockname()[1]
    sock.close()
    # The socket listens already: the request waits in its queue until gunicorn's worker takes it.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=120) as response:
        assert response.status == 200
        assert response.read() == b'{"status":"ok"}\n'
