"""Deployment tests: real processes on loopback ports (gunicorn, Debian's nginx, a fresh virtual environment).

`make test` installs /usr/sbin/nginx (scripts/ensure-nginx.sh); without it, outside `make test`, the nginx
tests are skipped, not failed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
# Two cores shared with other test runs: a process start is given a generous but finite time.
START_DEADLINE = 60.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without nginx (a plain `pytest` outside `make test`), the nginx tests are skipped, not failed."""
    if Path(NGINX).exists():
        return
    if os.environ.get("ORIENTATION_REQUIRE_NGINX"):
        raise pytest.UsageError(f"{NGINX} missing but deployment tests are required (make test installs it)")
    skip = pytest.mark.skip(reason=f"{NGINX} missing: run scripts/ensure-nginx.sh (make test does)")
    for item in items:
        if "nginx" in item.keywords:
            item.add_marker(skip)


def listening_socket() -> socket.socket:
    """A socket listening on a free loopback port, to hand to gunicorn as `fd://N` (no race for the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def free_port() -> int:
    """A loopback port free right now (for nginx, which binds its own sockets)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once something accepts connections on the port; fail if the process dies or the deadline passes."""
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            # Not listening yet: wait a little on the process itself (it returns at once if it dies).
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)
    pytest.fail(f"nothing listening on {port} after {START_DEADLINE:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a server to stop (SIGTERM) and wait for it; kill it if it does not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@dataclass
class Gunicorn:
    """gunicorn serving the app with the shipped settings, and its access log."""

    url: str
    port: int
    access_log: Path
    log: Path


@pytest.fixture
def start_gunicorn(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn (this checkout, `orientation.web.gunicorn_config`) with the given environment and options."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        env: dict[str, str], *options: str, name: str = "gunicorn", sock: socket.socket | None = None
    ) -> Gunicorn:
        sock = sock or listening_socket()
        port = int(sock.getsockname()[1])
        log = tmp_path / f"{name}.log"
        access_log = tmp_path / f"{name}.access.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:orientation.web.gunicorn_config",
            "--bind",
            f"fd://{sock.fileno()}",
            "--access-logfile",
            str(access_log),
            *options,
            "orientation:create_app()",
        ]
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "ORIENTATION_INSTANCE": str(tmp_path / "instance"),
            "ORIENTATION_JOURNAL_DIR": str(tmp_path / "journal"),
            **env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=tmp_path, env=environment, stdout=out, stderr=subprocess.STDOUT, pass_fds=[sock.fileno()]
            )
        sock.close()  # gunicorn holds its own copy
        started.append(process)
        return Gunicorn(f"http://127.0.0.1:{port}", port, access_log, log)

    yield start
    for process in started:
        stop(process)


@dataclass
class Nginx:
    """Debian's nginx running the deploy/ site on loopback, with TLS from a throw-away certificate."""

    url: str
    port: int
    certificate: Path
    access_log: Path
    error_log: Path


def _certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


@pytest.fixture
def start_nginx(tmp_path: Path) -> Iterator[Callable[[str], Nginx]]:
    """Start nginx with the site rendered from deploy/ by deploy/render-nginx-site.sh, in front of `upstream`."""
    started: list[subprocess.Popen[bytes]] = []

    def start(upstream: str) -> Nginx:
        home = tmp_path / "nginx"
        logs = home / "logs"
        logs.mkdir(parents=True)
        certificate, key = _certificate(home)
        https_port, http_port = free_port(), free_port()
        site = subprocess.run(
            [str(ROOT / "deploy" / "render-nginx-site.sh"), "127.0.0.1"],
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LISTEN_HTTPS": f"127.0.0.1:{https_port}",
                "LISTEN_HTTP": f"127.0.0.1:{http_port}",
                "UPSTREAM": upstream,
                "TLS_CERTIFICATE": str(certificate),
                "TLS_CERTIFICATE_KEY": str(key),
                "LOG_DIR": str(logs),
            },
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (home / "site.conf").write_text(site)
        # What Debian's /etc/nginx/nginx.conf gives a site, with every path in this test's folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {home / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (home / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {home / 'nginx.pid'};\nerror_log {logs / 'main.error.log'};\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n{temp}\n"
            f"    access_log off;\n    include {home / 'site.conf'};\n}}\n"
        )
        log = logs / "stderr.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [NGINX, "-p", str(home), "-c", str(home / "nginx.conf"), "-e", str(logs / "main.error.log")],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        wait_for_port(https_port, process, log)
        return Nginx(
            f"https://127.0.0.1:{https_port}",
            https_port,
            certificate,
            logs / "orientation.access.log",
            logs / "orientation.error.log",
        )

    yield start
    for process in started:
        stop(process)
