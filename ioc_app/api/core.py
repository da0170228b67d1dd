"""What every API route shares: its declaration (Route), the caller a token stands for, the
request's lake snapshot, JSON answers and JSON errors.

A Route declares its path, token scope, parameter model, item model and handler; the same
declaration serves the request and writes the OpenAPI document, so both say the same.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
from flask import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ioc_app.api.params import Query
from ioc_app.api.schemas import ErrorBody
from ioc_app.clock import ICT, now_ict
from ioc_app.config import Settings
from ioc_app.queries.scope import Scope

JSON = "application/json"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[tuple[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors or []
        self.headers = headers or {}


def bad_parameter(name: str, reason: str) -> ApiError:
    return ApiError(400, "invalid_parameter", f"{name}: {reason}", [(name, reason)])


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


@dataclass(frozen=True)
class Caller:
    """Who a token acts for: the user, the role and the unit that sets the areas the user may read
    (ioc_app.opdb.reach, the same rules as the desk views)."""

    username: str
    role: str
    scopes: frozenset[str]
    unit_id: int | None


@dataclass
class Ctx:
    settings: Settings
    con: duckdb.DuckDBPyConnection
    scope: Scope
    db: Session
    caller: Caller | None


@dataclass
class Answer:
    data: list[dict[str, Any]]
    total: int | None = None


@dataclass(frozen=True)
class Route:
    path: str
    operation_id: str
    summary: str
    tag: str
    params: type[Query]
    body: type[BaseModel]
    handler: Callable[[Ctx, Any], Answer]
    scope: str | None = None  # token scope needed; None: public
    store: str = "lake"
    tables: tuple[str, ...] = ()
    packet: str | None = None  # QCVN 125 packet name (Vietnamese)
    paged: bool = False
    open311: bool = False  # Open311 style: a bare JSON array, errors as [{code, description}]

    @property
    def flask_rule(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


def ict(moment: datetime | pd.Timestamp | None) -> datetime | None:
    """A store timestamp (naive ICT) as an aware datetime, so JSON carries +07:00."""
    if moment is None or pd.isna(moment):
        return None
    moment = pd.Timestamp(moment).to_pydatetime()
    return moment.replace(tzinfo=ICT) if moment.tzinfo is None else moment.astimezone(ICT)


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | datetime):
        return ict(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy scalars and arrays
        return _plain(value.tolist())
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts: NaN/NaT as null, timestamps in ICT."""
    return [{key: _plain(value) for key, value in row.items()} for row in frame.astype(object).to_dict("records")]


@contextmanager
def lake_snapshot(reader) -> Iterator[tuple[duckdb.DuckDBPyConnection, int, datetime]]:
    """The request's cursor (ioc_app.web.lake_reader: one read transaction, so every query of the
    answer sees one snapshot), that snapshot's id and time."""
    from ioc_app.queries.api import snapshot

    with reader.cursor() as cur:
        snapshot_id, snapshot_time = snapshot(cur)
        yield cur, snapshot_id, snapshot_time


def json_response(body: BaseModel | list[BaseModel] | dict, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """A model, a list of models (Open311's bare arrays) or a plain dict (the OpenAPI document) as JSON."""
    if isinstance(body, BaseModel):
        text = body.model_dump_json()
    else:
        plain = body if isinstance(body, dict) else [item.model_dump(mode="json") for item in body]
        text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    response = Response(text.encode("utf-8"), status=status, mimetype=JSON, headers=headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(error: ApiError) -> Response:
    body = ErrorBody(error=error.code, status=error.status, message=error.message,
                     errors=[{"parameter": name, "reason": reason} for name, reason in error.errors])
    return json_response(body, error.status, error.headers)


def now_aware() -> datetime:
    return now_ict().replace(tzinfo=ICT)


def is_api_path(path: str) -> bool:
    """Is this request one of the API's (JSON errors, signatures)?"""
    return path.startswith(("/api/v1", "/open311/v2"))

