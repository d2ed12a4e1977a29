"""The dashboard shows what needs action now, whatever the period, and each figure leads to exactly its rows."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from tests.functional.test_console_pages import coordinator, make_request


def rows_behind(client: FlaskClient, page: str, name: str) -> tuple[int, list[str]]:
    """The figure shown for a backlog list, and the references of the log its link leads to, in order."""
    match = re.search(rf'<dd data-backlog="{name}" data-value="(\d+)"><a href="([^"]+)">', page)
    assert match is not None, name
    log = client.get(htmllib.unescape(match.group(2))).get_data(as_text=True)
    return int(match.group(1)), re.findall(r'<tr data-reference="([^"]+)"', log)


def test_each_backlog_figure_counts_and_links_to_exactly_its_rows_whatever_the_period(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    now = clock()
    # Call-backs waiting: one from last month (outside this week's and this month's figures), two recent.
    old = make_request(session, territory, now - timedelta(days=40), status="callback_pending",
                       callback_requested_at=now - timedelta(days=40))  # fmt: skip
    recent = make_request(session, territory, now - timedelta(hours=1), status="callback_pending",
                          callback_requested_at=now - timedelta(hours=1))  # fmt: skip
    middle = make_request(session, territory, now - timedelta(days=3), status="callback_pending",
                          callback_requested_at=now - timedelta(days=2))  # fmt: skip
    # Connected calls: one without outcome for 30 h, one for 2 h only (not yet late).
    late = make_request(session, territory, now - timedelta(hours=31), status="connected",
                        connected_at=now - timedelta(hours=30))  # fmt: skip
    make_request(session, territory, now - timedelta(hours=3), status="connected",
                 connected_at=now - timedelta(hours=2))  # fmt: skip
    # Unreachable: closed on Monday (this week), and one closed last Saturday.
    monday = make_request(session, territory, now - timedelta(days=9), outcome="unreachable",
                          closed_at=now - timedelta(hours=30))  # fmt: skip
    make_request(session, territory, now - timedelta(days=9), outcome="unreachable", closed_at=now - timedelta(days=3))
    make_request(session, territory, now - timedelta(hours=5), outcome="matched", closed_at=now - timedelta(hours=4))

    page = client.get(f"/t/{territory.id}/").get_data(as_text=True)
    assert "À traiter maintenant" in page

    count, references = rows_behind(client, page, "rappels")
    assert count == 3 and references == [old.reference, middle.reference, recent.reference]  # oldest first
    count, references = rows_behind(client, page, "sans_issue")
    assert count == 1 and references == [late.reference]
    count, references = rows_behind(client, page, "injoignables")
    assert count == 1 and references == [monday.reference]

    # The week's figure still counts only the week's requests; the backlog says the whole queue.
    week = page.split('data-period="week"', 1)[1].split('data-period="month"')[0]
    assert 'data-figure="callbacks_pending" data-value="1"' in week
    oldest = page.split('id="oldest-callbacks"', 1)[1].split("</ol>", 1)[0]
    assert oldest.index(old.reference) < oldest.index(middle.reference) < oldest.index(recent.reference)


def test_the_log_says_which_backlog_it_shows_and_refuses_an_unknown_one(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    make_request(session, territory, clock() - timedelta(hours=1))
    shown = client.get(f"/t/{territory.id}/demandes?suivi=sans_issue").get_data(as_text=True)
    assert "Mises en relation sans issue depuis plus de 24 h" in shown and "0 demande" in shown
    unknown = client.get(f"/t/{territory.id}/demandes?suivi=tout").get_data(as_text=True)
    assert "Suivi inconnu : filtre ignoré." in unknown and unknown.count('data-reference="') == 1
