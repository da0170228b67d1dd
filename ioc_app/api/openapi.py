"""The OpenAPI 3.1 document of the API, written from the Route declarations: each route's
parameter model gives its parameters, its body model the 200 schema, ErrorBody (or the
Open311 error array) every refusal."""
from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from ioc_app.api import schemas as s
from ioc_app.api.core import Route

REF = "#/components/schemas/{model}"
SIGNED_HEADERS = {
    "X-IOC-Signature": "base64 detached Ed25519 signature of the exact body bytes",
    "X-IOC-Key-Id": "hex SHA-256 of the signing public key (GET /api/v1/signing-key)",
}
DATA_HEADERS = {
    "X-IOC-Snapshot": "lake snapshot id the answer was read at",
    "X-IOC-Snapshot-Time": "commit time of that snapshot (ISO 8601, +07:00)",
}


def _headers(names: dict[str, str]) -> dict[str, Any]:
    return {name: {"description": text, "schema": {"type": "string"}} for name, text in names.items()}


def _parameter_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query field's schema without pydantic's `null` branch and title (absent = not given)."""
    options = [option for option in prop.get("anyOf", [prop]) if option.get("type") != "null"]
    schema = {key: value for key, value in options[0].items() if key not in ("title", "description")}
    if prop.get("default") is not None:
        schema["default"] = prop["default"]
    return schema


def _parameters(route: Route) -> list[dict[str, Any]]:
    schema = route.params.model_json_schema()
    required = set(schema.get("required", []))
    path_names = set(re.findall(r"{(\w+)}", route.path))
    return [{"name": name, "in": "path" if name in path_names else "query",
             "required": name in required or name in path_names,
             "description": prop.get("description", ""), "schema": _parameter_schema(prop)}
            for name, prop in schema.get("properties", {}).items()]


def _json(ref: str, array: bool = False) -> dict[str, Any]:
    schema = {"$ref": REF.format(model=ref)}
    return {"application/json": {"schema": {"type": "array", "items": schema} if array else schema}}


def _responses(route: Route, body: str) -> dict[str, Any]:
    error = "Open311Error" if route.open311 else "ErrorBody"
    refusal = {"content": _json(error, route.open311), "headers": _headers(SIGNED_HEADERS)}
    responses = {
        "200": {"description": "OK", "content": _json(body, route.open311),
                "headers": _headers({**SIGNED_HEADERS, **DATA_HEADERS})},
        "400": {"description": "a parameter is refused (each named with its reason)", **refusal},
        "405": {"description": "only GET is served", **refusal},
        # gunicorn refuses request lines over 4094 bytes itself, before the app sees them.
        "414": {"description": "request line too long (refused by the HTTP server, plain text)"},
    }
    if route.scope:
        responses["401"] = {"description": "bearer token missing, malformed, unknown, expired, revoked, or its "
                                           "account closed", **refusal}
        responses["403"] = {"description": f"the token lacks {route.scope}, its user's role may not hold it, or the "
                                           "request reaches outside the user's areas", **refusal}
    if "{" in route.path:
        responses["404"] = {"description": "no such resource", **refusal}
    return responses


def document(routes: list[Route], extra_paths: dict[str, Any], title: str) -> dict[str, Any]:
    bodies = [(route.body, "serialization") for route in routes]
    models = [(model, "serialization") for model in (s.ErrorBody, s.Open311Error)]
    keys, definitions = models_json_schema(bodies + models, ref_template=REF)
    paths: dict[str, Any] = {}
    for route in routes:
        body = keys[(route.body, "serialization")]["$ref"].rsplit("/", 1)[1]
        operation = {"operationId": route.operation_id, "summary": route.summary, "tags": [route.tag],
                     "parameters": _parameters(route), "responses": _responses(route, body)}
        if route.scope:
            operation["security"] = [{"bearer": [route.scope]}]
            operation["description"] = f"Needs a token with the scope `{route.scope}`."
        if route.packet:
            text = operation.get("description", "") + f" QCVN 125:2021/BTTTT: {route.packet}."
            operation["description"] = text.strip()
        paths[route.path] = {"get": operation}
    paths.update(extra_paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0",
                 "description": "Approved indicator figures, catalogs, ticket statistics, QCVN 125:2021 packets and "
                                "Open311 GeoReport v2. Every body is signed (X-IOC-Signature); see docs/api.md."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "ioc token create --user NAME --scope ... --days N"}},
        },
    }
