"""The OpenAPI 3.1 document, generated from the Flask routes and the pydantic models they parse and answer.

Each view declares its operation with ``@operation(...)``: its query model, body model and answers. The document
walks the app's URL map, so a route without a declaration is missing from nowhere: it fails the test that every
API route is described. No other copy of a field exists: the model that validates is the model described.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, Request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from orientation.core.fields import MAX_ID

View = TypeVar("View", bound=Callable[..., Any])
Q = TypeVar("Q", bound=BaseModel)


class RequiredInDocument:
    """Metadata: a query field the document marks required although the code may infer it (a token's territory)."""


class Error(BaseModel):
    """A refusal that names no field (401, 404, 409)."""

    error: str


class ValidationErrors(BaseModel):
    """Bad input: one message per field (the field's name, dotted for nested ones; ``body`` for the whole body)."""

    errors: dict[str, str]


Answer = type[BaseModel] | None


@dataclass(frozen=True)
class Operation:
    """What the document says of one route and method."""

    summary: str
    description: str | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    answers: Mapping[int, tuple[Answer, str]] = field(default_factory=dict)
    path: Mapping[str, dict[str, Any]] = field(default_factory=dict)


OPERATIONS: dict[Callable[..., Any], Operation] = {}


def operation(
    summary: str,
    *,
    description: str | None = None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    answers: Mapping[int, tuple[Answer, str] | Answer],
    path: Mapping[str, dict[str, Any]] | None = None,
) -> Callable[[View], View]:
    """Declare a view's operation; ``answers`` maps its statuses (besides 401, 404, 422) to a model or None."""
    spelled = {
        status: (a if isinstance(a, tuple) else (a, _STATUS_TEXT.get(status, "OK"))) for status, a in answers.items()
    }

    def register(view: View) -> View:
        OPERATIONS[view] = Operation(summary, description, query, body, spelled, dict(path or {}))
        return view

    return register


def parse_query(model: type[Q], request: Request) -> Q:
    """The query string validated by its model; a 422 naming each bad parameter (an unknown one too)."""
    from orientation.web.api import unprocessable
    from orientation.web.api.schemas import field_errors

    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        unknown = {str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden" and e["loc"]}
        named = {"body" if name == "" else name for name in unknown}  # field_errors names an empty loc "body"
        errors = {k: v for k, v in field_errors(exc).items() if k not in named}
        errors.update({name or "query": "unknown parameter" for name in unknown})
        raise unprocessable(errors) from None


_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "Done, nothing to answer", 409: "Conflict"}
_COMMON: dict[int, tuple[Answer, str]] = {
    401: (Error, "No or bad bearer token"),
    404: (Error, "Unknown, or another territory's"),
    422: (ValidationErrors, "Bad input: one message per field"),
}
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_REF = "#/components/schemas/{model}"


def _path_schema(converter: str | None) -> dict[str, Any]:
    if converter == "int":
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"type": "string", "minLength": 1}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query field's schema without its null branch (a query string has no null)."""
    branches = schema.get("anyOf")
    if not branches:
        return schema
    kept = [b for b in branches if b != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default") or (k == "default" and v is not None)}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF)
    parameters = []
    for name, info in model.model_fields.items():
        prop = _not_null(dict(schema["properties"][info.alias or name]))
        prop.pop("title", None)
        description = prop.pop("description", None)
        required = info.is_required() or any(isinstance(m, RequiredInDocument) for m in info.metadata)
        parameter: dict[str, Any] = {"name": info.alias or name, "in": "query", "required": required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _content(ref: dict[str, Any] | None, description: str) -> dict[str, Any]:
    if ref is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _answer(keys: Mapping[Any, dict[str, Any]], model: Answer, text: str) -> dict[str, Any]:
    return _content(None if model is None else keys[(model, "serialization")], text)


def document(app: Flask, *, title: str, description: str) -> dict[str, Any]:
    """The whole document, for every ``api.*`` route of the app."""
    routes: list[tuple[str, str, Operation, dict[str, str | None]]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        found = OPERATIONS.get(app.view_functions[rule.endpoint])
        if found is None:
            continue  # the document itself
        converters = {name: conv for conv, name in _CONVERTER.findall(rule.rule)}
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule).removeprefix("/api/v1")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((path, method.lower(), found, converters))

    models: list[tuple[type[BaseModel], Any]] = [(Error, "serialization"), (ValidationErrors, "serialization")]
    for _, _, op, _ in routes:
        if op.body is not None:
            models.append((op.body, "validation"))
        models.extend((model, "serialization") for model, _ in op.answers.values() if model is not None)
    keys, definitions = models_json_schema(list(dict.fromkeys(models)), ref_template=_REF)

    paths: dict[str, dict[str, Any]] = {}
    for path, method, op, converters in routes:
        spec: dict[str, Any] = {"summary": op.summary, "operationId": f"{method}_{path}"}
        if op.description:
            spec["description"] = op.description
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": op.path.get(name) or _path_schema(conv)}
            for name, conv in converters.items()
        ]
        if op.query is not None:
            parameters.extend(_query_parameters(op.query))
        if parameters:
            spec["parameters"] = parameters
        if op.body is not None:
            spec["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": keys[(op.body, "validation")]}},
            }
        answers = {**_COMMON, **op.answers}
        spec["responses"] = {str(code): _answer(keys, model, text) for code, (model, text) in sorted(answers.items())}
        paths.setdefault(path, {})[method] = spec

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": description},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": definitions.get("$defs", {}),
        },
        "paths": paths,
    }
