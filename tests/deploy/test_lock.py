"""The lock files cover pyproject.toml: a dependency added without `make lock` fails here, naming the fix."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, Version]:
    text = (ROOT / "requirements" / name).read_text()
    return {canonicalize_name(match[0]): Version(match[1]) for match in PIN.findall(text)}


def _declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in listed]


def _satisfies(pin: Version | None, requirement: Requirement) -> bool:
    return pin is not None and requirement.specifier.contains(pin, prereleases=True)


@pytest.mark.parametrize(("lock", "extras"), [("runtime.txt", [None]), ("dev.txt", [None, "dev"])])
def test_every_dependency_of_pyproject_is_pinned_in_the_lock_within_its_range(lock: str, extras: list[str]) -> None:
    pins = _pins(lock)
    wrong = [
        f"{requirement} (locked: {pins.get(canonicalize_name(requirement.name), 'missing')})"
        for extra in extras
        for requirement in _declared(extra)
        if not _satisfies(pins.get(canonicalize_name(requirement.name)), requirement)
    ]
    assert wrong == [], f"requirements/{lock} is out of date: run `make lock`"


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_every_pin_of_the_lock_carries_hashes(lock: str) -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / lock).read_text())
    pinned = [entry for entry in entries if PIN.match(entry)]
    assert pinned and all("--hash=sha256:" in entry for entry in pinned)


def test_both_locks_pin_the_same_version_of_what_they_share() -> None:
    runtime, dev = _pins("runtime.txt"), _pins("dev.txt")
    assert runtime.keys() <= dev.keys()
    assert {name: version for name, version in runtime.items() if dev[name] != version} == {}
