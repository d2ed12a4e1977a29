"""Bytes no page, form or API body of ours ever needs are refused before any view or database sees them.

PostgreSQL cannot store a NUL character (the query fails: a 500), a CR/LF in a redirect target breaks the
response, and other C0 controls have no business in a URL or a form. One check, for every request but the
Twilio webhooks (signed, answered by their own error path so that a call is never dropped): the path holds no
C0 control at all, a query value a tab at most (no line break); form fields and JSON texts may hold tab, CR
and LF (multi-line notes), nothing else of C0. The console answers 400 in French, the API 422 naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, jsonify, request

# Every C0 control and DEL in a path; a query may hold a tab (pasted from a spreadsheet into a search box,
# browsers keep it), never a line break; texts that may span lines (form fields, JSON) hold tab, LF, CR too.
_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
_IN_ARG = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
WEBHOOK_PREFIX = "/twilio/"
API_PREFIX = "/api/"
API_MESSAGE = "control characters are not allowed"
CONSOLE_MESSAGE = "Requête refusée : elle contient des caractères de contrôle (octets invisibles) non autorisés."
PAGE = (
    '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Requête refusée</title>'
    '<h1>Requête refusée</h1><p>{message}</p><p><a href="/">Retour à l\'accueil</a></p></html>'
)


def json_field(value: Any, path: str = "") -> str | None:
    """The first field (dotted path) of a JSON value whose key or text holds a forbidden control."""
    if isinstance(value, str):
        return (path or "body") if _IN_TEXT.search(value) else None
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inner = f"{path}.{key}" if path else str(key)
        if _IN_LINE.search(str(key)):
            return inner
        found = json_field(item, inner)
        if found is not None:
            return found
    return None


def refused_field(
    path: str, args: Iterable[tuple[str, str]], form: Iterable[tuple[str, str]], body: Any = None
) -> str | None:
    """The name of the first input holding a control character it may not hold, None when all are clean."""
    if _IN_LINE.search(path):
        return "path"
    for name, value in args:
        if _IN_LINE.search(name) or _IN_ARG.search(value):
            return name
    for name, value in form:
        if _IN_LINE.search(name) or _IN_TEXT.search(value):
            return name
    return json_field(body)


def _check() -> Response | None:
    if request.path.startswith(WEBHOOK_PREFIX):
        return None
    try:
        body = request.get_json(silent=True) if request.is_json else None
    except RecursionError:
        body = None  # nested hundreds deep: the API's json_body answers that one
    field = refused_field(request.path, request.args.items(multi=True), request.form.items(multi=True), body)
    if field is None:
        return None
    if request.path.startswith(API_PREFIX):
        response = jsonify({"errors": {field: API_MESSAGE}})
        response.status_code = 422
        response.headers["Cache-Control"] = "no-store"
        return response
    return Response(PAGE.format(message=CONSOLE_MESSAGE), 400, mimetype="text/html")


def install(app: Flask) -> None:
    """Refuse control characters at the edge, before every other check of every request."""
    app.before_request_funcs.setdefault(None, []).insert(0, _check)
