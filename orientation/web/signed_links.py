"""What the pages reached by a signed link share (outcome form, volunteer's page): the token, refusals, headers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request

from orientation.core.runtime import runtime
from orientation.services import outcomes

REFUSED_TEMPLATE = "outcome_form/refused.html"


class Refused(Exception):
    """A link that cannot be honoured: answered with a French page and its HTTP status."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail


def page(template: str, status: int = 200, **values: Any) -> Response:
    """A rendered page of a signed link: never cached, never sent on as a Referer, never indexed."""
    response = Response(render_template(template, **values), status=status, mimetype="text/html")
    # The link is a key: whoever holds the page's address holds the volunteer's rights on it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def refuse_with_pages(bp: Blueprint) -> None:
    """Answer a blueprint's `Refused` with the French refusal page."""

    @bp.errorhandler(Refused)
    def _refused(error: Refused) -> Response:
        return page(REFUSED_TEMPLATE, error.status, title=error.title, detail=error.detail)


def now() -> datetime:
    """The app's clock (injected in tests)."""
    return runtime().clock()


def token() -> str:
    """The link's token, from the query string (kept out of access logs, which drop query strings)."""
    # Tokens are ~60 URL-safe characters; anything much longer is not one (and needs no signature check).
    return (request.args.get(outcomes.TOKEN_PARAM) or "")[:200]
