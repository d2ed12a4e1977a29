"""Every console page checked by tools nobody here wrote: axe-core in Chromium at two widths, and the Nu HTML Checker.

`make test` installs both into .tools/ (scripts/ensure-a11y-tools.sh); without them these tests are skipped, or
fail when ORIENTATION_REQUIRE_BROWSER is set (as under `make test`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from tests.browser import console_pages
from tests.browser.conftest import LiveServer
from tests.functional.console_client import login, post

pytestmark = pytest.mark.browser
Shot = Callable[[Any, str], Path]
TOOLS = Path(os.environ.get("ORIENTATION_TOOLS", Path(__file__).resolve().parents[2] / ".tools"))
AXE = TOOLS / "node_modules" / "axe-core" / "axe.min.js"
VNU = TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# The widths of a laptop and of a phone (axe), and the narrowest phone the console must fit without sideways scroll.
LAPTOP, PHONE, NARROW = 1366, 390, 360


def _need(path: Path, what: str) -> None:
    if path.exists():
        return
    message = f"{what} missing at {path}: run scripts/ensure-a11y-tools.sh (make test does)"
    if os.environ.get("ORIENTATION_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def _log_in(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(console_pages.ADMIN)
    page.get_by_label("Mot de passe").fill(console_pages.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Territoires")).to_be_visible()


def _axe(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page, each reduced to its rule and first targets."""
    # The console's CSP forbids inline and foreign scripts; evaluate() runs in the page without a <script>.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {"rule": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"][:3]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def _overflow(page: Page) -> int:
    """How far the page scrolls sideways, in CSS pixels (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _small_chart_text(page: Page) -> list[str]:
    """Chart labels drawn smaller than 11 px on screen (an SVG scaled down shrinks its text)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('figure.chart svg text')]
                .filter(t => t.getBoundingClientRect().height > 0)
                .map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize)
                           * t.getScreenCTM().a])
                .filter(([, px]) => px < 10.95).map(([s, px]) => `${s}: ${px.toFixed(1)} px`)"""
        )
    )


def test_every_console_page_has_no_serious_axe_violation_at_laptop_and_phone_width(
    page: Page, live_server: LiveServer, screenshot: Shot
) -> None:
    _need(AXE, "axe-core")
    source = AXE.read_text(encoding="utf-8")
    with live_server.sessions() as session:
        site = console_pages.seed(session, live_server.clock())
    page.set_viewport_size({"width": LAPTOP, "height": 900})
    page.goto(f"{live_server.url}/connexion")
    login_violations = _axe(page, source)
    _log_in(page, live_server)
    found: dict[str, Any] = {"connexion": login_violations} if login_violations else {}
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in site.pages:
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("h1")).to_be_visible()
            violations = _axe(page, source)
            if violations:
                found[f"{name} at {width} px"] = violations
            if width == PHONE:
                screenshot(page, name)
    # A form sent back with its errors, as a coordinator on a phone sees it.
    for name, path, button in (
        ("benevole-erreurs", f"/t/{site.territory_id}/benevoles/nouveau", "Ajouter le bénévole"),
        ("fiche-erreurs", f"/t/{site.territory_id}/annuaire/nouvelle", "Ajouter la fiche"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.locator("input[name=name]").fill("Dr Nouveau")
        page.locator("input[name=phone]").fill("pas un numéro")
        page.get_by_role("button", name=button).click()
        expect(page.locator("input[name=phone]")).to_have_attribute("aria-invalid", "true")
        if violations := _axe(page, source):
            found[f"{name} at {PHONE} px"] = violations
        assert _overflow(page) == 0, name
        screenshot(page, name)
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)


def test_a_simulated_call_ringing_a_volunteer_passes_axe_and_fits_a_phone(
    page: Page, live_server: LiveServer, screenshot: Shot
) -> None:
    _need(AXE, "axe-core")
    source = AXE.read_text(encoding="utf-8")
    with live_server.sessions() as session:
        console_pages.seed(session, live_server.clock())
    page.set_viewport_size({"width": PHONE, "height": 844})
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/simulateur")
    page.get_by_role("button", name="Appeler la ligne").click()
    page.get_by_role("button", name="Touche 1").click()
    for key in "75020":
        page.get_by_role("button", name=f"Touche {key}").click()
    expect(page.locator(".vphone.ringing")).to_contain_text("Dr Camille Martin-Lefèvre")
    assert _axe(page, source) == []
    assert _overflow(page) == 0
    screenshot(page, "ringing")


def test_every_console_page_fits_a_360_px_phone_without_sideways_scrolling(
    page: Page, live_server: LiveServer, screenshot: Shot
) -> None:
    with live_server.sessions() as session:
        site = console_pages.seed(session, live_server.clock())
    page.set_viewport_size({"width": NARROW, "height": 780})
    page.goto(f"{live_server.url}/connexion")
    too_wide = {"connexion": _overflow(page)}
    _log_in(page, live_server)
    small_text: dict[str, list[str]] = {}
    for name, path in site.pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_be_visible()
        too_wide[name] = _overflow(page)
        if small := _small_chart_text(page):
            small_text[name] = small
    screenshot(page, "last-page")
    assert {name: px for name, px in too_wide.items() if px > 0} == {}
    assert small_text == {}
    # The charts were measured, not skipped: the dashboard draws its four at this width, each in its region.
    page.goto(f"{live_server.url}/t/{site.territory_id}/")
    expect(page.locator("figure.chart svg text").first).to_be_visible()
    expect(page.get_by_role("region", name="Demandes par jour et par heure")).to_have_attribute("tabindex", "0")
    screenshot(page, "dashboard")
    # On a laptop the same charts are neither shrunk below 11 px nor cut: they need no scrolling there.
    page.set_viewport_size({"width": LAPTOP, "height": 900})
    assert _small_chart_text(page) == []
    assert page.evaluate("[...document.querySelectorAll('.chart-scroll')].every(e => e.scrollWidth <= e.clientWidth)")


def test_a_table_wider_than_the_phone_scrolls_inside_a_labelled_focusable_region(
    page: Page, live_server: LiveServer, screenshot: Shot
) -> None:
    with live_server.sessions() as session:
        site = console_pages.seed(session, live_server.clock())
    page.set_viewport_size({"width": NARROW, "height": 780})
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/t/{site.territory_id}/demandes")
    region = page.get_by_role("region", name="Journal des demandes")
    expect(region).to_have_attribute("tabindex", "0")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # the table is wider: it scrolls in its box
    region.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(region).not_to_have_js_property("scrollLeft", 0)  # the keyboard scrolls it, no mouse needed
    assert _overflow(page) == 0
    screenshot(page, "scrolled")


def test_the_html_of_every_console_page_passes_the_nu_html_checker(
    app: Flask, session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    _need(VNU, "vnu.jar (npm package vnu-jar)")
    java = shutil.which("java")
    if java is None:
        _need(Path("/usr/bin/java"), "java")
    site = console_pages.seed(session, clock())
    anonymous = app.test_client()
    files = [tmp_path / "connexion.html"]
    files[0].write_bytes(anonymous.get("/connexion").data)
    client = login(app, console_pages.ADMIN, console_pages.PASSWORD)
    for name, path in site.pages:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.data)
    # Forms sent back with their errors (aria-invalid, messages beside the fields) must be valid HTML too.
    t = f"/t/{site.territory_id}"
    for name, path in (("benevole-erreurs", f"{t}/benevoles/nouveau"), ("fiche-erreurs", f"{t}/annuaire/nouvelle")):
        status, body, _ = post(client, path, {"name": "", "phone": "pas un numéro", "postcode": "7502"})
        assert status in (200, 422) and "aria-invalid" in body, (path, status)
        files.append(tmp_path / f"{name}.html")
        files[-1].write_text(body, encoding="utf-8")
    # One run of the checker for every page: the JVM starts once.
    done = subprocess.run(
        [java or "java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(done.stderr)
    problems = [
        f"{Path(m['url']).name}:{m.get('lastLine', '?')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "warning"
    ]
    assert problems == [], "\n".join(problems)
    assert len(files) == len(site.pages) + 3
