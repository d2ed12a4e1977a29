"""The waiting line's figures from the database: the rows of the requests that joined the line, then pure."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.models import Request
from orientation.core.stats_wait import WaitRow, wait_figures_by_motive


def wait_rows(
    session: Session, territory_id: int | None, since: datetime | None, until: datetime | None
) -> list[WaitRow]:
    """The requests of a territory (or all) created in [since, until) that joined the waiting line."""
    # Only callers who waited are read: a handful of rows per day even in a surge, so no SQL tally is needed.
    query = select(
        Request.motive,
        Request.wait_started_at,
        Request.wait_ended_at,
        Request.wait_end,
        Request.created_at,
        Request.postcode,
    ).where(Request.wait_started_at.is_not(None))
    if territory_id is not None:
        query = query.where(Request.territory_id == territory_id)
    if since is not None:
        query = query.where(Request.created_at >= since)
    if until is not None:
        query = query.where(Request.created_at < until)
    return [
        WaitRow(
            motive=r.motive,
            wait_started_at=r.wait_started_at,
            wait_ended_at=r.wait_ended_at,
            wait_end=r.wait_end,
            created_at=r.created_at,
            postcode=r.postcode,
        )
        for r in session.execute(query)
    ]


def wait_figures_for(
    session: Session, territory_id: int | None, since: datetime | None, until: datetime | None
) -> dict[str, dict[str, Any]]:
    """Per motive (and "unknown", "all"), the waiting line's figures as plain dicts."""
    figures = wait_figures_by_motive(wait_rows(session, territory_id, since, until))
    return {motive: asdict(values) for motive, values in figures.items()}
