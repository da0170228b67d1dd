"""The data-sharing API (/api/v1) and the Open311 GeoReport v2 read endpoints (/open311/v2).

`install_api(server, settings, reader)` registers both on the Flask server. Every answer,
errors included, is JSON signed with the installation's Ed25519 key over its exact bytes
(X-IOC-Signature, X-IOC-Key-Id); data answers carry their lake snapshot in the body and in
X-IOC-Snapshot / X-IOC-Snapshot-Time.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, Response, abort, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException

from ioc_app.api import open311, qcvn125, schemas, v1
from ioc_app.api.core import (Answer, ApiError, Caller, Ctx, Route, error_response, json_response, lake_snapshot,
                              now_aware, is_api_path)
from ioc_app.api.openapi import document
from ioc_app.api.params import NoParams, ParameterProblem, parse
from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.geo import resolve_province
from ioc_app.queries.scope import Scope
from ioc_app.writeback.signing import Signer

KEY_PATH = f"{v1.BASE}/signing-key"
ERROR_CODES = {400: "invalid_parameter", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 500: "server_error"}
OPENAPI_PATH = f"{v1.BASE}/openapi.json"


def _authorize(route: Route, engine) -> Caller | None:
    """The caller of a route that needs a token: 401 without a usable one, 403 outside its scope."""
    from ioc_app.api.tokens import SCOPES, Refusal, check_bearer
    from ioc_app.opdb.session import session_scope

    if route.scope is None:
        return None
    with session_scope(engine) as db:
        try:
            token = check_bearer(db, request.headers.get("Authorization"), now_ict())
        except Refusal as refusal:
            challenge = 'Bearer realm="ioc"' + ('' if refusal.reason.startswith("missing") else
                                                 f', error="invalid_token", error_description="{refusal.reason}"')
            raise ApiError(401, "unauthorized", refusal.reason, headers={"WWW-Authenticate": challenge}) from None
        user = token.user
        caller = Caller(user.username, user.role_code, frozenset(token.scopes.split()), user.unit_id)
    if route.scope not in caller.scopes:
        raise ApiError(403, "forbidden", f"this token does not carry the scope {route.scope}")
    if caller.role not in SCOPES[route.scope]:
        raise ApiError(403, "forbidden", f"role {caller.role} of {caller.username!r} may not read {route.scope}")
    return caller


def _body(route: Route, settings: Settings, system: str, answer: Answer, snapshot: tuple[int, datetime],
          params) -> BaseModel | list[BaseModel]:
    if route.open311:
        return [route.body.model_validate(row) for row in answer.data]
    fields = {
        "api_version": "v1",
        "source": {"system": system, "province_code": settings.province_code,
                   "store": route.store, "tables": list(route.tables)},
        "as_of": {"snapshot_id": snapshot[0], "snapshot_time": snapshot[1], "generated_at": now_aware()},
        "data": answer.data,
    }
    if route.packet:
        fields["packet"] = {"standard": "QCVN 125:2021/BTTTT", "name_vi": route.packet, "structure": "documented-json"}
    if route.paged:
        fields["page"] = {"page": params.page, "page_size": params.page_size, "total": answer.total or 0}
    return route.body.model_validate(fields)


def _open311_error(error: ApiError) -> Response:
    return json_response([schemas.Open311Error(code=error.status, description=error.message)], error.status,
                         error.headers)


def _view(route: Route, settings: Settings, reader):
    from ioc_app.opdb.session import session_scope
    from ioc_app.opdb.reach import read_scope
    from ioc_app.web.opdb import opdb_engine

    system = f"IOC {resolve_province(settings.province_code).name}"

    def view(**path: str) -> Response:
        engine = opdb_engine(settings.database_url)
        try:
            caller = _authorize(route, engine)
            params = parse(route.params, request.args, path)
            with lake_snapshot(reader) as (con, snapshot_id, snapshot_time), session_scope(engine) as db:
                scope = (read_scope(db, settings.province_code, caller.role, caller.unit_id) if caller
                         else Scope(settings.province_code))
                answer = route.handler(Ctx(settings, con, scope, db, caller), params)
            body = _body(route, settings, system, answer, (snapshot_id, snapshot_time), params)
        except ParameterProblem as problem:
            error = ApiError(400, "invalid_parameter", str(problem), problem.problems)
            return _open311_error(error) if route.open311 else error_response(error)
        except ApiError as error:
            return _open311_error(error) if route.open311 else error_response(error)
        return json_response(body, headers={"X-IOC-Snapshot": str(snapshot_id),
                                            "X-IOC-Snapshot-Time": snapshot_time.isoformat()})

    return view


def _unknown(rest: str) -> Response:
    abort(404, description=f"no such API route: {request.path}")


def _key_route(signer: Signer) -> Route:
    def key(ctx: Ctx, p: NoParams) -> Answer:
        return Answer([{"algorithm": "Ed25519", "key_id": signer.key_id, "public_key_pem": signer.public_pem,
                        "signature_header": "X-IOC-Signature", "key_id_header": "X-IOC-Key-Id"}])

    return Route(KEY_PATH, "signingKey", "The public key that signs every answer", "integrity", NoParams,
                 schemas.envelope(schemas.SigningKey, "SigningKeyResponse", False, False), key, store="installation")


def _openapi_path() -> dict:
    return {OPENAPI_PATH: {"get": {
        "operationId": "openapi", "summary": "This document", "tags": ["integrity"],
        "responses": {"200": {"description": "OpenAPI 3.1 document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}}}


def install_api(server: Flask, settings: Settings, reader) -> list[Route]:
    """Register /api/v1 and /open311/v2 on `server`; the routes, for the OpenAPI document and tests."""
    signer = Signer.for_settings(settings)
    routes = [*v1.routes(), *qcvn125.routes(), _key_route(signer), *open311.routes()]
    blueprint = Blueprint("data_api", __name__)
    for route in routes:
        blueprint.add_url_rule(route.flask_rule, route.operation_id, _view(route, settings, reader), methods=["GET"])
    spec = document(routes, _openapi_path(), f"IOC {settings.province_code} data-sharing API")
    blueprint.add_url_rule(OPENAPI_PATH, "openapi", lambda: json_response(spec), methods=["GET"])
    for base in (v1.BASE, open311.BASE):
        # Unknown paths under the API answer JSON 404 instead of falling through to the Dash pages.
        blueprint.add_url_rule(f"{base}/<path:rest>", f"unknown{base}", _unknown)
    server.register_blueprint(blueprint)

    @server.after_request
    def sign(response: Response) -> Response:
        if is_api_path(request.path) and not response.is_streamed:
            response.headers["X-IOC-Signature"] = signer.sign_bytes(response.get_data())
            response.headers["X-IOC-Key-Id"] = signer.key_id
        return response

    @server.errorhandler(HTTPException)
    def api_errors(exc: HTTPException):
        if not is_api_path(request.path):
            return exc
        headers = {"Allow": ", ".join(sorted(exc.valid_methods))} if getattr(exc, "valid_methods", None) else {}
        error = ApiError(exc.code or 500, ERROR_CODES.get(exc.code, "error"), exc.description or exc.name,
                         headers=headers)
        return _open311_error(error) if request.path.startswith(open311.BASE) else error_response(error)

    return routes

