"""The live board: the waiting line and the volunteers on duty now, reloading itself without JavaScript."""

from __future__ import annotations

from flask import render_template, request

from orientation.core.board import FREE, OFFERED, ON_CALL, PAUSED
from orientation.core.runtime import db, now
from orientation.services.board import board_for
from orientation.web.console.web import bp, territory_or_404

# A page reload every REFRESH_SECONDS (<meta http-equiv="refresh">): live enough for a surge, no JavaScript.
REFRESH_SECONDS = 10
STATE_LABELS = {FREE: "Libre", OFFERED: "Appel proposé", ON_CALL: "En ligne", PAUSED: "En pause"}


@bp.get("/t/<int:territory_id>/direct")
def live_board(territory_id: int) -> str:
    """Per motive the callers waiting and their waits, the volunteers on duty, today's figures."""
    territory = territory_or_404(territory_id)
    # "?pause=1" stops the reload (WCAG 2.2.1: a timed refresh must be possible to turn off).
    paused = request.args.get("pause") == "1"
    return render_template(
        "console/board.html",
        territory=territory,
        section="dashboard",
        board=board_for(db(), territory, now()),
        refresh=None if paused else REFRESH_SECONDS,
        state_labels=STATE_LABELS,
    )
