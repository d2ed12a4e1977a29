"""The systemd units and the backup script of deploy/: they run what the Procfile runs, and the backup restores."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.deploy.conftest import ROOT
from tests.functional.test_backup_restore import pg_tool

UNITS = ROOT / "deploy" / "systemd"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_the_web_and_clock_units_run_the_procfiles_two_processes_with_the_shipped_settings() -> None:
    procfile = _procfile()
    web = _unit("orientation-web.service")["Service"]["ExecStart"]
    clock = _unit("orientation-clock.service")["Service"]["ExecStart"]
    assert set(procfile) == {"web", "clock"}
    for command in (procfile["web"], web):
        assert "-c python:orientation.web.gunicorn_config" in command and "orientation:create_app()" in command
    # nginx's default upstream (deploy/render-nginx-site.sh) is where the unit binds gunicorn.
    render = (ROOT / "deploy" / "render-nginx-site.sh").read_text()
    assert "--bind 127.0.0.1:8000" in web and "UPSTREAM:-127.0.0.1:8000" in render
    assert clock.endswith("/bin/orientation clock") and procfile["clock"] == "orientation clock"
    timer = _unit("orientation-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_finds_nothing_wrong_in_the_units_but_the_programs_not_installed_here() -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", *map(str, sorted(UNITS.iterdir()))], capture_output=True, text=True, timeout=120
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert complaints == []


def test_the_backup_script_writes_a_restorable_dump_and_deletes_the_expired_ones(
    postgres_url: str, tmp_path: Path
) -> None:
    url = make_url(postgres_url)
    backups = tmp_path / "backups"
    backups.mkdir()
    expired = backups / "orientation-2020-01-01T023000Z.dump"
    recent = backups / "orientation-2020-02-01T023000Z.dump"
    for path, days in ((expired, 40), (recent, 3)):
        path.write_bytes(b"old dump")
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))
    tools = str(Path(pg_tool("pg_dump")).parent)
    done = subprocess.run(
        [str(ROOT / "deploy" / "orientation-backup.sh")],
        env={
            "PATH": f"{tools}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PGHOST": url.host or "127.0.0.1",
            "PGPORT": str(url.port or 5432),
            "PGUSER": url.username or "postgres",
            "PGDATABASE": url.database or "",
            "BACKUP_DIR": str(backups),
            "BACKUP_KEEP_DAYS": "35",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    dump = Path(done.stdout.strip().splitlines()[-1])
    assert dump.parent == backups and dump.exists() and oct(dump.stat().st_mode & 0o777) == "0o600"
    listing = subprocess.run(
        [pg_tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "TABLE DATA public requests" in listing and "TABLE DATA public alembic_version" in listing
    assert not expired.exists() and recent.exists()
    assert not list(backups.glob("*.partial"))
