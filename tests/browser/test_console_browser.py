"""The console in a real browser: login, the territory wall, figures, an outcome, a shift, a simulated call, keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from directory.models import DirectoryEntry
from orientation.core.models import Request, Territory
from orientation.services.tokens import create_token
from orientation.web.console.accounts import create_user
from tests import factories
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "un mot de passe assez long"
Shot = Callable[[Any, str], Path]


def _territory(live: LiveServer, **overrides: Any) -> Territory:
    with live.sessions() as session:
        territory = factories.territory(session, live.clock(), **overrides)
        session.expunge(territory)
        return territory


def _coordinator(live: LiveServer, territory_id: int, email: str = "coordination@example.org") -> None:
    with live.sessions() as session:
        create_user(session, email, PASSWORD, "coordinator", territory_id, live.clock(), name="Camille Coordination")
        session.commit()


def _log_in(page: Page, live: LiveServer, email: str = "coordination@example.org") -> None:
    page.goto(f"{live.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _request(live: LiveServer, territory: Territory, minutes_ago: int, number: int, **fields: Any) -> str:
    created = live.clock() - timedelta(minutes=minutes_ago)
    values: dict[str, Any] = {
        "territory_id": territory.id,
        "reference": f"P20-2026-{number:06d}",
        "call_sid": f"CA{number:032d}",
        "caller": "+33611223344",
        "status": "closed",
        "created_at": created,
        "updated_at": created,
        **fields,
    }
    with live.sessions() as session:
        session.add(Request(**values))
        session.commit()
    return str(values["reference"])


def test_console_login_and_logout(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Connexion à la console")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill("coordination@example.org")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Adresse e-mail ou mot de passe incorrect")
    screenshot(page, "refused")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale")).to_contain_text("Demandes")
    screenshot(page, "dashboard")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()
    page.goto(f"{live_server.url}/t/{territory.id}/demandes")
    expect(page.get_by_role("heading", name="Connexion à la console")).to_be_visible()
    screenshot(page, "logged-out")


def test_console_territory_wall(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    mine = _territory(live_server)
    other = _territory(live_server, name="CPTS Ailleurs", phone_numbers=["+33199000009"], reference_prefix="AIL")
    reference = _request(live_server, other, 5, 1)
    _coordinator(live_server, mine.id)
    _log_in(page, live_server)
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    for path in ("/", "/demandes", f"/demandes/{reference}", "/rota", "/parametres"):
        response = page.goto(f"{live_server.url}/t/{other.id}{path}")
        assert response is not None and response.status == 404, path
    expect(page.get_by_text("CPTS Ailleurs")).to_have_count(0)
    screenshot(page, "other-territory")
    page.goto(f"{live_server.url}/t/{mine.id}/demandes")
    expect(page.get_by_role("heading", name="Journal des demandes")).to_be_visible()


def test_console_dashboard_figures_equal_the_stats_api(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    now = live_server.clock()
    _request(
        live_server,
        territory,
        30,
        1,
        motive="medecin_traitant",
        outcome="matched",
        connected_at=now - timedelta(minutes=29),
    )
    _request(
        live_server,
        territory,
        90,
        2,
        motive="medecin_traitant",
        outcome="no_solution",
        connected_at=now - timedelta(minutes=89, seconds=15),
    )
    _request(
        live_server,
        territory,
        60 * 24,
        3,
        motive="visite_domicile",
        status="callback_pending",
        callback_requested_at=now - timedelta(hours=23),
    )
    _request(
        live_server, territory, 60 * 24 * 9, 4, motive="soins_non_programmes", status="abandoned", outcome="abandoned"
    )
    _request(live_server, territory, 60 * 24 * 20, 5, motive="orientation", outcome="oriented")
    with live_server.sessions() as session:
        token = create_token(session, "browser", territory.id, now)
        session.commit()
    _log_in(page, live_server)
    for period in ("week", "month"):
        section = page.locator(f'section[data-period="{period}"]')
        since, until = section.get_attribute("data-since"), section.get_attribute("data-until")
        api = page.request.get(
            f"{live_server.url}/api/v1/stats",
            params={"territory_id": territory.id, "since": since or "", "until": until or ""},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.ok
        expected = api.json()["motives"]
        shown_total = section.locator("dl.figures [data-figure='requests']")
        assert int(shown_total.inner_text().strip()) == expected["all"]["requests"]
        for field in ("requests", "connected", "abandoned", "callbacks_pending", "answer_rate", "match_rate"):
            value = section.locator(f"dl.figures [data-figure='{field}']").get_attribute("data-value")
            want = expected["all"][field]
            assert value == ("" if want is None else str(want)), (period, field)
        for motive in ("medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"):
            row = section.locator(f"tr[data-motive='{motive}']")
            for field in ("requests", "matched", "with_outcome"):
                assert int(row.locator(f"[data-figure='{field}']").inner_text()) == expected[motive][field], (
                    period,
                    motive,
                    field,
                )
    week = page.locator('section[data-period="week"]')
    expect(week.locator("dl.figures [data-figure='match_rate']")).to_have_text("50\u00a0%")
    expect(page.locator("#definition")).to_contain_text("Taux de prise en charge")
    expect(page.locator("figure.chart svg")).to_have_count(4)
    screenshot(page, "dashboard")
    # On a phone the page reflows: nothing wider than the screen but the tables, which scroll in their box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone")


def test_console_setting_an_outcome(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    reference = _request(
        live_server,
        territory,
        20,
        1,
        motive="medecin_traitant",
        status="connected",
        postcode="75020",
        connected_at=live_server.clock() - timedelta(minutes=19),
    )
    with live_server.sessions() as session:
        session.add(
            DirectoryEntry(
                territory_id=territory.id,
                source="manual",
                kind="professional",
                name="Dr Élise Dupré",
                profession="medecin",
                postcode="75020",
                commune="Paris",
                search_key="dr elise dupre medecin 75020 paris",
                accepting_new_patients=True,
                created_at=live_server.clock(),
                updated_at=live_server.clock(),
            )
        )
        session.commit()
    _log_in(page, live_server)
    page.get_by_role("link", name="Demandes", exact=True).click()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Demande {reference}")).to_be_visible()
    page.get_by_label("Professionnel ou structure qui a pris en charge").fill("elise dupre")
    page.get_by_role("button", name="Chercher dans l'annuaire").click()
    page.get_by_label("Dr Élise Dupré").check()
    page.get_by_role("combobox", name="Issue").select_option("matched")
    page.get_by_label("Note (facultative").fill("Acceptée comme patiente")
    page.get_by_role("button", name="Enregistrer l'issue").click()
    expect(page.get_by_text("Issue enregistrée : Pris en charge.")).to_be_visible()
    expect(page.locator("#outcome")).to_have_text("Pris en charge")
    expect(page.locator("#status")).to_have_text("Clôturée")
    expect(page.get_by_text("Pris en charge par : Dr Élise Dupré")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Issue : Pris en charge")
    expect(page.locator(".timeline")).to_contain_text("Camille Coordination")
    screenshot(page, "request")
    page.get_by_role("link", name="← Journal des demandes").click()
    expect(page.locator(f"tr[data-reference='{reference}']")).to_contain_text("Pris en charge")


def test_console_adding_a_shift(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    with live_server.sessions() as session:
        volunteer = factories.volunteer(
            session,
            session.get(Territory, territory.id),
            live_server.clock(),  # type: ignore[arg-type]
            on_shift=False,
            motives=["visite_domicile"],
            name="Dr Jeanne Petit",
        )
    _log_in(page, live_server)
    page.get_by_role("link", name="Planning", exact=True).click()
    page.get_by_role("combobox", name="Motif").select_option("visite_domicile")
    page.get_by_role("button", name="Afficher").click()
    gaps_before = page.locator("td.cell.gap").count()
    assert gaps_before == 24 * 7
    form = page.locator("#form-shift")
    form.get_by_label("Bénévole").select_option(str(volunteer.id))
    form.get_by_label("Jour").fill("2026-11-26")
    form.get_by_label("Début").fill("09:00")
    form.get_by_label("Fin").fill("13:00")
    form.get_by_role("button", name="Ajouter la permanence").click()
    expect(page.get_by_text("Permanence ajoutée.")).to_be_visible()
    expect(page.locator("td.cell.covered", has_text="Dr Jeanne Petit")).to_have_count(4)
    assert page.locator("td.cell.gap").count() == gaps_before - 4
    expect(page.locator("#gap-list")).to_contain_text("jeu. 26 nov. 09:00")
    screenshot(page, "rota")


def test_console_one_complete_simulated_call(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    with live_server.sessions() as session:
        factories.volunteer(
            session,
            session.get(Territory, territory.id),
            live_server.clock(),  # type: ignore[arg-type]
            name="Dr Camille Martin",
        )
    _log_in(page, live_server)
    page.get_by_role("link", name="Simulateur", exact=True).click()
    page.get_by_role("button", name="Appeler la ligne").click()
    expect(page.locator("#transcript")).to_contain_text("composez le 15")
    screenshot(page, "menu")
    page.get_by_role("button", name="Touche 2").click()
    expect(page.locator("#transcript")).to_contain_text("Vous avez choisi : visite à domicile.")
    for key in "75020":  # the keypad's script gathers the five digits, then sends them
        page.get_by_role("button", name=f"Touche {key}").click()
    expect(page.locator(".vphone.ringing")).to_contain_text("Dr Camille Martin")
    screenshot(page, "ringing")
    page.get_by_role("button", name="Accepter (1)").click()
    expect(page.locator("#transcript")).to_contain_text("Vous êtes en relation avec Dr Camille Martin")
    expect(page.locator("#simulated-request")).to_contain_text("Mise en relation")
    page.get_by_role("button", name="Terminer la conversation").click()
    expect(page.locator("#transcript")).to_contain_text("Appel terminé")
    screenshot(page, "ended")
    page.locator("#simulated-request a").click()
    expect(page.locator("#status")).to_have_text("Mise en relation")
    expect(page.locator(".timeline")).to_contain_text("Dr Camille Martin accepte l'appel")
    page.get_by_role("link", name="Demandes", exact=True).click()
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    expect(page.locator("#requests")).to_contain_text("Visite à domicile")


def _focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
            return {tag: e.tagName, text: (e.innerText || e.value || '').trim(), name: e.getAttribute('name'),
                    inNav: !!e.closest('nav'), inForm: !!e.closest('form'), outline: s.outlineStyle,
                    outlineWidth: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"""
    )


def _wait_for_stylesheet(page: Page) -> None:
    # A page can be shown and focusable before a revalidated (304) console.css applies: the focus ring read
    # then is the browser's own (1px auto). The skip link's rule shows when the console's rules are in.
    expect(page.locator(".skip")).to_have_css("position", "absolute")


def test_console_keyboard_only_navigation(page: Page, live_server: LiveServer, screenshot: Shot) -> None:
    territory = _territory(live_server)
    _coordinator(live_server, territory.id)
    # Logging in with the keyboard alone: the e-mail field has the focus, Tab moves on, Enter submits.
    page.goto(f"{live_server.url}/connexion")
    expect(page.get_by_label("Adresse e-mail")).to_be_focused()  # autofocus: no mouse needed to start
    page.keyboard.type("coordination@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    _wait_for_stylesheet(page)
    # The first Tab shows the skip link; the next ones walk the navigation, each with a visible focus ring.
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["text"] == "Aller au contenu" and first["outline"] != "none" and first["outlineWidth"] >= 2
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        state = _focused(page)
        if state["inNav"]:
            seen.append(state["text"])
            assert state["outline"] != "none" and state["outlineWidth"] >= 2, state
        if state["text"] == "Paramètres":
            screenshot(page, "nav-focus")  # the ring around the focused link, as a person would see it
            break
    assert {"Demandes", "Planning", "Bénévoles", "Annuaire", "Paramètres"} <= set(seen)
    # Enter on a focused link follows it; Tab then reaches the forms of the page.
    page.goto(f"{live_server.url}/t/{territory.id}/")
    page.keyboard.press("Tab")
    while _focused(page)["text"] != "Planning":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="Planning de la semaine du mardi 24 novembre 2026", exact=False)
    ).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("Planning de la semaine du lundi 23 novembre 2026")
    _wait_for_stylesheet(page)
    names = []
    for _ in range(40):
        page.keyboard.press("Tab")
        state = _focused(page)
        if state["inForm"] and state["name"]:
            names.append(state["name"])
            assert state["outline"] != "none", state
        if "volunteer_id" in names and "day" in names:
            break
    assert "motif" in names and "volunteer_id" in names and "day" in names
    screenshot(page, "form-focus")
    # The request log's filters are reachable and usable from the keyboard too.
    page.goto(f"{live_server.url}/t/{territory.id}/demandes")
    for _ in range(30):
        page.keyboard.press("Tab")
        if _focused(page)["name"] == "du":
            break
    assert _focused(page)["name"] == "du"
