"""Run `orientation …` in-process, as an operator would type it, with a clean environment."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from orientation import cli

# Variables of the operator's shell that would change what the command does; unset unless a test sets them.
CLEAN = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL", "ORIENTATION_ENV")


def run(args: list[str], tmp_path: Path, database_url: str | None = None, **env: str) -> Result:
    """Invoke `orientation ARGS` in-process with a clean environment pointing at the given database."""
    environment: dict[str, str | None] = dict.fromkeys(CLEAN)
    environment["ORIENTATION_INSTANCE"] = str(tmp_path / "instance")
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    environment.update(env)
    return CliRunner().invoke(cli.main, args, env=environment, catch_exceptions=False)
