"""Every page of the console over a territory with a bit of everything, for the accessibility and HTML checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.models import Attempt, Event, Request
from orientation.services.audit import record
from orientation.web.console.accounts import create_user
from tests import factories
from volunteers.models import ShiftPattern

ADMIN = "admin@example.org"
PASSWORD = "un mot de passe assez long"


@dataclass(frozen=True)
class ConsolePages:
    """The seeded territory and the console's pages over it, as (name, path) in a visiting order."""

    territory_id: int
    pages: list[tuple[str, str]]


def seed(session: Session, now: datetime) -> ConsolePages:
    """A territory with requests of every kind, volunteers on shift and on a pattern, a directory entry, an admin."""
    territory = factories.territory(session, now)
    first = factories.volunteer(session, territory, now, name="Dr Camille Martin-Lefèvre")
    factories.volunteer(session, territory, now, name="Dominique Bernard", profession="infirmier", on_shift=False)
    session.add(
        ShiftPattern(
            volunteer_id=first.id,
            weekdays=[0, 2, 4],
            start_time="08:00",
            end_time="12:00",
            valid_from=date(2026, 11, 1),
            motives=[],
            created_at=now,
        )
    )
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        kind="professional",
        name="Dr Élise Dupré",
        profession="medecin",
        postcode="75020",
        commune="Paris",
        phone="+33143000000",
        search_key="dr elise dupre medecin 75020 paris",
        accepting_new_patients=True,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    # Microseconds in every stored time, as the line writes them: a <time datetime> must still be valid.
    base = now.replace(microsecond=123456)
    kinds = [
        ("medecin_traitant", "closed", "matched"),
        ("visite_domicile", "callback_pending", None),
        ("soins_non_programmes", "abandoned", "abandoned"),
        ("orientation", "connected", None),
    ]
    references = []
    for number, (motive, status, outcome) in enumerate(kinds * 3, start=1):
        created = base - timedelta(hours=5 * number)
        request = Request(
            territory_id=territory.id,
            reference=f"P20-2025-{number:06d}",  # last year: the line numbers this year's calls
            call_sid=f"CA{number:032d}",
            caller="+33611223344",
            motive=motive,
            postcode="75020",
            status=status,
            outcome=outcome,
            created_at=created,
            updated_at=created,
            connected_at=created + timedelta(seconds=40) if status in ("closed", "connected") else None,
            callback_requested_at=created if status == "callback_pending" else None,
        )
        session.add(request)
        session.flush()
        references.append(request.reference)
        session.add(Attempt(request_id=request.id, volunteer_id=first.id, seq=1, result="accepted", offered_at=created))
        for offset, kind, payload in (
            (0, "call.received", {}),
            (5, "menu.motive", {"motive": motive}),
            (12, "postcode", {"postcode": "75020", "in_territory": True}),
            (14, "attempt.offered", {"volunteer_id": first.id}),
            (40, "attempt.accepted", {"volunteer_id": first.id}),
        ):
            at = created + timedelta(seconds=offset)
            session.add(Event(request_id=request.id, kind=kind, payload=payload, at=at))
        record(session, "user:1", "read", request, created + timedelta(minutes=1))
    create_user(session, ADMIN, PASSWORD, "admin", None, now, name="Alix Administration")
    session.commit()
    t = f"/t/{territory.id}"
    pages = [
        ("accueil", "/"),
        ("tableau-de-bord", f"{t}/"),
        ("direct", f"{t}/direct?pause=1"),  # paused: axe's meta-refresh rule (see test_board_browser.py)
        ("demandes", f"{t}/demandes"),
        ("demande", f"{t}/demandes/{references[0]}"),
        ("demande-rappel", f"{t}/demandes/{references[1]}"),
        ("planning", f"{t}/rota"),
        ("benevoles", f"{t}/benevoles"),
        ("benevole", f"{t}/benevoles/{first.id}"),
        ("benevole-nouveau", f"{t}/benevoles/nouveau"),
        ("annuaire", f"{t}/annuaire?q=dupre"),
        ("fiche", f"{t}/annuaire/{entry.id}"),
        ("fiche-nouvelle", f"{t}/annuaire/nouvelle"),
        ("parametres", f"{t}/parametres"),
        ("exports", f"{t}/exports"),
        ("journal", "/admin/journal"),
        ("simulateur", "/simulateur"),
        ("introuvable", f"{t}/demandes/P20-2025-999999"),
    ]
    return ConsolePages(territory.id, pages)
